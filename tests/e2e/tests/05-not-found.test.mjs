// Acceptance 4: a 404 shows the error prompt; fixing the URL in it lets the job finish.

import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";

import { keepScreenshot, screenshotWhenStill } from "../lib/desktop.mjs";
import { TestServer, randomFile, sha256OfFile } from "../lib/servers.mjs";
import { ferryForThisFile } from "../lib/suite.mjs";
import {
  addDownload,
  byTestId,
  completeJob,
  fill,
  httpErrorCode,
  openErrorPrompt,
  promptCode,
  waitForState,
} from "../lib/ui.mjs";

const suite = ferryForThisFile("not-found", { server: TestServer });

test("a 404 prompts for another URL, and the corrected job finishes", async () => {
  const { ferry, server, session } = suite;
  const file = randomFile(256 << 10);
  const wrongUrl = server.missing("/old/report.pdf");
  const rightUrl = server.file("/new/report.pdf", file.body);
  const folder = ferry.downloads;
  const jobId = await addDownload(session, { urls: [wrongUrl], folder, name: "Moved report" });

  await waitForState(session, jobId, "ERROR");
  const prompt = await openErrorPrompt(session, jobId);
  assert.equal(await promptCode(prompt), httpErrorCode(404));
  keepScreenshot(await screenshotWhenStill("error-prompt"), "error-prompt");

  const urlField = await prompt.find(byTestId("error-prompt-url"));
  await fill(session, urlField, rightUrl);
  await (await prompt.find(byTestId("error-prompt-submit"))).click();

  await waitForState(session, jobId, "TRANSFERRED");
  await completeJob(session, jobId);
  assert.equal(sha256OfFile(join(ferry.downloads, "report.pdf")), file.sha256);
});
