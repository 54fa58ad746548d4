// The question designer: fields only some question types use (bounds for numbers, choices for
// choice questions) carry data-kinds="<types>" and show only while one of those types is chosen.
// Without this script every field shows, each with a note of which type it is for, and the
// server keeps only what the chosen type uses.
(function () {
  "use strict";
  document.querySelectorAll(".question-form").forEach(function (form) {
    var kind = form.querySelector('select[name="kind"]');
    if (!kind) return;
    function update() {
      form.querySelectorAll("[data-kinds]").forEach(function (group) {
        group.hidden = group.getAttribute("data-kinds").split(" ").indexOf(kind.value) < 0;
      });
    }
    kind.addEventListener("change", update);
    update();
  });
})();
