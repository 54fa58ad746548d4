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
  // A page re-rendered with errors marks each field in error (.has-error) and names them in a
  // summary at its top: bring the first one into view with the focus on it, so a phone shows
  // what to correct even when it sits far down the page; the summary's links do the same.
  function showField(control) {
    var details = control.closest("details");
    while (details) {
      details.open = true;
      details = details.parentElement && details.parentElement.closest("details");
    }
    control.focus({ preventScroll: true });
    (control.closest(".field") || control).scrollIntoView({ block: "center" });
  }
  document.querySelectorAll("[data-error-summary] a[href^='#']").forEach(function (link) {
    var control = document.getElementById(link.getAttribute("href").slice(1));
    if (control) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        showField(control);
      });
    }
  });
  var marked = document.querySelector(".has-error");
  var first = marked && (marked.matches("input, select, textarea") ? marked :
    marked.querySelector("input:not([type=hidden]), select, textarea"));
  if (first) { showField(first); }
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
  // The offline page's retry: load the page that failed again (the address is still its own).
  var retries = document.querySelectorAll("[data-retry]");
  retries.forEach(function (button) {
    button.addEventListener("click", function (event) {
      event.preventDefault();
      window.location.reload();
    });
  });
  // ... and by itself as soon as the phone is back online.
  if (retries.length) {
    window.addEventListener("online", function () {
      window.location.reload();
    });
  }
  // The service worker (eventsite/pwa): static files and the offline page kept on the phone,
  // so the site opens like an app from the home screen; pages are never cached.
  var manifest = document.querySelector("link[rel=manifest][data-service-worker]");
  if (manifest && "serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register(manifest.getAttribute("data-service-worker")).catch(function () {
        // No worker (a private window, an old browser): the site works as before.
      });
    });
  }
})();
