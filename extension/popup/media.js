// Popup, "On this page": the media the current tab played (found by the background,
// lib/mediasniff.js), each with its qualities, duration and estimated size read by the service
// from the playlist when the popup opens (`media.probe`), a quality picker and Download.
// Apart from popup.js (the downloads list): this file owns #media only.
import "../lib/format.js";
import { qualityLabel } from "../lib/mediasniff.js";

const api = globalThis.browser ?? globalThis.chrome;
const { formatSize, formatDuration, nameFromUrl } = globalThis.paxelFormat;
const section = document.getElementById("media");
const titleEl = document.getElementById("media-title");
const listEl = document.getElementById("media-list");

async function ask(message) {
  const reply = await api.runtime.sendMessage(message);
  if (!reply || !reply.ok) throw new Error(reply?.error?.message ?? "no answer from the background");
  return reply.result;
}

/** The tab the popup is about: `?tab=ID` (a popup opened as a page, as the tests do), else the active one. */
async function currentTab() {
  const asked = Number(new URLSearchParams(location.search).get("tab"));
  if (Number.isInteger(asked) && asked > 0) return asked;
  const [tab] = await api.tabs.query({ active: true, currentWindow: true });
  return tab?.id ?? null;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function row(tabId, find) {
  const item = el("li", "media-find");
  item.dataset.url = find.url;
  item.dataset.kind = find.kind;
  const name = el("div", "name", nameFromUrl(find.url));
  name.title = find.url;
  const meta = el("div", "meta");
  const kind = el("span", "media-kind", find.kind === "file" ? find.mime ?? "file" : find.kind.toUpperCase());
  const duration = el("span", "media-duration");
  const size = el("span", "media-size", typeof find.size === "number" ? formatSize(find.size) : "");
  meta.append(kind, duration, size);
  const controls = el("div", "buttons");
  const picker = el("select", "quality");
  picker.hidden = true;
  picker.setAttribute("aria-label", "quality");
  const button = el("button", "media-download", "Download");
  button.type = "button";
  const note = el("span", "refusal");
  controls.append(picker, button, note);
  item.append(name, meta, controls);

  let variants = [];
  const showSize = () => {
    const chosen = variants[picker.selectedIndex];
    if (chosen) size.textContent = typeof chosen.size === "number" ? `~${formatSize(chosen.size)}` : "";
  };
  picker.addEventListener("change", showSize);
  if (find.kind !== "file") {
    note.textContent = "reading the playlist…";
    ask({ type: "media.probe", tabId, url: find.url }).then((info) => {
      variants = info.variants ?? [];
      duration.textContent = info.live ? "live" : typeof info.duration === "number" ? formatDuration(info.duration) : "";
      picker.replaceChildren(...variants.map((v, i) => {
        const option = el("option", "", qualityLabel(v, formatSize));
        option.value = String(i);
        return option;
      }));
      picker.selectedIndex = Number.isInteger(info.chosen) ? info.chosen : 0;
      picker.hidden = variants.length < 2;
      note.textContent = "";
      showSize();
    }, (err) => { note.textContent = err.message; });
  }
  button.addEventListener("click", () => {
    const chosen = variants[picker.selectedIndex];
    const quality = Number.isInteger(chosen?.height) ? chosen.height : null;
    button.disabled = true;
    note.textContent = "";
    ask({ type: "media.download", tabId, url: find.url, quality }).then(
      () => { button.textContent = "Added"; },
      (err) => { button.disabled = false; note.textContent = err.message; },
    );
  });
  return item;
}

async function show() {
  const tabId = await currentTab();
  if (tabId === null) return;
  const { title, finds } = await ask({ type: "media.list", tabId });
  section.hidden = finds.length === 0;
  titleEl.textContent = title;
  listEl.replaceChildren(...finds.map((find) => row(tabId, find)));
}

show().catch((err) => console.warn("paxel: media:", err.message));
