// One queue, many clients: a job made with the `ferry` command line shows in the open window
// with its progress, and what the window does to it (Complete, Cancel) is what `ferry` reports.

import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";

import { TestServer, randomFile, sha256OfFile } from "../lib/servers.mjs";
import { ferryForThisFile } from "../lib/suite.mjs";
import {
  clickRowButton,
  completeJob,
  confirm,
  jobRow,
  visibleText,
  waitForRowGone,
  waitForState,
} from "../lib/ui.mjs";
import { waitFor } from "../lib/wait.mjs";

const suite = ferryForThisFile("cli-client", { server: TestServer });

/** Runs `ferry ARGS` on the app's data folder; resolves to { code, stdout, stderr }. */
const ferry = (...args) => suite.ferry.cli(...args);

const bare = (id) => id.trim().replace(/^\{|\}$/g, "");

/**
 * Makes a job with `ferry transfer --no-wait` for a 4 MiB file its server holds half-way, and
 * waits until the window shows it transferring. Returns { file, path, jobId }.
 */
async function heldTransfer(name, fileName) {
  const { ferry: app, server, session } = suite;
  const file = randomFile(4 << 20);
  const url = server.heldFile(`/cli/${fileName}`, file.body);
  const path = join(app.downloads, fileName);
  // One connection: the server holds its one answer half-way, so the progress stays at half
  // (more connections would fetch the other half over ranges).
  const made = await ferry("transfer", "--no-wait", "--connections", "1", "--name", name, url, path);
  assert.equal(made.code, 0, made.stderr);
  const jobId = bare(made.stdout);
  await server.waitForHold(`/cli/${fileName}`);
  await waitForState(session, jobId, "TRANSFERRING");
  return { file, path, jobId };
}

test("a job made with ferry shows in the window with its progress and Complete there is what ferry sees", async () => {
  const { server, session } = suite;
  const { file, path, jobId } = await heldTransfer("From the shell", "from-the-shell.bin");
  const bar = await (await jobRow(session, jobId)).find('[role="progressbar"]');
  await waitFor("the row's progress to show the bytes that arrived", async () => {
    const percent = Number(await bar.attribute("aria-valuenow"));
    return percent >= 40 && percent <= 60;
  });
  assert.match(await visibleText(session, await jobRow(session, jobId)), /From the shell/);

  server.release("/cli/from-the-shell.bin");
  await waitForState(session, jobId, "TRANSFERRED");
  assert.equal((await ferry("getstate", jobId)).stdout.trim(), "TRANSFERRED");
  await completeJob(session, jobId);
  await waitForRowGone(session, jobId);

  const after = await ferry("info", jobId);
  assert.equal(after.code, 1, "the completed job left the queue");
  assert.match(after.stderr, /the job is ACKNOWLEDGED/);
  assert.equal(sha256OfFile(path), file.sha256);
});

test("Cancel in the window removes a job ferry made, and ferry list agrees", async () => {
  const { ferry: app, session } = suite;
  const made = await ferry("create", "Made in a terminal");
  assert.equal(made.code, 0, made.stderr);
  const jobId = bare(made.stdout);
  const added = await ferry(
    "addfile",
    jobId,
    "http://127.0.0.1:9/never.bin",
    join(app.downloads, "never.bin"),
  );
  assert.equal(added.code, 0, added.stderr);

  await waitForState(session, jobId, "SUSPENDED");
  await clickRowButton(session, jobId, "cancel-button");
  await confirm(session);
  await waitForRowGone(session, jobId);

  const listed = await ferry("list");
  assert.equal(listed.code, 0, listed.stderr);
  assert.ok(!listed.stdout.includes(jobId), listed.stdout);
});

test("an owner killed mid-transfer is started again by the window and the job finishes", async () => {
  const { ferry: app, server, session } = suite;
  const { file, path, jobId } = await heldTransfer("Survivor", "survivor.bin");

  const killed = app.ownerPid();
  process.kill(killed, "SIGKILL");
  server.release("/cli/survivor.bin");

  await waitFor("a new owner to hold the data folder", () => {
    const pid = app.ownerPid();
    return pid !== undefined && pid !== killed;
  });
  await waitForState(session, jobId, "TRANSFERRED");
  assert.equal((await ferry("getstate", jobId)).stdout.trim(), "TRANSFERRED");
  await completeJob(session, jobId);
  await waitForRowGone(session, jobId);
  assert.equal(sha256OfFile(path), file.sha256);
});
