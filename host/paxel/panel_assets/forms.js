// What the panel's forms (the Add box, "After a download completes", the queue pickers) do the
// same way: an error in words under its field, with the field marked aria-invalid so a screen
// reader says so too; a <select>'s choices made anew from [value, label] pairs.
"use strict";

(function () {
  /** `errors` ({name: text}, none for a good field) under `fields` ({name: [control, errorNode]}). */
  function showErrors(fields, errors) {
    for (const [name, [control, errorNode]] of Object.entries(fields)) {
      errorNode.textContent = errors[name] || "";
      control.setAttribute("aria-invalid", String(!!errors[name]));
    }
  }

  /** Replace `select`'s options with `choices` ([[value, label]]). */
  function setOptions(select, choices) {
    select.replaceChildren(...choices.map(([value, label]) => {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = label;
      return option;
    }));
  }

  window.paxelForms = { showErrors, setOptions };
})();
