// The options page: whether Ferry answers, the downloads take-over, the sites whose cookies
// may go to Ferry (each one a host permission the user grants here), and the last answer.

import { sendToFerry } from "./ferry.js";
import { api, loadSettings, saveSettings } from "./settings.js";

const $ = (id) => document.getElementById(id);

async function showStatus() {
  const reply = await sendToFerry({ v: 1, kind: "ping" });
  const status = $("status");
  status.className = reply.ok ? "ok" : "error";
  status.textContent = reply.ok ? `Ferry ${reply.version} is ready.` : reply.error.message;
}

async function showSettings() {
  const settings = await loadSettings();
  $("take-over").checked = settings.takeOver;
  $("min-mib").value = settings.takeOverMinMiB;
  $("types").value = settings.takeOverTypes.join(", ");
  const list = $("cookie-sites");
  list.replaceChildren(
    ...settings.cookieSites.map((site) => {
      const item = document.createElement("li");
      const remove = document.createElement("button");
      remove.textContent = "Remove";
      remove.addEventListener("click", () => removeSite(site));
      item.append(site, remove);
      return item;
    }),
  );
  const { lastReply } = await api.storage.local.get("lastReply");
  if (lastReply) {
    $("last-reply").textContent = lastReply.ok
      ? `${lastReply.name} → ${lastReply.path}`
      : `Refused: ${lastReply.error.message}`;
  }
}

async function addSite(event) {
  event.preventDefault();
  let origin;
  try {
    origin = new URL($("site").value).origin;
  } catch {
    return;
  }
  if (!/^https?:/.test(origin)) return;
  // Asked on the click itself: browsers grant permissions only during a user gesture.
  const granted = await api.permissions.request({ origins: [`${origin}/*`] });
  if (!granted) return;
  const { cookieSites } = await loadSettings();
  if (!cookieSites.includes(origin)) await saveSettings({ cookieSites: [...cookieSites, origin] });
  $("site").value = "";
  await showSettings();
}

async function removeSite(origin) {
  const { cookieSites } = await loadSettings();
  await saveSettings({ cookieSites: cookieSites.filter((site) => site !== origin) });
  await api.permissions.remove({ origins: [`${origin}/*`] }).catch(() => {});
  await showSettings();
}

function saveTakeOver() {
  const types = $("types")
    .value.split(",")
    .map((type) => type.trim())
    .filter(Boolean);
  return saveSettings({
    takeOver: $("take-over").checked,
    takeOverMinMiB: Math.max(0, Number($("min-mib").value) || 0),
    takeOverTypes: types,
  });
}

for (const id of ["take-over", "min-mib", "types"]) $(id).addEventListener("change", saveTakeOver);
$("add-site").addEventListener("submit", addSite);
showSettings();
showStatus();
