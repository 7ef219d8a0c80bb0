// The report page: its figures are fetched again every few seconds (htmx swaps
// #report-live). Keep open whichever "as a table" sections the reader had opened;
// htmx itself puts the focus back on an element with the same id.
(function () {
  "use strict";
  var opened = [];
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.target.id !== "report-live") {
      return;
    }
    opened = Array.prototype.map.call(
      event.detail.target.querySelectorAll("details[open][id]"),
      function (details) { return details.id; }
    );
  });
  document.addEventListener("htmx:afterSwap", function () {
    opened.forEach(function (id) {
      var details = document.getElementById(id);
      if (details) {
        details.open = true;
      }
    });
    opened = [];
  });
})();
