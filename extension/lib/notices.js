// What the user is told outside the popup: notifications for finished and failed downloads
// (a click opens the file or the page), and the page to open after a link refresh.
import * as host from "./host.js";
import { buildAction } from "./messages.js";
import { afterRefresh, pageToOpen } from "./relink.js";
import "./format.js";

const api = globalThis.browser ?? globalThis.chrome;

export async function notify(event) {
  const view = event.data.download;
  const completed = event.event === "completed";
  const { displayName, advice, formatSize } = globalThis.paxelFormat;
  const size = typeof view.total === "number" ? ` (${formatSize(view.total)})` : "";
  // A click opens the file; on a failure, the page the link came from (what the advice says).
  await api.notifications.create(`paxel:${completed ? "file" : "page"}:${view.download_id}`, {
    type: "basic",
    iconUrl: api.runtime.getURL("icons/icon-128.png"),
    title: completed ? "Download complete" : "Download failed",
    message: completed ? `${displayName(view)}${size}` : `${displayName(view)}: ${advice(view)?.text ?? "failed"}`,
  });
}

/** notifications.onClicked; `loadViews` reads the stored downloads (the page of a failed one). */
export async function onNotificationClicked(notificationId, loadViews) {
  const [prefix, what, downloadId] = notificationId.split(":");
  if (prefix !== "paxel") return;
  if (what === "page") {
    const view = (await loadViews()).find((v) => v.download_id === downloadId);
    const url = view ? pageToOpen(view) : null;
    if (url) await api.tabs.create({ url });
  } else {
    await host.request(buildAction("open", downloadId, { what })).catch((err) => console.warn("paxel:", err.message));
  }
  api.notifications.clear(notificationId);
}

/** After `refresh`: open the download's page, where the user clicks the link again. */
export async function followRefresh(result) {
  const next = afterRefresh(result);
  if (next.open) return api.tabs.create({ url: next.open });
  // (not "paxel:…": a click on it has nothing to open)
  return api.notifications.create(`paxel-refresh:${result?.download?.download_id ?? ""}`, {
    type: "basic", iconUrl: api.runtime.getURL("icons/icon-128.png"), title: "Refresh link", message: next.say,
  });
}
