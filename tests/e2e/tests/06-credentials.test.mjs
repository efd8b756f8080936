// Acceptance 5: a 401 prompts for credentials; with them the job finishes.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { Ferry } from "../lib/app.mjs";
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
  ferry = await Ferry.start("credentials");
  session = await ferry.open();
});

after(async () => {
  await ferry?.stop();
  await server?.close();
});

test("a 401 prompts for credentials, and with them the job finishes", async () => {
  const file = randomFile(256 << 10);
  const url = server.protectedFile("/private/payroll.csv", file.body, "alice", "s3cret word");
  const folder = ferry.downloads;
  const jobId = await addDownload(session, { urls: [url], folder, name: "Payroll" });

  await waitForState(session, jobId, "ERROR");
  const prompt = await openErrorPrompt(session, jobId);
  assert.equal(await promptCode(prompt), httpErrorCode(401));

  await fill(session, await prompt.find(byTestId("credentials-user")), "alice");
  await fill(session, await prompt.find(byTestId("credentials-password")), "s3cret word");
  await (await prompt.find(byTestId("credentials-submit"))).click();

  await waitForState(session, jobId, "TRANSFERRED");
  const authorised = server.requests.filter(
    (r) => r.path === "/private/payroll.csv" && r.authorization,
  );
  assert.ok(authorised.length > 0, "the file was fetched with credentials");
  await clickRowButton(session, jobId, "complete-button");
  await waitForRowGone(session, jobId);
  assert.equal(sha256(readFileSync(join(ferry.downloads, "payroll.csv"))), file.sha256);
});
