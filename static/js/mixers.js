// The marking page saves each tap at once; without this file every tap is a normal form post.
(function () {
  "use strict";
  var count = document.getElementById("mark-count");
  var problem = document.getElementById("mark-error");
  // Only where matches show at once: a tap that makes a match says so.
  var matched = document.getElementById("mark-match");

  function show(message) {
    problem.textContent = message || "";
    problem.hidden = !message;
  }

  document.querySelectorAll("form[data-mark]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button");
      var wanted = form.elements.marked;
      if (button.getAttribute("aria-busy") === "true") { return; }
      button.setAttribute("aria-busy", "true");
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: {
          "Accept": "application/json",
          "X-CSRFToken": form.elements.csrf_token.value
        },
        credentials: "same-origin"
      }).then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      }).then(function (answer) {
        if (!answer.ok) {
          show(answer.body.error);
          return;
        }
        show("");
        var on = answer.body.marked;
        var state = button.querySelector(".state");
        button.setAttribute("aria-pressed", on ? "true" : "false");
        state.textContent = on ? state.getAttribute("data-on") : state.getAttribute("data-off");
        wanted.value = on ? "0" : "1";
        count.textContent = answer.body.count;
        if (matched) {
          matched.querySelector("a").textContent = answer.body.message || "";
          matched.hidden = !answer.body.match;
        }
      }).catch(function () {
        // Offline or the server could not be reached: fall back to the plain form post.
        form.submit();
      }).finally(function () {
        button.removeAttribute("aria-busy");
      });
    });
  });
})();
