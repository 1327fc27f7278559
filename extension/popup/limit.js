// The popup's compact speed limit for all downloads (MiB/s; empty: none): shown from `hello`'s
// `max_speed`, sent as `limit` when the field changes; an error under the toolbar in MiB/s.
import "../lib/listing.js";
import { ask } from "./ask.js";

const listing = globalThis.paxelListing;
const input = document.getElementById("global-limit");
const error = document.getElementById("global-limit-error");

/** What the service said the limit is (not while the user is typing in the field). */
export function showLimit(hello) {
  if (hello && "max_speed" in hello && document.activeElement !== input) input.value = listing.fieldFromSpeed(hello.max_speed);
}

input.addEventListener("change", async () => {
  const parsed = listing.speedFromField(input.value);
  error.textContent = parsed.error ?? "";
  input.setAttribute("aria-invalid", String(!!parsed.error));
  if (parsed.error) return;
  try {
    input.value = listing.fieldFromSpeed((await ask({ type: "limit", max_speed: parsed.max_speed })).max_speed);
  } catch (err) {
    error.textContent = `Speed limit: ${err.message}`;
  }
});
