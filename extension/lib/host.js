// The only module that talks to the native host (runtime.connectNative). One port, requests
// matched to replies by id, events fanned out to listeners, reconnect on demand.
import { buildHello, classifyHostError } from "./messages.js";

export const HOST_NAME = "io.paxel.host";
const api = globalThis.browser ?? globalThis.chrome;
const HELLO_TIMEOUT_MS = 10000;
const REQUEST_TIMEOUT_MS = 20000;

/**
 * A failure talking to paxel: `code` is a wire error name or not_installed/forbidden/failed/timeout;
 * `number` is the wire's integer code when the host answered with an error reply, else undefined.
 */
export class HostError extends Error {
  constructor(code, message, number = undefined) {
    super(message);
    this.name = "HostError";
    this.code = code;
    this.number = number;
  }
}

// The port and in-flight requests cannot live in storage; everything derived from them does
// (the background persists status and downloads), so a restarted worker just reconnects.
let port = null;
let ready = null;
let readyMayStart = true; // whether the hello behind `ready` may start a stopped service
let nextId = 1;
const pending = new Map();
const eventListeners = new Set();
const statusListeners = new Set();

export function onEvent(listener) {
  eventListeners.add(listener);
}

/** listener({state: "connected"|"not_installed"|"forbidden"|"failed", message, hello}) */
export function onStatus(listener) {
  statusListeners.add(listener);
}

function emitStatus(status) {
  for (const listener of statusListeners) listener(status);
}

export function isConnected() {
  return port !== null;
}

function send(target, body, timeoutMs) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new HostError("timeout", `paxel did not answer "${body.type}" within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    pending.set(id, { resolve, reject, timer, port: target });
    try {
      target.postMessage({ id, ...body });
    } catch (err) {
      clearTimeout(timer);
      pending.delete(id);
      reject(new HostError("failed", `cannot send to the paxel host: ${err.message}`));
    }
  });
}

function onPortMessage(msg) {
  if (msg && "id" in msg && msg.id !== null && pending.has(msg.id)) {
    const { resolve, reject, timer } = pending.get(msg.id);
    pending.delete(msg.id);
    clearTimeout(timer);
    if (msg.ok) resolve(msg.result ?? {});
    else reject(new HostError(msg.error?.name ?? "failed", msg.error?.message ?? "paxel refused the request", msg.error?.code));
  } else if (msg && typeof msg.event === "string") {
    for (const listener of eventListeners) listener(msg);
  } else if (msg && msg.ok === false) {
    console.warn("paxel host reported an error outside any request:", msg.error);
  }
}

function onPortDisconnect(closed) {
  // Chromium reports why in runtime.lastError, Firefox in port.error.
  const message = closed.error?.message ?? api.runtime.lastError?.message ?? "the paxel host closed the connection";
  const state = classifyHostError(message);
  if (closed === port) {
    port = null;
    ready = null;
  }
  for (const [id, entry] of pending) {
    if (entry.port !== closed) continue;
    pending.delete(id);
    clearTimeout(entry.timer);
    entry.reject(new HostError(state, message));
  }
  emitStatus({ state, message });
}

/**
 * Connect if needed and say hello; resolves to hello's result, rejects with HostError.
 * `start: false` (the background's own reconnecting) never starts a stopped service: it rejects
 * with code SERVICE_UNAVAILABLE instead. A user's request arriving while such a hello is on its
 * way waits for it and, if the service was stopped, tries again allowed to start it.
 */
export function hello({ start = true } = {}) {
  if (ready) {
    if (!start || readyMayStart) return ready;
    return ready.catch((err) => {
      if (err.code === "SERVICE_UNAVAILABLE") return hello({ start: true });
      throw err;
    });
  }
  const opened = api.runtime.connectNative(HOST_NAME);
  port = opened;
  readyMayStart = start;
  opened.onMessage.addListener(onPortMessage);
  opened.onDisconnect.addListener(() => onPortDisconnect(opened));
  const attempt = send(opened, buildHello(api.runtime.getURL(""), api.runtime.id, start), HELLO_TIMEOUT_MS).then(
    (result) => {
      emitStatus({ state: "connected", message: "", hello: result });
      return result;
    },
    (err) => {
      if (port === opened) disconnect();
      throw err;
    },
  );
  ready = attempt;
  return attempt;
}

/**
 * One request: `body` is a built request ({type, ...fields}); resolves to the reply's result.
 * `start: false` for what nobody asked for (see hello).
 */
export async function request(body, timeoutMs = REQUEST_TIMEOUT_MS, { start = true } = {}) {
  await hello({ start });
  if (!port) throw new HostError("failed", "the paxel host closed the connection");
  return send(port, body, timeoutMs);
}

/** Close the port on purpose (idle); the host then exits, the service keeps running. */
export function disconnect() {
  const closing = port;
  port = null;
  ready = null;
  if (closing) {
    closing.disconnect();
    // disconnect() does not fire our own onDisconnect: fail what is still waiting here.
    for (const [id, entry] of pending) {
      if (entry.port !== closing) continue;
      pending.delete(id);
      clearTimeout(entry.timer);
      entry.reject(new HostError("failed", "disconnected from the paxel host"));
    }
  }
}
