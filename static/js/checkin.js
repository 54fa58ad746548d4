// The check-in desk: refresh the three counts every 10 seconds, in place (no reload, no flicker).
(function () {
  "use strict";
  var box = document.getElementById("checkin-counts");
  if (!box || !window.fetch) { return; }
  function refresh() {
    fetch(box.getAttribute("data-url"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (counts) {
        if (!counts) { return; }
        box.querySelectorAll("[data-count]").forEach(function (el) {
          var value = String(counts[el.getAttribute("data-count")]);
          if (el.textContent !== value) { el.textContent = value; }
        });
      })
      .catch(function () { /* offline for a moment: try again next time */ });
  }
  setInterval(refresh, 10000);
})();
