/* The live hall (decision 0020): every hall page polls the hall's small JSON snapshot
   (served from a short shared cache) and
   - writes an open card vote's turnout in place ([data-turnout-item]);
   - fetches its own fragment again ([data-hall-live]) only when the snapshot's version
     changes (a new current item, a vote opened or closed, the speakers' list moved);
   - counts down the speaking timer ([data-remaining], seconds at render).
   Without JavaScript every page still works: reload it to see the latest. */
(function () {
  "use strict";
  var root = document.querySelector("[data-hall-state]");
  if (!root) { return; }
  var stateUrl = root.getAttribute("data-hall-state");
  var interval = parseInt(root.getAttribute("data-hall-interval"), 10) || 2000;
  var version = root.getAttribute("data-hall-v");
  var deadlines = [];
  var busy = false;

  function startTimers() {
    deadlines = [];
    var now = Date.now();
    document.querySelectorAll("[data-remaining]").forEach(function (el) {
      var secs = parseInt(el.getAttribute("data-remaining"), 10);
      if (!isNaN(secs)) { deadlines.push({ el: el, at: now + secs * 1000 }); }
    });
    tick();
  }

  function tick() {
    var now = Date.now();
    deadlines.forEach(function (d) {
      var left = Math.round((d.at - now) / 1000);
      var over = left < 0;
      var s = Math.abs(left);
      var text = Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2);
      d.el.textContent = over ? (d.el.getAttribute("data-over-format") || "over by {time}").replace("{time}", text) : text;
      d.el.classList.toggle("over", over);
    });
  }

  function refresh() {
    var live = document.querySelector("[data-hall-live]");
    if (!live) { return; }
    fetch(live.getAttribute("data-hall-live"), {
      credentials: "same-origin",
      headers: { "HX-Request": "true" },
      cache: "no-store"
    }).then(function (r) {
      return r.ok ? r.text() : null;
    }).then(function (html) {
      if (html === null) { return; }
      var box = document.createElement("div");
      box.innerHTML = html;
      var fresh = box.querySelector("[data-hall-live]");
      if (fresh) { live.replaceWith(fresh); startTimers(); }
    }).catch(function () { /* the next poll tries again */ });
  }

  // Figures with thousands separators; the words come from the page, in the reader's
  // language: data-turnout-format / data-turnout-pair hold "{cast} of {cards} …".
  function figure(n) { return Number(n).toLocaleString("en-GB"); }
  function words(format, cast, cards) {
    return format.replace("{cast}", figure(cast)).replace("{cards}", figure(cards));
  }

  function turnout(open) {
    document.querySelectorAll("[data-turnout-item]").forEach(function (el) {
      if (open && String(open.item) === el.getAttribute("data-turnout-item")) {
        var format = el.getAttribute("data-turnout-format") || "{cast} of {cards} cards cast";
        el.textContent = words(format, open.cast, open.cards);
      }
    });
    document.querySelectorAll("[data-turnout-section]").forEach(function (el) {
      var s = open && open.sections && open.sections[el.getAttribute("data-turnout-section")];
      if (s && String(open.item) === el.getAttribute("data-turnout-of")) {
        el.textContent = el.hasAttribute("data-turnout-pair")
          ? words(el.getAttribute("data-turnout-pair") || "{cast} of {cards}", s[0], s[1])
          : figure(s[0]);
      }
    });
  }

  function poll() {
    if (busy) { return; }
    busy = true;
    // No cookies: the snapshot is the same for everyone and served from the shared cache.
    fetch(stateUrl, { credentials: "omit", cache: "no-store" }).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (data) {
      busy = false;
      if (!data) { return; }
      turnout(data.open);
      if (data.v !== version) { version = data.v; refresh(); }
    }).catch(function () { busy = false; });
  }

  startTimers();
  window.setInterval(tick, 1000);
  window.setInterval(poll, interval);
})();
