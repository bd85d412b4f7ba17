// The visit note editor: Ctrl+S (or Cmd+S) saves the draft now instead of the browser's "Save page".
// With htmx the form autosaves on its own; this only asks for a save at once. Without htmx the
// shortcut submits the form (the Save draft button), so nothing typed is lost.
document.addEventListener("keydown", function (event) {
  if (!(event.ctrlKey || event.metaKey) || event.altKey || event.key.toLowerCase() !== "s") return;
  const form = document.getElementById("note-form");
  if (!form) return;
  event.preventDefault();
  if (window.htmx) {
    window.htmx.trigger(form, "note-save");
  } else {
    form.requestSubmit();
  }
});
