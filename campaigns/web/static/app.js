// Hookline's shared page behaviour. No inline scripts anywhere (the CSP forbids them):
// page scripts are files, wired up by data- attributes.
(function () {
  "use strict";
  // After htmx swaps in a fragment that reports an error, move focus to it so that
  // keyboard and screen-reader users hear it.
  document.addEventListener("htmx:afterSwap", function (event) {
    var alert = event.detail.target.querySelector('[role="alert"]');
    if (alert && event.detail.target.id === "flash") {
      alert.setAttribute("tabindex", "-1");
      alert.focus();
    }
  });
  // A button with data-confirm asks before its form is sent.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = (button && button.dataset.confirm) || event.target.dataset.confirm;
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
})();
