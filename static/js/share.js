// The share poster page: copy the event's link (the clipboard where the browser allows it,
// else the link selected for the member to copy) and the phone's own share sheet where there
// is one (navigator.share).
(function () {
  "use strict";
  var box = document.querySelector("[data-share]");
  if (!box) {
    return;
  }
  var url = box.getAttribute("data-share-url");
  var title = box.getAttribute("data-share-title");
  var input = document.getElementById("share-url");
  var status = document.querySelector("[data-share-status]");
  function selectLink() {
    input.focus();
    input.select();
    input.setSelectionRange(0, input.value.length);
  }
  function tell(message) {
    if (status) {
      status.textContent = message;
    }
  }
  var copy = document.querySelector("[data-share-copy]");
  if (copy) {
    copy.addEventListener("click", function () {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(url).then(
          function () { tell(box.getAttribute("data-copied")); },
          function () { selectLink(); tell(box.getAttribute("data-copy-failed")); }
        );
      } else {
        selectLink();
        tell(box.getAttribute("data-copy-failed"));
      }
    });
  }
  input.addEventListener("focus", function () { input.select(); });
  var system = document.querySelector("[data-share-system]");
  if (system && navigator.share) {
    system.hidden = false;
    system.addEventListener("click", function () {
      navigator.share({ title: title, url: url }).catch(function () {
        // The member closed the share sheet: nothing to do.
      });
    });
  }
})();
