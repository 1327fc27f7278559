// Form fields made and marked the same way on the options page's paxel-service form
// (options/service.js) and the panel's "Queues, schedule and folders" (panel_assets/setup.js):
// an element with its properties, a labelled input, and errors in words put right after the
// field they are about, the field marked aria-invalid and pointing at its error (what a screen
// reader reads). DOM only, no browser API.
//
// Like the formatter's parts it is a classic script and an ES module at once: the options page
// imports it for its side effect, the panel loads it from a <script> tag (paxel/panel/assets.py
// SHARED); both find `globalThis.paxelFormFields`.
"use strict";

(function (root) {
  /** `document.createElement(tag)` with `props` assigned and `children` appended. */
  function node(tag, props = {}, ...children) {
    const n = Object.assign(document.createElement(tag), props);
    n.append(...children);
    return n;
  }

  /** <label>LABEL <input name=NAME value=VALUE ...props></label> */
  function field(label, name, value, props = {}) {
    return node("label", {}, label, node("input", { name, value: value ?? "", ...props }));
  }

  /**
   * Show `errors` ([{field, message}], `field` a control's name) in `form`, each right after its
   * control, and clear the earlier ones; the focus goes to the field in error nearest the top.
   * `idPrefix` makes the errors' ids unique in the page.
   */
  function showErrors(form, errors, idPrefix) {
    for (const old of form.querySelectorAll(".field-error")) old.remove();
    for (const control of form.querySelectorAll("[aria-invalid]")) {
      control.removeAttribute("aria-invalid");
      control.removeAttribute("aria-describedby");
    }
    for (const { field: name, message } of errors) {
      const control = form.querySelector(`[name="${CSS.escape(name)}"]`);
      if (!control) continue;
      const id = `${idPrefix}${name.replace(/\W/g, "-")}`;
      control.setAttribute("aria-invalid", "true");
      control.setAttribute("aria-describedby", id);
      control.insertAdjacentElement("afterend", node("span", { className: "field-error", id, textContent: message }));
    }
    form.querySelector("[aria-invalid=true]")?.focus(); // the first in the page's order
  }

  root.paxelFormFields = Object.freeze({ node, field, showErrors });
})(globalThis);
