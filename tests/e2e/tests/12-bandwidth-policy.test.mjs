// Acceptance 103 from the window: a MaxInternetBandwidth policy whose window is the whole day
// with a cap of 0 holds a NORMAL download in TRANSIENT_ERROR (BG_E_BLOCKED_BY_POLICY) without a
// byte being requested; "Run as Foreground now" releases it, since FOREGROUND jobs are never
// limited, and Complete keeps the file as the server has it.

import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { TestServer, randomFile, sha256OfFile } from "../lib/servers.mjs";
import { ferryForThisFile } from "../lib/suite.mjs";
import {
  addDownload,
  byTestId,
  completeJob,
  fill,
  jobRow,
  openErrorPrompt,
  promptCode,
  saveSettings,
  visibleText,
  waitForState,
} from "../lib/ui.mjs";
import { waitFor } from "../lib/wait.mjs";

/** BG_E_BLOCKED_BY_POLICY. */
const BG_E_BLOCKED_BY_POLICY = 0x8020003e;

const suite = ferryForThisFile("bandwidth-policy", { server: TestServer });

/** Turns the policy on in the Settings page: the whole day (equal hours), cap 0 inside. */
async function blockBackgroundJobsAllDay() {
  const { ferry, session } = suite;
  await (await session.find(byTestId("nav-settings"))).click();
  const enabled = await waitFor("the bandwidth policy switch", () =>
    session.find(byTestId("bandwidth-enabled")),
  );
  await enabled.click();
  await waitFor("the window hours to accept input", async () =>
    (await session.find(byTestId("bandwidth-startHour"))).isEnabled(),
  );
  await fill(session, await session.find(byTestId("bandwidth-startHour")), "9");
  await fill(session, await session.find(byTestId("bandwidth-endHour")), "9");
  await (await session.find(byTestId("bandwidth-inWindow-limited"))).click();
  await fill(session, await session.find(byTestId("bandwidth-inWindow-kbps")), "0");
  const window = await session.find(byTestId("bandwidth-window"));
  assert.match(await visibleText(session, window), /All day/);

  await saveSettings(session);
  const stored = JSON.parse(readFileSync(join(ferry.dataDir, "settings.json"), "utf8"));
  assert.deepEqual(
    stored.policies.MaxInternetBandwidth,
    { Enabled: true, StartHour: 9, EndHour: 9, InWindowKbps: 0, OutsideKbps: null },
    "the shell stored the policy the page showed",
  );
  await (await session.find(byTestId("nav-transfers"))).click();
}

/** Adds a download at NORMAL priority through the Add dialog; returns the new row's job id. */
function addNormalDownload({ url, folder, name }) {
  const { session } = suite;
  return addDownload(session, { urls: [url], folder, name }, async () => {
    const priority = await session.find(byTestId("add-priority"));
    await (await priority.find('option[value="NORMAL"]')).click();
    assert.equal(await priority.property("value"), "NORMAL", "the dialog took NORMAL priority");
  });
}

test("a whole-day cap of 0 holds a NORMAL download until it runs as FOREGROUND", async () => {
  const { ferry, server, session } = suite;
  const file = randomFile(1 << 20);
  const url = server.file("/files/held.bin", file.body);

  await blockBackgroundJobsAllDay();
  const jobId = await addNormalDownload({ url, folder: ferry.downloads, name: "Held download" });

  await waitForState(session, jobId, "TRANSIENT_ERROR");
  const prompt = await openErrorPrompt(session, jobId);
  assert.equal(await promptCode(prompt), BG_E_BLOCKED_BY_POLICY);
  assert.equal(await prompt.attribute("data-kind"), "blocked-by-policy");
  assert.match(await visibleText(session, prompt), /resumes by itself when the window ends/);
  // The Add dialog's look at the URL (a HEAD, or a GET of byte 0) is the dialog's, not the job's.
  const probe = (request) => request.method === "HEAD" || request.range === "bytes=0-0";
  assert.deepEqual(
    server.requests.filter((request) => request.path === "/files/held.bin" && !probe(request)),
    [],
    "a held background job asks the server for nothing",
  );

  const runNow = await prompt.find(byTestId("error-prompt-submit"));
  assert.equal(await visibleText(session, runNow), "Run as Foreground now");
  await runNow.click();

  await waitForState(session, jobId, "TRANSFERRED");
  const priority = await (await jobRow(session, jobId)).find(byTestId("priority-select"));
  assert.equal(await priority.property("value"), "FOREGROUND");
  await completeJob(session, jobId);

  assert.deepEqual(readdirSync(ferry.downloads), ["held.bin"], "only the finished file is left");
  assert.equal(sha256OfFile(join(ferry.downloads, "held.bin")), file.sha256);
});
