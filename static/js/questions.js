// Conditional questions: a field with data-shown-if="<choice id>" shows only while that choice is
// picked (an input with that value among the earlier questions). Without this script every
// question shows; the server ignores an answer whose condition is not met.
(function () {
  "use strict";
  document.querySelectorAll("[data-questions]").forEach(function (set) {
    function picked(choiceId) {
      var input = set.querySelector('input[value="' + choiceId + '"][name^="q-"]');
      if (!input || !input.checked) return false;
      var field = input.closest(".question");
      return !field || !field.hidden;
    }
    function update() {
      set.querySelectorAll("[data-shown-if]").forEach(function (field) {
        field.hidden = !picked(field.getAttribute("data-shown-if"));
      });
    }
    set.addEventListener("change", update);
    update();
    update(); // a second pass settles chains (a condition on a conditional question)
  });
})();
