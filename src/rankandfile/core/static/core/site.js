/* Site behaviour, as a static file: the Content-Security-Policy allows no inline script
   and no inline event handlers (onclick=...). Every page works without it. */
(function () {
  "use strict";
  function ready() {
    /* Move focus to what changed (the error summary, the confirmation, the receipt) so
       screen readers announce it; without JavaScript the page still reads top to bottom. */
    var el = document.querySelector("[data-autofocus]");
    if (el) { el.focus(); }
  }
  document.addEventListener("click", function (event) {
    var target = event.target.closest && event.target.closest("[data-print]");
    if (target) { event.preventDefault(); window.print(); }
  });
  document.addEventListener("focusin", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches("[data-select-on-focus]")) { target.select(); }
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
