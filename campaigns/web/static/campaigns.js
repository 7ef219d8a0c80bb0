// The campaign forms: show only the fields of the "When" choice that is picked.
// Without this script every field shows, and the server reads the ones it needs.
(function () {
  "use strict";
  function update(group) {
    var picked = group.querySelector('input[name="when"]:checked');
    var value = picked ? picked.value : "";
    group.querySelectorAll("[data-when]").forEach(function (detail) {
      detail.hidden = detail.dataset.when !== value;
    });
  }
  function setUp() {
    document.querySelectorAll("[data-when-group]").forEach(function (group) {
      update(group);
      group.addEventListener("change", function (event) {
        if (event.target.name === "when") {
          update(group);
        }
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
