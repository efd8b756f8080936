// Acceptance 1: add a download from a local server, watch it progress to TRANSFERRED, Complete
// it, and find the file on disk with the right content.

import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { keepScreenshot, screenshotWhenStill } from "../lib/desktop.mjs";
import { TestServer, randomFile, sha256OfFile } from "../lib/servers.mjs";
import { ferryForThisFile } from "../lib/suite.mjs";
import { addDownload, byTestId, completeJob, jobRow, visibleText, waitForState } from "../lib/ui.mjs";
import { waitFor } from "../lib/wait.mjs";

const suite = ferryForThisFile("download-complete", { server: TestServer });

test("a download shows its progress, reaches TRANSFERRED and Complete keeps the file", async () => {
  const { ferry, server, session } = suite;
  const file = randomFile(8 << 20);
  const url = server.heldFile("/files/sample.bin", file.body);
  const folder = ferry.downloads;
  const jobId = await addDownload(session, { urls: [url], folder, name: "Sample download" });

  // Half the file has been sent and the server holds the rest: the row shows a job under way.
  await server.waitForHold("/files/sample.bin");
  await waitForState(session, jobId, "TRANSFERRING");
  const progress = await (await jobRow(session, jobId)).find('[role="progressbar"]');
  const shown = await waitFor("progress between 0 and 100 %", async () => {
    const now = Number(await progress.attribute("aria-valuenow"));
    const max = Number((await progress.attribute("aria-valuemax")) ?? 100);
    return now > 0 && now < max ? { now, max } : undefined;
  });
  assert.ok(shown.now < shown.max, "a job half-way is not shown as finished");
  keepScreenshot(await screenshotWhenStill("main-window"), "main-window");

  server.release("/files/sample.bin");
  await waitForState(session, jobId, "TRANSFERRED");
  assert.deepEqual(readdirSync(ferry.downloads).filter((n) => n === "sample.bin"), [],
    "the file is not in place before Complete");

  await completeJob(session, jobId);
  const outcome = await waitFor("the Complete outcome", () =>
    session.find(byTestId("complete-outcome")),
  );
  assert.match(await visibleText(session, outcome), /Sample download/);

  assert.deepEqual(readdirSync(ferry.downloads), ["sample.bin"], "only the finished file is left");
  assert.equal(sha256OfFile(join(ferry.downloads, "sample.bin")), file.sha256);
});
