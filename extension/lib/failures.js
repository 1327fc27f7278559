// Whether a failed popup request says the host cannot be reached, or only that paxel refused
// this one request (it answered, so it is connected). Pure.

/** The one wire code that means the host is up but the service behind it is not (docs/protocol.md). */
export const SERVICE_UNAVAILABLE = 33;

// Failures the extension finds before anything is sent (RequestError, the background's own
// checks): the request was wrong, the connection is fine.
const LOCAL_REFUSALS = new Set(["BAD_FIELD", "UNKNOWN_TYPE"]);
// Disconnect reasons that have their own help text in the popup.
const HOST_STATES = new Set(["not_installed", "forbidden"]);

/**
 * error: {code, number?, message} as the background reports it; `number` is the wire's integer
 * code when the host sent an error reply. Returns {kind: "host", state, message} when the host
 * cannot be reached (the popup shows it as the connection status), or {kind: "refused", message}
 * when the request was answered with no (the popup shows it next to what was asked).
 */
export function classifyFailure(error) {
  const code = error?.code;
  const number = error?.number;
  const message = typeof error?.message === "string" && error.message ? error.message : "paxel did not answer";
  if (Number.isInteger(number)) {
    // Any reply is proof the host answered; only SERVICE_UNAVAILABLE says the service is not
    // there: stopped (the background's own reconnecting never starts it; a Start button does).
    return number === SERVICE_UNAVAILABLE ? { kind: "host", state: "stopped", message } : { kind: "refused", message };
  }
  if (HOST_STATES.has(code)) return { kind: "host", state: code, message };
  if (LOCAL_REFUSALS.has(code)) return { kind: "refused", message };
  return { kind: "host", state: "failed", message };
}
