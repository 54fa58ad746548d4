// Score sheets: autosave drafts while the judge types (the plain form works without this),
// refuse silently overwriting a sheet changed elsewhere, check the boxes and then confirm before
// submitting. (The blank sheets page's print button is site.js's [data-print].)
(function () {
  "use strict";

  var form = document.getElementById("score-sheet");
  if (!form || !window.fetch || !window.FormData) {
    return;
  }
  var status = document.getElementById("autosave-status");
  var version = form.querySelector("input[name=version]");
  var timer = null;
  var stopped = false;
  var inFlight = false;
  var again = false;
  var pendingSubmit = null;
  var DELAY_MS = 1500;

  function showErrors(errors) {
    form.querySelectorAll("input[name^=score_]").forEach(function (input) {
      var list = document.getElementById(input.name + "-errors");
      var message = errors && errors[input.name];
      input.closest(".field").classList.toggle("has-error", !!message);
      if (message) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
      if (list) {
        list.innerHTML = "";
        list.hidden = !message;
        if (message) {
          var item = document.createElement("li");
          item.textContent = message;
          list.appendChild(item);
        }
      }
    });
  }

  function save() {
    if (stopped) { return; }
    if (inFlight) { again = true; return; }
    inFlight = true;
    var body = new FormData(form);
    body.set("action", "save");
    fetch(form.dataset.autosave, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-Autosave": "1", "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    }).then(function (result) {
      var data = result.data;
      if (result.status === 200 && data.ok) {
        version.value = data.version;
        showErrors({});
        status.classList.remove("is-stale");
        status.textContent = form.dataset.savedLabel + " " + data.saved_at;
        status.dataset.saved = "1";
      } else if (result.status === 409) {
        // Changed elsewhere (or submitted): stop autosaving, say so, never overwrite.
        stopped = true;
        status.classList.add("is-stale");
        var current = data.current || { scores: {} };
        var shown = Object.keys(current.scores || {}).map(function (name) {
          var label = form.querySelector("label[for=" + name + "]");
          return (label ? label.firstChild.textContent.trim() : name) + " " + current.scores[name];
        }).join("；");
        status.textContent = form.dataset.staleLabel + ": " + data.message + (shown ? " " + shown : "");
      } else if (data.errors) {
        showErrors(data.errors);
      }
    }).catch(function () {
      status.textContent = form.dataset.failedLabel;
    }).then(function () {
      inFlight = false;
      if (pendingSubmit && !stopped) {
        // The judge pressed a button while a draft was saving: send it with the new version.
        var button = pendingSubmit;
        pendingSubmit = null;
        form.requestSubmit(button);
      } else if (again) {
        again = false;
        save();
      }
    });
  }

  form.addEventListener("input", function (event) {
    if (!event.target.name || event.target.name === "csrf_token") { return; }
    clearTimeout(timer);
    timer = setTimeout(save, DELAY_MS);
  });

  // Decimal places of a plain number's text, so steps are checked in whole numbers (no float
  // rounding: 0.1 + 0.2 style errors would refuse a good score).
  function places(text) {
    var dot = text.indexOf(".");
    return dot < 0 ? 0 : text.length - dot - 1;
  }

  function scaled(text, digits) {
    var negative = text.charAt(0) === "-";
    var parts = text.replace("-", "").split(".");
    var fraction = (parts[1] || "") + new Array(digits + 1).join("0");
    var value = parseInt(parts[0] + fraction.slice(0, digits), 10);
    return negative ? -value : value;
  }

  // The same checks as the server (which checks again), so the lock confirmation is only asked
  // for a sheet that can be submitted; a box's message appears beside it otherwise.
  function problems(submitting) {
    var errors = {};
    form.querySelectorAll("input[name^=score_]").forEach(function (input) {
      var text = input.value.normalize("NFKC").replace(/\s+/g, "").replace(/\u2212/g, "-");
      if (!text) {
        if (submitting) { errors[input.name] = form.dataset.msgEmpty; }
        return;
      }
      if (!/^-?\d+(\.\d+)?$/.test(text)) {
        errors[input.name] = form.dataset.msgFormat;
        return;
      }
      var step = input.dataset.step;
      var max = input.dataset.max;
      var digits = Math.max(places(text), places(step), places(max));
      var value = scaled(text, digits);
      if (value < 0) {
        errors[input.name] = form.dataset.msgNegative;
      } else if (value > scaled(max, digits)) {
        errors[input.name] = input.dataset.msgMax;
      } else if (value % scaled(step, digits) !== 0) {
        errors[input.name] = input.dataset.msgStep;
      }
    });
    return errors;
  }

  form.addEventListener("submit", function (event) {
    clearTimeout(timer);
    var button = event.submitter;
    if (button && button.value === "submit") {
      var errors = problems(true);
      var first = Object.keys(errors)[0];
      if (first) {
        event.preventDefault();
        showErrors(errors);
        form.querySelector("input[name=" + first + "]").focus();
        return;
      }
    }
    if (button && button.dataset.confirm && !button.dataset.confirmed && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
      return;
    }
    if (inFlight) {
      event.preventDefault();
      if (button) { button.dataset.confirmed = "1"; }
      pendingSubmit = button || null;
      return;
    }
    stopped = true;
  });
})();
