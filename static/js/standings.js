// Live standings: fetch the meet's JSON every few seconds and swap in the fresh table fragments.
// Only fragments that changed are replaced, so nothing flickers; the page works without this file.
// On the big screen (data-rotate), panels take turns every few seconds.
(function () {
  "use strict";
  var board = document.getElementById("live-board");
  if (!board || !window.fetch) { return; }
  var source = board.getAttribute("data-source");
  var every = Math.max(parseInt(board.getAttribute("data-refresh"), 10) || 10, 3) * 1000;
  var stamp = document.querySelector("[data-updated]");
  var busy = false;

  function swap(html) {
    Object.keys(html || {}).forEach(function (name) {
      var holder = board.querySelector('[data-fragment="' + name + '"]');
      if (holder && holder.getAttribute("data-last") !== html[name]) {
        holder.innerHTML = html[name];
        holder.setAttribute("data-last", html[name]);
      }
    });
  }

  function refresh() {
    if (busy || document.hidden) { return; }
    busy = true;
    fetch(source, { headers: { "Accept": "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data) {
          swap(data.html);
          if (stamp && data.updated) { stamp.textContent = data.updated; }
          board.setAttribute("data-version", String(Date.now()));
        }
      })
      .catch(function () { /* offline for a moment: try again next time */ })
      .then(function () { busy = false; });
  }

  board.querySelectorAll("[data-fragment]").forEach(function (holder) {
    holder.setAttribute("data-last", holder.innerHTML);
  });
  window.setInterval(refresh, every);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { refresh(); } });

  var rotate = parseInt(board.getAttribute("data-rotate"), 10);
  var panels = board.querySelectorAll("[data-panel]");
  if (rotate && panels.length > 1) {
    var shown = 0;
    window.setInterval(function () {
      panels[shown].classList.remove("is-shown");
      shown = (shown + 1) % panels.length;
      panels[shown].classList.add("is-shown");
    }, rotate * 1000);
  }
})();
