// Taking over the browser's own downloads, when the user turned it on: a download at least as
// large as the size set, or of a type listed, is paused, handed to Ferry, and removed from the
// browser once Ferry has it; if Ferry refuses, the browser's download resumes.

import { downloadWithFerry } from "./ferry.js";
import { api, loadSettings } from "./settings.js";

/** True when `item` (a downloads.DownloadItem) is one the settings hand to Ferry. */
export function matches(item, settings) {
  const url = item.finalUrl || item.url || "";
  if (!/^https?:\/\//i.test(url)) return false;
  const size = item.totalBytes > 0 ? item.totalBytes : item.fileSize;
  if (settings.takeOverMinMiB > 0 && size >= settings.takeOverMinMiB * 1024 * 1024) return true;
  const name = (item.filename || new URL(url).pathname).toLowerCase();
  const mime = (item.mime || "").toLowerCase();
  return settings.takeOverTypes.some((type) => {
    const wanted = type.trim().toLowerCase().replace(/^\./, "");
    if (!wanted) return false;
    return wanted.includes("/") ? mime === wanted : name.endsWith(`.${wanted}`);
  });
}

/** The base name of a path the browser chose, if any. */
function baseName(path) {
  return path ? path.split(/[\\/]/).pop() : undefined;
}

/** downloads.onCreated: hands a matching download to Ferry. */
export async function onBrowserDownload(item) {
  const settings = await loadSettings();
  if (!settings.takeOver || !matches(item, settings)) return;
  await api.downloads.pause(item.id).catch(() => {});
  const reply = await downloadWithFerry({
    url: item.finalUrl || item.url,
    referrer: item.referrer,
    fileName: baseName(item.filename),
  });
  if (reply.ok) {
    await api.downloads.cancel(item.id).catch(() => {});
    await api.downloads.erase({ id: item.id }).catch(() => {});
  } else {
    await api.downloads.resume(item.id).catch(() => {});
  }
}
