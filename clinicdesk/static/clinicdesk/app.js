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
