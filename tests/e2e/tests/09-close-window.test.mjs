// Acceptance 8: closing the window ends the window's process (and with it the WebKit
// processes) while the tray (ferry-tray) and the owner stay and transfers go on; Show Ferry
// starts a window again where it was, on the same job. No WebDriver session follows a new
// process: the reopened window's place is read from X, and its view in a fresh session.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { appWindowsOf, isViewable, placeWindow } from "../lib/desktop.mjs";
import { findDescendant, hasWebProcess, isAlive, programName } from "../lib/processes.mjs";
import { TestServer, randomFile, sha256OfFile } from "../lib/servers.mjs";
import { ferryForThisFile } from "../lib/suite.mjs";
import { chooseTrayMenuItem, openTrayMenu, waitForTrayIcon } from "../lib/tray.mjs";
import {
  addDownload,
  byTestId,
  completeJob,
  jobRow,
  visibleText,
  waitForState,
} from "../lib/ui.mjs";
import { sleep, waitFor } from "../lib/wait.mjs";
import { requestClose } from "../lib/x11-close.mjs";

const suite = ferryForThisFile("close-window", { server: TestServer });

/** Where the test puts the window before closing it: not where Ferry would put a new one. */
const PLACE = { x: 200, y: 90, width: 900, height: 600 };

/** The file the first test downloads, checked by the second once completed. */
const file = randomFile(4 << 20);

/** The job the first test made. */
let jobId;

test("closing the window ends its process, the tray and the owner stay, and a download finishes", async () => {
  const { ferry, server, session } = suite;
  const url = server.heldFile("/bg/night.iso", file.body);
  const folder = ferry.downloads;
  jobId = await addDownload(session, { urls: [url], folder, name: "Overnight" });
  await server.waitForHold("/bg/night.iso");
  await (await jobRow(session, jobId)).click();
  await waitFor("the job's details", () => session.find(byTestId("job-details")));

  const window = ferry.pid;
  const tray = await waitFor("the tray", () => ferry.trayPid());
  const owner = ferry.ownerPid();
  const [main] = appWindowsOf(window);
  placeWindow(main.id, PLACE);
  await waitFor("the window to move", () => {
    const [moved] = appWindowsOf(window);
    return moved.x === PLACE.x && moved.width === PLACE.width;
  });
  const windowTree = ferry.windowProcesses(window);
  assert.ok(windowTree.length >= 3, "the window's process and its WebKit processes");
  await requestClose(main.id);
  await waitFor("the window to be gone", () => !isViewable(main.id));
  await waitFor("the window's process and its WebKit processes to exit", () =>
    windowTree.every((pid) => !isAlive(pid)),
  );
  const left = ferry.processes().map((p) => programName(p.pid)).sort();
  assert.deepEqual(left, ["ferry", "ferry-tray"], "the owner and the tray, no WebKit process");
  assert.ok(isAlive(tray) && isAlive(owner), "the tray and the owner stay");

  const kept = JSON.parse(readFileSync(join(ferry.dataDir, "window.json"), "utf8"));
  assert.deepEqual(kept.geometry.size, { width: PLACE.width, height: PLACE.height });
  assert.match(kept.view, new RegExp(`job=${jobId}`), "the view names the selected job");

  server.release("/bg/night.iso");
  await server.waitForCompletedResponse("/bg/night.iso");
  await sleep(1_000);
  assert.ok(isAlive(tray), "the tray still runs once the download is done");
});

test("Show Ferry starts the window again where it was, at once, and on the same job", async () => {
  const { ferry } = suite;
  const tray = ferry.trayPid();
  await openTrayMenu(await waitForTrayIcon());
  const asked = Date.now();
  chooseTrayMenuItem("Show Ferry");
  const app = await waitFor("the window's process", () => findDescendant(tray, "ferry-desktop"));
  const reopened = await waitFor("the window again", () => appWindowsOf(app.pid)[0]);
  const took = Date.now() - asked;
  // The menu's key presses take about 0.3 s of this.
  assert.ok(took < 1_500, `the window took ${took} ms to come back`);
  const { x, y, width, height } = reopened;
  assert.deepEqual({ x, y, width, height }, PLACE, "the same size and position as when closed");
  await waitFor("its web process", () => hasWebProcess(app.pid));
  await requestClose(reopened.id);
  await waitFor("that window's process to exit", () => !isAlive(app.pid));

  // A fresh session starts the window's program as Show Ferry does: it opens on the same job.
  await ferry.session.delete().catch(() => {});
  const session = await ferry.open();
  const [again] = appWindowsOf(ferry.pid);
  assert.deepEqual(
    { x: again.x, y: again.y, width: again.width, height: again.height },
    PLACE,
    "still where it was",
  );
  const details = await waitFor("the details again", () => session.find(byTestId("job-details")));
  assert.match(await visibleText(session, details), /Overnight/, "the details show the same job");

  await waitForState(session, jobId, "TRANSFERRED");
  await completeJob(session, jobId);
  assert.equal(sha256OfFile(join(ferry.downloads, "night.iso")), file.sha256);
});
