// Acceptance 8: closing the window keeps Ferry running in the tray, and transfers go on.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { Ferry } from "../lib/app.mjs";
import {
  clickCentre,
  isViewable,
  pressKeys,
  trayIcons,
  viewableTopLevels,
  windowsOf,
} from "../lib/desktop.mjs";
import { isAlive } from "../lib/processes.mjs";
import { TestServer, randomFile, sha256 } from "../lib/servers.mjs";
import { addDownload, clickRowButton, waitForRowGone, waitForState } from "../lib/ui.mjs";
import { waitFor } from "../lib/wait.mjs";
import { requestClose } from "../lib/x11-close.mjs";

let ferry;
let server;
let session;

before(async () => {
  server = await TestServer.start();
  ferry = await Ferry.start("close-window");
  session = await ferry.open();
});

after(async () => {
  await ferry?.stop();
  await server?.close();
});

test("a download finishes with the window closed and shows TRANSFERRED when reopened", async () => {
  const file = randomFile(4 << 20);
  const url = server.heldFile("/bg/night.iso", file.body);
  const folder = ferry.downloads;
  const jobId = await addDownload(session, { urls: [url], folder, name: "Overnight" });
  await server.waitForHold("/bg/night.iso");

  const [main] = windowsOf(ferry.pid);
  await requestClose(main.id);
  await waitFor("the window to be hidden", () => !isViewable(main.id));
  assert.ok(isAlive(ferry.pid), "Ferry keeps running after its window is closed");

  server.release("/bg/night.iso");
  await server.waitForCompletedResponse("/bg/night.iso");

  // The tray menu reads: Show Ferry, Pause all, Resume all, Quit.
  const [icon] = await waitFor("Ferry's tray icon", () => trayIcons().length > 0 && trayIcons());
  const before = new Set(viewableTopLevels());
  clickCentre(icon);
  await waitFor("the tray menu to open", () => viewableTopLevels().some((id) => !before.has(id)));
  pressKeys("Down", "Return");
  await waitFor("the window to be shown again", () => isViewable(main.id));

  await waitForState(session, jobId, "TRANSFERRED");
  await clickRowButton(session, jobId, "complete-button");
  await waitForRowGone(session, jobId);
  assert.equal(sha256(readFileSync(join(ferry.downloads, "night.iso"))), file.sha256);
});
