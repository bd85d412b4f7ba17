// ClinicDesk: small progressive enhancements. Every page works without this file.
document.addEventListener("submit", function (event) {
  // Destructive buttons ask once. Without JavaScript the action simply proceeds.
  const button = event.submitter;
  if (button && button.classList.contains("danger") && !button.dataset.noConfirm) {
    if (!window.confirm(button.textContent.trim() + "?")) event.preventDefault();
  }
});
document.body.addEventListener("htmx:afterSwap", function (event) {
  // After a fragment refresh, keep keyboard users oriented: announce via the status line.
  const status = event.detail.target.querySelector("[role=status]");
  if (status) status.focus?.();
});
// The flow board refreshes itself every few seconds; its "Finished today" section stays open or
// closed as the person left it (the server always sends it closed).
let flowDoneOpen = false;
document.addEventListener("toggle", function (event) {
  if (event.target.id === "flow-done") flowDoneOpen = event.target.open;
}, true);
document.body.addEventListener("htmx:load", function () {
  const done = document.getElementById("flow-done");
  if (done && flowDoneOpen && !done.open) done.open = true;
});
// After a failed submit the focus moves to the form's error summary, so someone on the keyboard
// or a screen reader starts at the list of mistakes (each a link to its field) instead of the top
// of the page: on page load, and after an htmx swap that a form's submit asked for.
function focusErrorSummary(root) {
  const summary = root.querySelector(".error-summary, .form-error");
  if (!summary) return;
  if (!summary.hasAttribute("tabindex")) summary.setAttribute("tabindex", "-1");
  summary.focus();
}
focusErrorSummary(document);
document.body.addEventListener("htmx:afterSettle", function (event) {
  const cause = event.detail.requestConfig && event.detail.requestConfig.triggeringEvent;
  if (cause && cause.type === "submit") focusErrorSummary(event.detail.target);
});
