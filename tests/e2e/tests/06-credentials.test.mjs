// Acceptance 5: a 401 prompts for credentials; with them the job finishes.

import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";

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

const suite = ferryForThisFile("credentials", { server: TestServer });

test("a 401 prompts for credentials, and with them the job finishes", async () => {
  const { ferry, server, session } = suite;
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
  await completeJob(session, jobId);
  assert.equal(sha256OfFile(join(ferry.downloads, "payroll.csv")), file.sha256);
});
