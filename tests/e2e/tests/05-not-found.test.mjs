// Acceptance 4: a 404 shows the error prompt; fixing the URL in it lets the job finish.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { Ferry } from "../lib/app.mjs";
import { keepScreenshot, screenshotWhenStill } from "../lib/desktop.mjs";
import { TestServer, randomFile, sha256 } from "../lib/servers.mjs";
import {
  addDownload,
  byTestId,
  clickRowButton,
  fill,
  httpErrorCode,
  openErrorPrompt,
  promptCode,
  waitForRowGone,
  waitForState,
} from "../lib/ui.mjs";

let ferry;
let server;
let session;

before(async () => {
  server = await TestServer.start();
  ferry = await Ferry.start("not-found");
  session = await ferry.open();
});

after(async () => {
  await ferry?.stop();
  await server?.close();
});

test("a 404 prompts for another URL, and the corrected job finishes", async () => {
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
  await clickRowButton(session, jobId, "complete-button");
  await waitForRowGone(session, jobId);
  assert.equal(sha256(readFileSync(join(ferry.downloads, "report.pdf"))), file.sha256);
});
