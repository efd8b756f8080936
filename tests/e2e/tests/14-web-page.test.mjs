// A server that answers with a web page where a file was asked for: the job stops before any
// byte is written, the prompt says so, and "Download the page anyway" takes the page.

import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";

import { keepScreenshot, screenshotWhenStill } from "../lib/desktop.mjs";
import { TestServer, sha256, sha256OfFile } from "../lib/servers.mjs";
import { ferryForThisFile } from "../lib/suite.mjs";
import {
  addDownload,
  byTestId,
  completeJob,
  openErrorPrompt,
  promptCode,
  waitForState,
} from "../lib/ui.mjs";

/** Ferry's own code for a web page in place of the file. */
const FERRY_E_WEB_PAGE_INSTEAD_OF_FILE = 0xa0fe0001;

const suite = ferryForThisFile("web-page", { server: TestServer });

test("a web page in place of a file stops the job, and the user may take the page", async () => {
  const { ferry, server, session } = suite;
  const page = Buffer.from("<!doctype html><title>Link expired</title><p>This link has expired.</p>\n");
  const url = server.file("/setup.iso", page, "text/html; charset=utf-8");
  const jobId = await addDownload(session, { urls: [url], folder: ferry.downloads, name: "Installer" });

  await waitForState(session, jobId, "ERROR");
  const prompt = await openErrorPrompt(session, jobId);
  assert.equal(await promptCode(prompt), FERRY_E_WEB_PAGE_INSTEAD_OF_FILE);
  keepScreenshot(await screenshotWhenStill("web-page"), "web-page");

  await (await prompt.find(byTestId("error-prompt-take-page"))).click();
  await waitForState(session, jobId, "TRANSFERRED");
  await completeJob(session, jobId);
  assert.equal(sha256OfFile(join(ferry.downloads, "setup.iso")), sha256(page));
});
