// One queue, many clients: a job made with the `ferry` command line shows in the open window
// with its progress, and what the window does to it (Complete, Cancel) is what `ferry` reports.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";

import { FERRY_APP } from "../lib/env.mjs";
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

const run = promisify(execFile);
/** The `ferry` command line, built beside the app. */
const FERRY_CLI = join(dirname(FERRY_APP), "ferry");

const suite = ferryForThisFile("cli-client", { server: TestServer });

/** Runs `ferry ARGS` on the app's data folder; resolves to { code, stdout, stderr }. */
async function ferry(...args) {
  const env = { ...process.env, FERRY_DATA_DIR: suite.ferry.dataDir };
  try {
    const { stdout, stderr } = await run(FERRY_CLI, args, { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    return { code: error.code, stdout: error.stdout, stderr: error.stderr };
  }
}

const bare = (id) => id.trim().replace(/^\{|\}$/g, "");

test("a job made with ferry shows in the window with its progress and Complete there is what ferry sees", async () => {
  const { ferry: app, server, session } = suite;
  const file = randomFile(4 << 20);
  const url = server.heldFile("/cli/from-the-shell.bin", file.body);
  const path = join(app.downloads, "from-the-shell.bin");

  const made = await ferry("transfer", "--no-wait", "--name", "From the shell", url, path);
  assert.equal(made.code, 0, made.stderr);
  const jobId = bare(made.stdout);
  await server.waitForHold("/cli/from-the-shell.bin");

  await waitForState(session, jobId, "TRANSFERRING");
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

/** The pid of the owner holding the app's data folder, from its lock file. */
function ownerPid() {
  return Number(readFileSync(join(suite.ferry.dataDir, "ferry.lock"), "utf8").split(" ")[0]);
}

test("an owner killed mid-transfer is started again by the window and the job finishes", async () => {
  const { ferry: app, server, session } = suite;
  const file = randomFile(4 << 20);
  const url = server.heldFile("/cli/survivor.bin", file.body);
  const path = join(app.downloads, "survivor.bin");
  const made = await ferry("transfer", "--no-wait", "--name", "Survivor", url, path);
  assert.equal(made.code, 0, made.stderr);
  const jobId = bare(made.stdout);
  await server.waitForHold("/cli/survivor.bin");
  await waitForState(session, jobId, "TRANSFERRING");

  const killed = ownerPid();
  process.kill(killed, "SIGKILL");
  server.release("/cli/survivor.bin");

  await waitFor("a new owner to hold the data folder", () => {
    try {
      const pid = ownerPid();
      return pid !== killed && pid > 0;
    } catch {
      return false;
    }
  });
  await waitForState(session, jobId, "TRANSFERRED");
  assert.equal((await ferry("getstate", jobId)).stdout.trim(), "TRANSFERRED");
  await completeJob(session, jobId);
  await waitForRowGone(session, jobId);
  assert.equal(sha256OfFile(path), file.sha256);
});
