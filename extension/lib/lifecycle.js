// Which actions a download offers, read from the service's lifecycle table (`hello` result
// `lifecycle`, docs/protocol.md "Lifecycle"). The rule lives in the one formatter (format.js,
// shared with the panel); this module only names it for the extension's importers.
import "./format.js";

/**
 * The user actions allowed in `state`, in the table's order: [{action, request, label}], where
 * `request` is the message to send (plus download_id). No table yet (not connected): no actions.
 */
export function actionsFor(lifecycle, state) {
  return globalThis.paxelFormat.actionsFor(lifecycle, state);
}
