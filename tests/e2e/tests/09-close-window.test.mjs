// Acceptance 8: closing the window keeps Ferry running in the tray, and transfers go on.

import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";

import { isViewable, windowsOf } from "../lib/desktop.mjs";
import { isAlive } from "../lib/processes.mjs";
import { TestServer, randomFile, sha256OfFile } from "../lib/servers.mjs";
import { ferryForThisFile } from "../lib/suite.mjs";
import { chooseTrayMenuItem, openTrayMenu, waitForTrayIcon } from "../lib/tray.mjs";
import { addDownload, completeJob, waitForState } from "../lib/ui.mjs";
import { waitFor } from "../lib/wait.mjs";
import { requestClose } from "../lib/x11-close.mjs";

const suite = ferryForThisFile("close-window", { server: TestServer });

test("a download finishes with the window closed and shows TRANSFERRED when reopened", async () => {
  const { ferry, server, session } = suite;
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

  await openTrayMenu(await waitForTrayIcon());
  chooseTrayMenuItem("Show Ferry");
  await waitFor("the window to be shown again", () => isViewable(main.id));

  await waitForState(session, jobId, "TRANSFERRED");
  await completeJob(session, jobId);
  assert.equal(sha256OfFile(join(ferry.downloads, "night.iso")), file.sha256);
});
