// Patient search: arrow keys move between the search box and the results; Enter opens the
// highlighted result (the results are links, so Tab and Enter work without this file too).
(function () {
  const form = document.querySelector("[data-patient-search]");
  if (!form) return;
  const input = form.querySelector("input[name=q]");

  function links() {
    return Array.from(document.querySelectorAll("#patient-results a.search-hit"));
  }

  function move(from, step) {
    const all = links();
    if (all.length === 0) return;
    const index = all.indexOf(from);
    const next = index + step;
    if (next < 0) {
      input.focus();
    } else {
      all[Math.min(next, all.length - 1)].focus();
    }
  }

  form.addEventListener("submit", function (event) {
    // Enter in the box opens the best match, but only when the results shown answer what is
    // in the box now (not a query still being typed); otherwise the page reloads with results.
    const all = links();
    const results = document.getElementById("patient-results");
    const current = results && results.dataset.q === input.value;
    if (current && all.length > 0 && document.activeElement === input) {
      event.preventDefault();
      window.location.assign(all[0].href);
    }
  });

  document.addEventListener("keydown", function (event) {
    const target = event.target;
    const onInput = target === input;
    const onHit = target instanceof HTMLElement && target.classList.contains("search-hit");
    if (!onInput && !onHit) return;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      move(onInput ? null : target, 1);
    } else if (event.key === "ArrowUp" && onHit) {
      event.preventDefault();
      move(target, -1);
    } else if (event.key === "Escape" && onHit) {
      input.focus();
    }
  });
})();
