/* Site behaviour, as a static file: the Content-Security-Policy allows no inline script
   and no inline event handlers (onclick=...). Every page works without it. */
(function () {
  "use strict";
  function ready() {
    /* Move focus to what changed (the error summary, the confirmation, the receipt) so
       screen readers announce it; without JavaScript the page still reads top to bottom. */
    var el = document.querySelector("[data-autofocus]");
    if (el) { el.focus(); }
    /* Buttons that only work with JavaScript are shown only with it. */
    Array.prototype.forEach.call(document.querySelectorAll("[data-needs-js]"), function (b) {
      b.hidden = false;
    });
    /* The main menu folds behind a button on narrow screens (site.css); without
       JavaScript it stays open. */
    var toggle = document.querySelector("[data-menu-toggle]");
    if (toggle) {
      var menu = document.getElementById(toggle.getAttribute("aria-controls"));
      toggle.hidden = false;
      document.documentElement.classList.add("js-menu");
      toggle.addEventListener("click", function () {
        var open = toggle.getAttribute("aria-expanded") === "true";
        toggle.setAttribute("aria-expanded", open ? "false" : "true");
        if (menu) { menu.classList.toggle("open", !open); }
      });
    }
  }
  function flash(button, text) {
    var label = button.getAttribute("data-label") || button.textContent;
    button.setAttribute("data-label", label);
    button.textContent = text;
    window.setTimeout(function () { button.textContent = label; }, 2500);
  }
  document.addEventListener("click", function (event) {
    var t = event.target.closest ? event.target : null;
    if (!t) { return; }
    var target = t.closest("[data-print]");
    if (target) { event.preventDefault(); window.print(); return; }
    /* Copy a value to the clipboard: <button data-copy="#id">. */
    target = t.closest("[data-copy]");
    if (target) {
      event.preventDefault();
      var source = document.querySelector(target.getAttribute("data-copy"));
      var value = source ? (source.value || source.textContent).trim() : "";
      var done = function () { flash(target, target.getAttribute("data-copied") || "Copied"); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(value).then(done, function () {
          if (source && source.select) { source.select(); }
        });
      } else if (source && source.select) {
        source.select();
        try { document.execCommand("copy"); done(); } catch (e) { /* selected for the reader */ }
      }
      return;
    }
    /* Save text as a file: <button data-download="name.txt" data-download-text="...">. */
    target = t.closest("[data-download]");
    if (target) {
      event.preventDefault();
      var blob = new Blob([target.getAttribute("data-download-text") || ""], { type: "text/plain;charset=utf-8" });
      var link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = target.getAttribute("data-download");
      document.body.appendChild(link);
      link.click();
      window.setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
    }
  });
  /* Irreversible actions ask first: <button data-confirm="Are you sure…?">. */
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form && form.hasAttribute && form.hasAttribute("data-confirm") &&
        !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
  /* Live word count (conference motions, clause 3.II.2): words are runs of letters,
     digits, apostrophes and hyphens, as conference.procedure.words counts them; the
     server checks again on submit. <p data-word-count data-text="#id" data-limit="250"> */
  var WORD = /[\p{L}\p{N}\p{M}_'\u2019-]+/gu;
  function countWords(text) { return (String(text).match(WORD) || []).length; }
  document.addEventListener("input", function (event) {
    Array.prototype.forEach.call(document.querySelectorAll("[data-word-count]"), function (box) {
      ["text", "title"].forEach(function (which) {
        var field = document.querySelector(box.getAttribute("data-" + which));
        var shown = box.querySelector('[data-count-of="' + which + '"]');
        if (!field || !shown || (event.target !== field && shown.textContent !== "")) { return; }
        var n = countWords(field.value);
        var limit = parseInt(box.getAttribute(which === "text" ? "data-limit" : "data-title-limit"), 10);
        shown.textContent = String(n);
        var over = limit && n > limit;
        shown.className = over ? "badge bad" : "";
        var note = box.querySelector('[data-over-of="' + which + '"]');
        if (note) { note.textContent = over ? " \u2014 over the limit" : ""; }
      });
    });
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
