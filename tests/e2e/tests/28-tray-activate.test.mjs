// Where the desktop's tray is a StatusNotifierItem host (KDE Plasma, GNOME's AppIndicator
// extension, Xfce, waybar), Ferry's icon is a StatusNotifierItem of its own: a left click (the
// host calls Activate) opens the window, and the menu the host shows on a right click has the
// status line and the same items as everywhere else. The host here is lib/sni-host.py, which
// does over D-Bus what those trays do; with no host (every other test file) the icon goes to
// the XEmbed tray.

import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";

import { Ferry } from "../lib/app.mjs";
import { appWindowsOf, trayIcons } from "../lib/desktop.mjs";
import { findDescendant } from "../lib/processes.mjs";
import { TRAY_MENU } from "../lib/tray.mjs";
import { sleep, waitFor } from "../lib/wait.mjs";

const HOST_SCRIPT = join(import.meta.dirname, "..", "lib", "sni-host.py");
const ITEM_INTERFACE = "org.kde.StatusNotifierItem";

let host;
let hostLines = [];
let ferry;

before(async () => {
  host = spawn("/usr/bin/python3", [HOST_SCRIPT], { stdio: ["ignore", "pipe", "inherit"] });
  createInterface({ input: host.stdout }).on("line", (line) => hostLines.push(line));
  await waitFor("the StatusNotifierItem host", () => hostLines.includes("ready"));
  ferry = await Ferry.start("tray-activate", { driver: false });
});
after(async () => {
  try {
    await ferry?.stop();
  } finally {
    host?.kill("SIGTERM");
  }
});

/** Calls a D-Bus method on the session bus with gdbus; returns its answer as GVariant text. */
function dbusCall(destination, path, method, ...args) {
  return execFileSync(
    "gdbus",
    ["call", "--session", "--dest", destination, "--object-path", path, "--method", method, ...args],
    { encoding: "utf8" },
  );
}

/** The item that registered with the host: { name, path }. */
function registeredItem() {
  const line = hostLines.find((l) => l.startsWith("item "));
  if (!line) return undefined;
  const [, name, path] = line.split(" ");
  return { name, path };
}

/** The labels of the item's menu, top to bottom, as the host reads them (dbusmenu GetLayout). */
function menuLabels(item) {
  const menuPath = /objectpath '([^']+)'/.exec(
    dbusCall(item.name, item.path, "org.freedesktop.DBus.Properties.Get", ITEM_INTERFACE, "Menu"),
  )[1];
  const layout = dbusCall(item.name, menuPath, "com.canonical.dbusmenu.GetLayout", "0", "int32 -1", "@as []");
  return [...layout.matchAll(/'label': <'([^']*)'>/g)].map((match) => match[1]);
}

test("with a StatusNotifierItem host, the icon registers with it and its menu has the status line and the items", async () => {
  ferry.launch(["--hidden"]);
  assert.equal(await ferry.exited, 0, "the window's program exits at once");
  const item = await waitFor("the tray's item to register", () => registeredItem());
  const title = dbusCall(item.name, item.path, "org.freedesktop.DBus.Properties.Get", ITEM_INTERFACE, "Title");
  assert.match(title, /'Ferry'/);
  const labels = await waitFor("the menu", () => {
    const found = menuLabels(item);
    return found.length > 0 && found;
  });
  assert.deepEqual(labels, ["Nothing to transfer", ...TRAY_MENU], "status line first, then the items");
  await sleep(1_000);
  assert.equal(trayIcons().length, 0, "no second icon in the XEmbed tray");
});

test("a left click on the icon (Activate) opens the window", async () => {
  const tray = await waitFor("the tray's pid", () => ferry.trayPid());
  assert.equal(findDescendant(tray, "ferry-desktop"), undefined, "no window yet");
  const item = registeredItem();
  dbusCall(item.name, item.path, `${ITEM_INTERFACE}.Activate`, "0", "0");
  const app = await waitFor("the window's process", () => findDescendant(tray, "ferry-desktop"));
  await waitFor("the window on screen", () => appWindowsOf(app.pid)[0]);
});
