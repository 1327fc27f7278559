// The panel's "After a download completes": nothing, open the file, show it in its folder, or
// run a command (an argument list, never a shell line). Set only here, with `paxel after` or in
// settings.json: the service refuses it from a browser's connection (docs/protocol.md). Checked
// in the form's words first (listing.js afterFromFields), each error under its field.
"use strict";

(function () {
  const L = window.paxelListing;
  const form = document.getElementById("after-form");
  const action = document.getElementById("after-action");
  const command = document.getElementById("after-command");
  const timeout = document.getElementById("after-timeout");
  const result = document.getElementById("after-result");
  const fieldset = document.getElementById("after-fields");
  const fields = Object.fromEntries(Object.entries({ action, command, timeout })
    .map(([name, control]) => [name, [control, document.getElementById(`after-${name}-error`)]]));
  const showErrors = (errors) => window.paxelForms.showErrors(fields, errors);

  window.paxelForms.setOptions(action, Object.entries(L.AFTER_ACTIONS)
    .map(([value, label]) => [value, label.charAt(0).toLowerCase() + label.slice(1)]));

  function show(after) {
    const values = L.afterToFields(after);
    action.value = values.action;
    command.value = values.command;
    timeout.value = values.timeout;
    document.getElementById("after-command-label").hidden = action.value !== "command";
  }

  action.addEventListener("change", () => {
    document.getElementById("after-command-label").hidden = action.value !== "command";
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    result.textContent = "";
    const checked = L.afterFromFields({ action: action.value, command: command.value, timeout: timeout.value });
    showErrors(checked.errors || {});
    if (checked.errors) return;
    const reply = await busy(() => window.pywebview.api.after_completion(checked.set));
    if (!reply.ok) {
      result.textContent = `Not saved: ${reply.error.message}`;
      return;
    }
    show(reply.after_completion);
    result.textContent = "Saved.";
  });

  // The fields are disabled while the service is asked (index.html starts them so): a reply
  // that lands after the user began editing would otherwise overwrite the edit, and a Save
  // then stores a mix of the two (the action read back, the command just typed).
  let asking = 0;  // a close and reopen asks again while the first answer is on its way
  async function busy(ask) {
    asking += 1;
    fieldset.disabled = true;
    try {
      return await ask();
    } finally {
      asking -= 1;
      fieldset.disabled = asking > 0;
    }
  }

  // Read when opened: the setting may have changed from the CLI meanwhile.
  document.getElementById("after").addEventListener("toggle", async (event) => {
    if (!event.target.open) return;
    const reply = await busy(() => window.pywebview.api.after_completion());
    if (reply.ok) show(reply.after_completion);
    else result.textContent = reply.error.message;
  });
})();
