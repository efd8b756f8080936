// Acceptance 7: Ferry's icon sits in the system tray, and its menu's "Pause all" suspends
// every job; a job in ERROR turns the icon to attention and the menu's status line says so.

import assert from "node:assert/strict";
import { test } from "node:test";

import { keepScreenshot, pressKeys, screenshotWhenStill, trayIcons } from "../lib/desktop.mjs";
import { TestServer, randomFile } from "../lib/servers.mjs";
import { ferryForThisFile } from "../lib/suite.mjs";
import { chooseTrayMenuItem, openTrayMenu, redPixelsOf } from "../lib/tray.mjs";
import { addDownload, jobRows, waitForState } from "../lib/ui.mjs";
import { waitFor } from "../lib/wait.mjs";

const suite = ferryForThisFile("tray", { server: TestServer });

test("the tray shows Ferry's icon", async () => {
  const icons = await waitFor("an icon in the tray", () => {
    const found = trayIcons();
    return found.length > 0 ? found : undefined;
  });
  assert.equal(icons.length, 1, "one icon: Ferry's");
  assert.ok(icons[0].owner.includes('"ferry-tray"'), `the docked window is ferry-tray's: ${icons[0].owner}`);
});

test("Pause all in the tray menu suspends every job", async () => {
  const { ferry, server, session } = suite;
  const jobIds = [];
  for (const name of ["First running", "Second running"]) {
    const path = `/tray/${jobIds.length}.bin`;
    const url = server.heldFile(path, randomFile(2 << 20).body);
    jobIds.push(await addDownload(session, { urls: [url], folder: ferry.downloads, name }));
  }
  for (const jobId of jobIds) await waitForState(session, jobId, "TRANSFERRING", "QUEUED");

  const [icon] = trayIcons();
  await openTrayMenu(icon);
  keepScreenshot(await screenshotWhenStill("tray"), "tray");

  chooseTrayMenuItem("Pause all");
  for (const jobId of jobIds) await waitForState(session, jobId, "SUSPENDED");
  const states = (await jobRows(session)).map((row) => row.state);
  assert.deepEqual(states, ["SUSPENDED", "SUSPENDED"]);
});

test("a job in ERROR turns the tray icon to attention and its status line says so", async () => {
  const { ferry, server, session } = suite;
  const [icon] = trayIcons();
  assert.ok(redPixelsOf(icon) <= 10, "no job needs attention yet: no red badge");

  const jobId = await addDownload(session, {
    urls: [server.missing("/tray/gone.bin")],
    folder: ferry.downloads,
    name: "Gone",
  });
  await waitForState(session, jobId, "ERROR");

  await waitFor("the attention badge on the tray icon", () => redPixelsOf(trayIcons()[0]) > 10);
  await waitFor("the tray's status line to name the job that needs attention", () =>
    ferry.readLog("tray.log").includes("1 needs attention"),
  );
  // The status line above Show Ferry is not one the keyboard stops on.
  await openTrayMenu(trayIcons()[0]);
  keepScreenshot(await screenshotWhenStill("tray-attention"), "tray-attention");
  pressKeys("Escape");
});
