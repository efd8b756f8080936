// "Start Ferry when I log in" in Settings writes an XDG autostart entry in the session's
// $XDG_CONFIG_HOME/autostart that runs this very program (FERRY_APP: the build, or the
// installed /usr/bin/ferry-desktop when the package test runs this file) with --hidden; turning
// it off removes the entry. The entry's own command, as the session runs it at login, starts
// the tray and the owner and no window.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";

import { Ferry } from "../lib/app.mjs";
import { appWindowsOf } from "../lib/desktop.mjs";
import { FERRY_APP } from "../lib/env.mjs";
import { findDescendant } from "../lib/processes.mjs";
import { ferryForThisFile } from "../lib/suite.mjs";
import { byTestId, saveSettings } from "../lib/ui.mjs";
import { sleep, waitFor } from "../lib/wait.mjs";
import { waitForTrayIcon } from "../lib/tray.mjs";

const suite = ferryForThisFile("start-at-login");

/** The entry "Start at login" writes, in this Ferry's XDG_CONFIG_HOME. */
const entryPath = () =>
  join(suite.ferry.environment().XDG_CONFIG_HOME, "autostart", "Ferry.desktop");

/** The value of `key` in the [Desktop Entry] group of `text`. */
function entryValue(text, key) {
  return text.match(new RegExp(`^${key}=(.*)$`, "m"))?.[1];
}

/** Sets the switch on the Settings page to `on` and saves; waits for "Settings saved.". */
async function setStartAtLogin(on) {
  const { session } = suite;
  await (await session.find(byTestId("nav-settings"))).click();
  const toggle = await waitFor("the start-at-login switch", () =>
    session.find(byTestId("start-at-login")),
  );
  if ((await toggle.property("checked")) !== on) await toggle.click();
  assert.equal(await toggle.property("checked"), on, "the switch shows the choice");
  await saveSettings(session);
  await (await session.find(byTestId("nav-transfers"))).click();
}

/** The Ferry the entry's command starts, on a data folder of its own. */
let atLogin;
after(async () => {
  await atLogin?.stop();
});

test("turning the switch on writes an autostart entry that starts this program hidden", async () => {
  assert.ok(!existsSync(entryPath()), "no entry before the switch is on");
  await setStartAtLogin(true);

  const entry = readFileSync(entryPath(), "utf8");
  assert.match(entry, /^\[Desktop Entry\]\n/, "a desktop entry");
  assert.equal(entryValue(entry, "Type"), "Application");
  // The program names itself by its real path (/proc/self/exe).
  const program = realpathSync(FERRY_APP);
  assert.equal(entryValue(entry, "Exec"), `${program} --hidden`, "this program, hidden");
  const stored = JSON.parse(readFileSync(join(suite.ferry.dataDir, "settings.json"), "utf8"));
  assert.equal(stored.start_at_login, true, "the owner stored the choice");
});

test("turning the switch off removes the entry", async () => {
  await setStartAtLogin(false);
  assert.ok(!existsSync(entryPath()), "the entry is gone");
  const stored = JSON.parse(readFileSync(join(suite.ferry.dataDir, "settings.json"), "utf8"));
  assert.equal(stored.start_at_login, false, "the owner stored the choice");
});

test("the entry's command starts the tray and the owner, and no window", async () => {
  await setStartAtLogin(true);
  const [program, ...args] = entryValue(readFileSync(entryPath(), "utf8"), "Exec").split(" ");
  await setStartAtLogin(false);

  atLogin = await Ferry.start("start-at-login-session", { driver: false });
  const child = spawn(program, args, { env: atLogin.environment(), stdio: "ignore" });
  const code = await new Promise((resolve) => child.once("exit", resolve));
  assert.equal(code, 0, "the program exits once the tray runs");
  const tray = await waitFor("the tray", () => atLogin.trayPid());
  await waitFor("the owner", () => atLogin.ownerPid());
  await waitForTrayIcon();
  await sleep(2_000);
  assert.equal(findDescendant(tray, "ferry-desktop"), undefined, "no window's process");
  assert.deepEqual(appWindowsOf(tray), [], "the tray shows no window");
  assert.deepEqual(appWindowsOf(child.pid), [], "the program left no window");
});
