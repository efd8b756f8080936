// Acceptance 6: desktop notifications, as the session bus carries them to the notification
// server: one when a job is TRANSFERRED, one when the inactivity policy cancels a job.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";

import { waitForNotification } from "../lib/notifications.mjs";
import { TestServer, randomFile } from "../lib/servers.mjs";
import { ferryForThisFile } from "../lib/suite.mjs";
import { addDownload, clickRowButton, jobRows, waitForState } from "../lib/ui.mjs";
import { sleep, waitFor } from "../lib/wait.mjs";

/** The inactivity timeout the second launch runs with. */
const INACTIVITY_TIMEOUT_SECS = 2;

const suite = ferryForThisFile("notifications", { server: TestServer });

test("a TRANSFERRED job raises a notification naming it", async () => {
  const { ferry, server, session } = suite;
  const name = `Finished ${randomUUID().slice(0, 8)}`;
  const url = server.file("/n/done.bin", randomFile(64 << 10).body);
  const jobId = await addDownload(session, { urls: [url], folder: ferry.downloads, name });
  await waitForState(session, jobId, "TRANSFERRED");
  const call = await waitForNotification(`naming "${name}"`, (text) => text.includes(name));
  assert.ok(call.summary.length > 0);
});

test("a job left idle past JobInactivityTimeout is cancelled with a notification", async () => {
  const { ferry, server } = suite;
  let { session } = suite;
  const name = `Forgotten ${randomUUID().slice(0, 8)}`;
  const url = server.heldFile("/n/idle.bin", randomFile(1 << 20).body);
  const jobId = await addDownload(session, { urls: [url], folder: ferry.downloads, name });
  await server.waitForHold("/n/idle.bin");
  await clickRowButton(session, jobId, "suspend-button");
  await waitForState(session, jobId, "SUSPENDED");
  await ferry.quit();

  ferry.writeSettings({
    policies: {
      JobInactivityTimeoutSecs: INACTIVITY_TIMEOUT_SECS,
      MaxJobsPerUser: 60,
      MaxJobsPerMachine: 300,
      MaxFilesPerJob: 200,
      MaxRangesPerFile: 500,
    },
  });
  // Let the job's last activity fall behind the timeout before Ferry looks again.
  await sleep((INACTIVITY_TIMEOUT_SECS + 1) * 1000);
  session = await ferry.open();

  const call = await waitForNotification(`that "${name}" was cancelled`, (text) =>
    text.includes(name) && /cancel/i.test(text),
  );
  assert.ok(call.summary.length > 0);
  await waitFor(`"${name}" to be gone from the list`, async () =>
    (await jobRows(session)).every((row) => row.id !== jobId),
  );
});
