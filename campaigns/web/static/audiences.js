// The segment builder: mark the query field invalid while the preview reports a fault,
// so screen readers announce it with the field (the fault itself is in the preview).
(function () {
  "use strict";
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "segment-preview") {
      return;
    }
    var field = document.getElementById("f-query");
    if (!field) {
      return;
    }
    if (target.querySelector('[data-query-invalid="true"]')) {
      field.setAttribute("aria-invalid", "true");
    } else {
      field.removeAttribute("aria-invalid");
    }
  });
})();
