// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // Forms with data-confirm ask before they are sent; not while a tick the server requires
  // (data-required-tick) is left empty: the server refuses that beside the tick, and asking
  // "are you sure?" before a refusal only misleads.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    var unticked = question && form.querySelector("input[data-required-tick]:not(:checked)");
    if (question && !unticked && !window.confirm(question)) {
      event.preventDefault();
    }
  });
  // "Select all" checkboxes in bulk tables.
  document.querySelectorAll("input[data-select-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      var scope = document.querySelectorAll(box.getAttribute("data-select-all"));
      scope.forEach(function (item) { item.checked = box.checked; });
    });
  });
})();
