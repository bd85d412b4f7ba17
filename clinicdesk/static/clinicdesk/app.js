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
