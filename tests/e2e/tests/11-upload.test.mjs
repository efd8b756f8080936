// Uploads from the window: an UPLOAD job sends a file to a BITS server and Complete acknowledges
// it; an UPLOAD_REPLY job also brings back the server's reply, which lands at the reply file
// only on Complete.

import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { BitsUploadServer } from "../lib/bits-upload-server.mjs";
import { randomFile, sha256 } from "../lib/servers.mjs";
import { ferryForThisFile } from "../lib/suite.mjs";
import { addJob, byTestId, completeJob, fill, waitForState } from "../lib/ui.mjs";
import { waitFor } from "../lib/wait.mjs";

const suite = ferryForThisFile("upload", { server: BitsUploadServer });

/**
 * Adds an upload job through the Add dialog (`type` is "upload" or "upload_reply") and returns
 * the id of the job row that appears with that name.
 */
function addUpload(type, { file, serverUrl, replyFile, name }) {
  const { session } = suite;
  return addJob(session, name, async () => {
    await (await session.find(byTestId(`add-type-${type}`))).click();
    const fileField = await waitFor("the upload file field", () =>
      session.find(byTestId("add-upload-file")),
    );
    await fill(session, fileField, file);
    await fill(session, await session.find(byTestId("add-server-url")), serverUrl);
    if (replyFile !== undefined) {
      await fill(session, await session.find(byTestId("add-reply-file")), replyFile);
    }
  });
}

/** Writes random content to a new file under Ferry's test folder and returns it with its path. */
function sourceFile(name, size) {
  const folder = join(suite.ferry.root, "outbox");
  mkdirSync(folder, { recursive: true });
  const file = randomFile(size);
  const path = join(folder, name);
  writeFileSync(path, file.body);
  return { ...file, path };
}

test("an upload reaches TRANSFERRED and the server holds the same bytes", async () => {
  const { server, session } = suite;
  const file = sourceFile("report.bin", 300 * 1024);
  const serverUrl = server.url("/uploads/report.bin");
  const jobId = await addUpload("upload", { file: file.path, serverUrl, name: "Report upload" });

  await waitForState(session, jobId, "TRANSFERRED");
  await completeJob(session, jobId);

  const received = await server.waitForUpload("/uploads/report.bin");
  assert.equal(received.length, file.body.length);
  assert.equal(sha256(received), file.sha256);
});

test("an upload with reply writes the server's reply only on Complete", async () => {
  const { ferry, server, session } = suite;
  const file = sourceFile("form.bin", 64 * 1024);
  const reply = Buffer.from(`receipt for ${file.sha256}\n`);
  const serverUrl = server.replyUrl("/uploads/form.bin", reply);
  const replyFolder = join(ferry.root, "replies");
  mkdirSync(replyFolder);
  const replyFile = join(replyFolder, "receipt.txt");
  const jobId = await addUpload("upload_reply", {
    file: file.path,
    serverUrl,
    replyFile,
    name: "Form upload",
  });

  await waitForState(session, jobId, "TRANSFERRED");
  assert.equal(sha256(await server.waitForUpload("/uploads/form.bin")), file.sha256);
  assert.equal(existsSync(replyFile), false, "the reply file is not in place before Complete");

  await completeJob(session, jobId);
  assert.deepEqual(readFileSync(replyFile), reply);
});
