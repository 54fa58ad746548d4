// Small progressive enhancements; every page works without this file. Pages carry no inline
// script or event handler attribute (the Content-Security-Policy allows scripts from /static/
// only): behaviour hangs on data- attributes handled here or in a page's own file.
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
  // A single button with data-confirm-click asks first (a row's reject or cancel button inside
  // a larger form, which data-confirm on the form would ask about for every button).
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-confirm-click]");
    if (button && !window.confirm(button.getAttribute("data-confirm-click"))) {
      event.preventDefault();
    }
  });
  // Print buttons.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  // "Select all" checkboxes in bulk tables.
  document.querySelectorAll("input[data-select-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      var scope = document.querySelectorAll(box.getAttribute("data-select-all"));
      scope.forEach(function (item) { item.checked = box.checked; });
    });
  });
})();
