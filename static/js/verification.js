// The resend button of the SMS code pages: the server renders it disabled with the seconds to
// wait (data-resend-wait); this counts them down and enables it. Without this file the page
// still works: reloading it shows the server's wait again, and an early resend is refused.
(function () {
  "use strict";
  document.querySelectorAll("button[data-resend-wait]").forEach(function (button) {
    var left = parseInt(button.getAttribute("data-resend-wait"), 10) || 0;
    var waiting = button.getAttribute("data-label-waiting");
    var ready = button.getAttribute("data-label-ready");
    function show() {
      if (left > 0) {
        button.disabled = true;
        button.textContent = waiting.replace("{s}", String(left));
      } else {
        button.disabled = false;
        button.textContent = ready;
      }
    }
    show();
    if (left > 0) {
      var timer = window.setInterval(function () {
        left -= 1;
        show();
        if (left <= 0) {
          window.clearInterval(timer);
        }
      }, 1000);
    }
  });
})();
