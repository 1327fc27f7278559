// The popup's one way to ask the background (one switch for what pages may ask): the result,
// or an Error with the wire's `code` and `number` (lib/failures.js classifies it).
const api = globalThis.browser ?? globalThis.chrome;

export async function ask(message) {
  const reply = await api.runtime.sendMessage(message);
  if (!reply || !reply.ok) {
    const error = reply?.error;
    throw Object.assign(new Error(error?.message ?? "no answer from the background"), { code: error?.code, number: error?.number });
  }
  return reply.result;
}
