// Popup, hand-over section: the "next download goes to the browser" switch and the trace of
// the last decisions. Apart from popup.js so the two grow without stepping on each other. Reads
// through the background (one switch for what pages may ask); redraws on storage changes.
import { describeDecision } from "../lib/trace.js";

const api = globalThis.browser ?? globalThis.chrome;
const bypassEl = document.getElementById("bypass-next");
const shortcutEl = document.getElementById("bypass-shortcut");
const traceEl = document.getElementById("trace-list");
// A change (the user's or the storage's) that came before the first state answer wins over it.
let switchKnown = false;

async function ask(message) {
  const reply = await api.runtime.sendMessage(message);
  if (!reply || !reply.ok) throw new Error(reply?.error?.message ?? "no answer from the background");
  return reply.result;
}

function showTrace(trace) {
  traceEl.replaceChildren(...trace.map((decision) => {
    const item = document.createElement("li");
    item.dataset.to = decision.to;
    item.dataset.reason = decision.reason;
    const line = document.createElement("div");
    line.className = "why";
    line.textContent = `${new Date(decision.at).toLocaleTimeString()} ${describeDecision(decision)}`;
    const what = document.createElement("div");
    what.className = "url";
    what.textContent = decision.name || decision.url;
    what.title = decision.url;
    item.append(line, what);
    return item;
  }));
}

bypassEl.addEventListener("change", () => {
  switchKnown = true;
  ask({ type: "bypass.set", on: bypassEl.checked }).catch(() => { bypassEl.checked = !bypassEl.checked; });
});

api.storage.onChanged.addListener((changes, area) => {
  if (area !== "session") return;
  if (changes.trace) showTrace(Array.isArray(changes.trace.newValue) ? changes.trace.newValue : []);
  if (changes.bypassNext) {
    switchKnown = true;
    bypassEl.checked = changes.bypassNext.newValue === true;
  }
});

ask({ type: "handover.state" }).then((state) => {
  if (!switchKnown) bypassEl.checked = state.bypassNext;
  shortcutEl.textContent = state.shortcut;
  showTrace(state.trace);
});
