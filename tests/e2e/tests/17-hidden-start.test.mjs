// Started at login (--hidden), Ferry sits in the tray without building its window, so without
// any WebKit process; the first Show Ferry in the tray builds the window, so does a second
// launch once it was closed, and Quit works with no window at all.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, test } from "node:test";

import { Ferry } from "../lib/app.mjs";
import { FERRY_APP } from "../lib/env.mjs";
import { appWindowsOf, isViewable } from "../lib/desktop.mjs";
import { hasWebProcess, isAlive, programsOf } from "../lib/processes.mjs";
import { chooseTrayMenuItem, openTrayMenu, waitForTrayIcon } from "../lib/tray.mjs";
import { sleep, waitFor } from "../lib/wait.mjs";
import { requestClose } from "../lib/x11-close.mjs";

let ferry;

before(async () => {
  ferry = await Ferry.start("hidden-start", { driver: false });
  ferry.launch(["--hidden"]);
});
after(() => ferry?.stop());

test("--hidden builds no window and starts no WebKit process", async () => {
  await waitForTrayIcon();
  await sleep(3_000);
  assert.deepEqual(appWindowsOf(ferry.pid), [], "no window on screen");
  assert.deepEqual(
    programsOf(ferry.pid).sort(),
    ["ferry", "ferry-desktop"],
    "the app and the owner it started, no WebKit process",
  );
});

test("the first Show Ferry from the tray builds the window", async () => {
  await openTrayMenu(await waitForTrayIcon());
  chooseTrayMenuItem("Show Ferry");
  const main = await waitFor("the window", () => appWindowsOf(ferry.pid)[0]);
  assert.ok(main.width >= 720 && main.height >= 440, `window is ${main.width}x${main.height}`);
  await waitFor("the web process", () => hasWebProcess(ferry.pid));

  await requestClose(main.id);
  await waitFor("the window to be gone", () => !isViewable(main.id));
  await waitFor("the web process to exit", () => !hasWebProcess(ferry.pid));
  assert.ok(isAlive(ferry.pid), "Ferry stays in the tray");
});

test("a second launch brings the closed window back and exits", async () => {
  const second = spawn(FERRY_APP, [], { env: ferry.environment(), stdio: "ignore" });
  const exited = new Promise((resolve) => second.once("exit", resolve));
  const main = await waitFor("the window", () => appWindowsOf(ferry.pid)[0]);
  assert.equal(await exited, 0, "the second launch hands over and exits");
  assert.ok(isAlive(ferry.pid), "the first Ferry shows the window");

  await requestClose(main.id);
  await waitFor("the window to be gone", () => !isViewable(main.id));
  await waitFor("the web process to exit", () => !hasWebProcess(ferry.pid));
});

test("Quit from the tray ends Ferry with no window open", async () => {
  await openTrayMenu(await waitForTrayIcon());
  chooseTrayMenuItem("Quit");
  const pid = ferry.pid;
  await waitFor("Ferry to exit", () => !isAlive(pid));
  assert.equal(await ferry.exited, 0, "a clean exit");
});
