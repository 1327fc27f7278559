// Which actions a download offers, read from the service's lifecycle table (`hello` result
// `lifecycle`, docs/protocol.md "Lifecycle"). Pure. The service sends the table, so the popup
// never keeps its own copy of "which buttons does this state get" and cannot disagree with the
// service or the panel; it keeps only the labels.

/**
 * The user actions allowed in `state`, in the table's order: [{action, request}], where `request`
 * is the message to send (plus download_id). No table yet (not connected): no actions.
 */
export function actionsFor(lifecycle, state) {
  const transitions = Array.isArray(lifecycle?.transitions) ? lifecycle.transitions : [];
  return transitions
    .filter((t) => t && t.by === "user" && Array.isArray(t.from) && t.from.includes(state)
      && typeof t.request?.type === "string")
    .map((t) => ({ action: t.action, request: t.request }));
}
