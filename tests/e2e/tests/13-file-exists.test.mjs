// Complete never replaces a file the user already has: the prompt offers Replace, Keep both
// and Choose a name; Keep both puts the download beside it as "name (2).ext".

import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { keepScreenshot, screenshotWhenStill } from "../lib/desktop.mjs";
import { TestServer, randomFile, sha256, sha256OfFile } from "../lib/servers.mjs";
import { ferryForThisFile } from "../lib/suite.mjs";
import {
  addDownload,
  byTestId,
  clickRowButton,
  openErrorPrompt,
  promptCode,
  waitForRowGone,
  waitForState,
} from "../lib/ui.mjs";
import { waitFor } from "../lib/wait.mjs";

/** HRESULT_FROM_WIN32(ERROR_FILE_EXISTS). */
const ERROR_FILE_EXISTS = 0x80070050;

const suite = ferryForThisFile("file-exists", { server: TestServer });

test("a file that exists is kept at Complete, and Keep both puts the download beside it", async () => {
  const { ferry, server, session } = suite;
  const mine = Buffer.from("my own notes, written before the download\n");
  const existing = join(ferry.downloads, "notes.txt");
  const file = randomFile(128 << 10);
  const url = server.file("/notes.txt", file.body);
  const jobId = await addDownload(session, { urls: [url], folder: ferry.downloads, name: "Notes" });

  await waitForState(session, jobId, "TRANSFERRED");
  // The user's file appears after the job was added (one there before would have made the
  // window pick "notes (2).txt" at once): Complete must still never replace it.
  writeFileSync(existing, mine);
  await clickRowButton(session, jobId, "complete-button");
  // Its outcome shows above the list and moves the list down: the row is clicked once it has,
  // as a person reads the message first (a click while it appears lands on what moved there).
  const outcome = await waitFor("Complete's outcome", () => session.find(byTestId("complete-outcome")));
  assert.equal(await promptCode(outcome), ERROR_FILE_EXISTS);
  const prompt = await openErrorPrompt(session, jobId);
  assert.equal(await promptCode(prompt), ERROR_FILE_EXISTS);
  assert.equal(sha256(readFileSync(existing)), sha256(mine), "the user's file is untouched");
  await waitFor("the Keep both button", () => prompt.find(byTestId("file-exists-keep-both")));
  keepScreenshot(await screenshotWhenStill("file-exists"), "file-exists");

  await (await prompt.find(byTestId("file-exists-keep-both"))).click();
  await waitForRowGone(session, jobId);
  assert.equal(sha256(readFileSync(existing)), sha256(mine), "the user's file is still untouched");
  assert.equal(sha256OfFile(join(ferry.downloads, "notes (2).txt")), file.sha256);
});
