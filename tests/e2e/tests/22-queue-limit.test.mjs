// The queue limit (MaxJobsPerUser, lowered to 5 here): near it, the window says how many jobs
// wait for Complete or are in ERROR and the status bar counts the jobs against the limit; at it,
// the Add dialog's refusal says the same, and Complete all ready completes the ready jobs.

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { Ferry } from "../lib/app.mjs";
import { screenshotWhenStill } from "../lib/desktop.mjs";
import { TestServer, randomFile } from "../lib/servers.mjs";
import { addDownload, byTestId, fill, paste, visibleText, waitForState } from "../lib/ui.mjs";
import { waitFor } from "../lib/wait.mjs";

const LIMIT = 5;
let ferry;
let server;

before(async () => {
  server = await TestServer.start();
  ferry = await Ferry.start("queue-limit");
  ferry.writeSettings({
    policies: {
      JobInactivityTimeoutSecs: 90 * 24 * 3600,
      MaxJobsPerUser: LIMIT,
      MaxJobsPerMachine: 300,
      MaxFilesPerJob: 200,
      MaxRangesPerFile: 500,
    },
  });
  await ferry.open();
});

after(async () => {
  try {
    await ferry?.stop();
  } finally {
    await server?.close();
  }
});

const bare = (id) => id.trim().replace(/^\{|\}$/g, "");

/** Starts a download of `url` with `ferry transfer --no-wait`; returns its job id. */
async function transferNoWait(name, url, fileName) {
  const made = await ferry.cli("transfer", "--no-wait", "--name", name, url, join(ferry.downloads, fileName));
  assert.equal(made.code, 0, made.stderr);
  return bare(made.stdout);
}

async function textOf(session, testId) {
  return visibleText(session, await session.find(byTestId(testId)));
}

test("near and at MaxJobsPerUser the window says what waits and Complete all ready clears it", async () => {
  const session = ferry.session;
  const ready = [];
  for (const n of [1, 2, 3]) {
    const url = server.file(`/limit/ready-${n}.bin`, randomFile(32 << 10).body);
    ready.push(await transferNoWait(`Ready ${n}`, url, `ready-${n}.bin`));
  }
  const broken = await transferNoWait("Broken", server.missing("/limit/missing.bin"), "missing.bin");
  for (const id of ready) await waitForState(session, id, "TRANSFERRED");
  await waitForState(session, broken, "ERROR");

  const banner = await waitFor("the queue-limit banner", () => session.find(byTestId("queue-limit")));
  assert.equal(await banner.attribute("data-level"), "near");
  assert.match(await visibleText(session, banner), /4 of 5 jobs/);
  assert.match(await visibleText(session, banner), /Waiting for Complete: 3\. In error: 1\./);
  assert.equal(await textOf(session, "status-limit"), "4 of 5 jobs");
  await screenshotWhenStill("queue-limit-near");

  const held = server.heldFile("/limit/held.bin", randomFile(1 << 20).body);
  const fifth = await addDownload(session, { urls: [held], folder: ferry.downloads, name: "Fifth" });
  await waitFor("the banner to say the queue is full", async () =>
    (await (await session.find(byTestId("queue-limit"))).attribute("data-level")) === "reached",
  );

  // A sixth job is refused; the Add dialog says why and offers the same way out.
  await (await session.find(byTestId("add-job-button"))).click();
  const dialog = await waitFor("the Add dialog", () => session.find(byTestId("add-job-dialog")));
  await paste(session, await session.find(byTestId("add-urls")), server.file("/limit/sixth.bin", randomFile(1024).body));
  await fill(session, await session.find(byTestId("add-folder")), ferry.downloads);
  await (await session.find(byTestId("add-submit"))).click();
  const refusal = await waitFor("the limit in the Add dialog", () => dialog.find(byTestId("queue-limit")));
  const said = await visibleText(session, refusal);
  assert.match(said, /The queue is full: 5 of 5 jobs \(MaxJobsPerUser\)/);
  assert.match(said, /Waiting for Complete: 3\. In error: 1\./);
  await screenshotWhenStill("queue-limit-add-refused");

  await (await refusal.find(byTestId("queue-limit-complete-all"))).click();
  await waitFor("the message that 3 jobs were completed", async () =>
    /Completed 3 jobs\./.test(await visibleText(session, await session.find("body"))) || undefined,
  );
  for (const n of [1, 2, 3]) assert.ok(existsSync(join(ferry.downloads, `ready-${n}.bin`)), `ready-${n}.bin is in place`);
  await waitFor("the limit to leave the Add dialog", async () => (await dialog.findAll(byTestId("queue-limit"))).length === 0);
  await (await session.find(byTestId("add-submit"))).click();
  await waitFor("the Add dialog to close once the job is made", async () =>
    (await session.findAll(byTestId("add-job-dialog"))).length === 0,
  );
  await waitForState(session, broken, "ERROR");
  await waitForState(session, fifth, "TRANSFERRING", "CONNECTING", "QUEUED");
  await screenshotWhenStill("queue-limit-after");
});
