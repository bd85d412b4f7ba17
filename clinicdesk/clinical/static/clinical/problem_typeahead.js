// ICD-10-CM typeahead for inputs marked data-icd10-typeahead="<listbox id>": htmx fetches the
// codes app's listbox fragment as the person types; this file sends what was typed as `q`, and
// lets the keyboard choose (Down/Up move, Enter picks, Escape closes). Without JavaScript the
// box is a plain text input: a typed code is checked when the form is sent.
(function () {
  function boxOf(input) {
    return document.getElementById(input.dataset.icd10Typeahead);
  }

  function options(input) {
    const box = boxOf(input);
    return box ? Array.from(box.querySelectorAll("[role=option]")) : [];
  }

  function close(input) {
    const results = input.getAttribute("hx-target") && document.querySelector(input.getAttribute("hx-target"));
    if (results) results.innerHTML = "";
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function highlight(input, index) {
    const all = options(input);
    if (all.length === 0) return;
    const next = (index + all.length) % all.length;
    all.forEach(function (option, i) {
      option.setAttribute("aria-selected", i === next ? "true" : "false");
    });
    input.setAttribute("aria-activedescendant", all[next].id);
    all[next].scrollIntoView({ block: "nearest" });
  }

  function choose(input, option) {
    input.value = option.dataset.code;
    close(input);
    input.focus();
  }

  document.addEventListener("htmx:configRequest", function (event) {
    const input = event.detail.elt;
    if (input && input.dataset && input.dataset.icd10Typeahead) {
      event.detail.parameters.q = input.value;
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    const input = document.querySelector("[data-icd10-typeahead][hx-target='#" + event.detail.target.id + "']");
    if (!input) return;
    input.setAttribute("aria-expanded", options(input).length > 0 ? "true" : "false");
    input.removeAttribute("aria-activedescendant");
  });

  document.addEventListener("keydown", function (event) {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || !input.dataset.icd10Typeahead) return;
    const all = options(input);
    const current = all.findIndex(function (o) { return o.getAttribute("aria-selected") === "true"; });
    if (event.key === "ArrowDown" && all.length) {
      event.preventDefault();
      highlight(input, current + 1);
    } else if (event.key === "ArrowUp" && all.length) {
      event.preventDefault();
      highlight(input, current < 0 ? all.length - 1 : current - 1);
    } else if (event.key === "Enter" && current >= 0) {
      event.preventDefault(); // pick the code; a second Enter sends the form
      choose(input, all[current]);
    } else if (event.key === "Escape") {
      close(input);
    }
  });

  document.addEventListener("click", function (event) {
    const option = event.target instanceof Element ? event.target.closest("[role=option][data-code]") : null;
    if (!option) return;
    const listbox = option.closest("[role=listbox]");
    const input = listbox && document.querySelector("[data-icd10-typeahead='" + listbox.id + "']");
    if (input) choose(input, option);
  });
})();
