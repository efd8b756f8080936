// Acceptance 8: closing the window releases it and its WebKit processes while Ferry stays in
// the tray and transfers go on; Show Ferry builds it again where it was, on the same job.

import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";

import { appWindowsOf, isViewable, placeWindow } from "../lib/desktop.mjs";
import { hasWebProcess, isAlive } from "../lib/processes.mjs";
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

test("a closed window leaves no web process, and a download finishes meanwhile", async () => {
  const { ferry, server, session } = suite;
  const url = server.heldFile("/bg/night.iso", file.body);
  const folder = ferry.downloads;
  const jobId = await addDownload(session, { urls: [url], folder, name: "Overnight" });
  await server.waitForHold("/bg/night.iso");
  await (await jobRow(session, jobId)).click();
  await waitFor("the job's details", () => session.find(byTestId("job-details")));

  const [main] = appWindowsOf(ferry.pid);
  placeWindow(main.id, PLACE);
  await waitFor("the window to move", () => {
    const [moved] = appWindowsOf(ferry.pid);
    return moved.x === PLACE.x && moved.width === PLACE.width;
  });
  await requestClose(main.id);
  await waitFor("the window to be gone", () => !isViewable(main.id));
  await waitFor("the web process to exit", () => !hasWebProcess(ferry.pid));
  assert.ok(isAlive(ferry.pid), "Ferry keeps running after its window is closed");
  assert.deepEqual(appWindowsOf(ferry.pid), [], "no window of Ferry's is left on screen");

  server.release("/bg/night.iso");
  await server.waitForCompletedResponse("/bg/night.iso");
  await sleep(1_000);
  assert.ok(isAlive(ferry.pid), "Ferry still runs once the download is done");
});

test("Show Ferry builds the window again where it was, on the same job, at once", async () => {
  const { ferry } = suite;
  await openTrayMenu(await waitForTrayIcon());
  const asked = Date.now();
  chooseTrayMenuItem("Show Ferry");
  const reopened = await waitFor("the window again", () => appWindowsOf(ferry.pid)[0]);
  const took = Date.now() - asked;
  // The menu's key presses take about 0.3 s of this.
  assert.ok(took < 1_500, `the window took ${took} ms to come back`);
  const { x, y, width, height } = reopened;
  assert.deepEqual({ x, y, width, height }, PLACE, "the same size and position as when closed");

  const session = await ferry.reattach();
  const row = await waitFor("the job's row", () => session.find(byTestId("job-row")));
  const jobId = await row.attribute("data-job-id");
  const details = await waitFor("the details again", () => session.find(byTestId("job-details")));
  assert.match(await visibleText(session, details), /Overnight/, "the details show the same job");

  await waitForState(session, jobId, "TRANSFERRED");
  await completeJob(session, jobId);
  assert.equal(sha256OfFile(join(ferry.downloads, "night.iso")), file.sha256);
});
