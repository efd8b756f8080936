// Acceptance 2: Complete a download job half-way (its second file is still coming, slowly) and
// keep only the files that finished. Then a job whose last file finishes while the question is
// open: the question follows the job and Complete keeps all three files.

import assert from "node:assert/strict";
import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { screenshotWhenStill } from "../lib/desktop.mjs";
import { TestServer, randomFile, sha256OfFile } from "../lib/servers.mjs";
import { ferryForThisFile } from "../lib/suite.mjs";
import {
  addDownload,
  byTestId,
  clickRowButton,
  confirm,
  jobRow,
  visibleText,
  waitForRowGone,
  waitForState,
} from "../lib/ui.mjs";
import { waitFor } from "../lib/wait.mjs";

/** Complete's code when only some files were kept. */
const BG_S_PARTIAL_COMPLETE = 0x00200017;

const suite = ferryForThisFile("partial-complete", { server: TestServer });

test("Complete on a half-finished job keeps the finished file and discards the other", async () => {
  const { ferry, server, session } = suite;
  const first = randomFile(1 << 20);
  const second = randomFile(4 << 20);
  const urls = [
    server.file("/set/first.bin", first.body),
    server.heldFile("/set/second.bin", second.body),
  ];
  const jobId = await addDownload(session, { urls, folder: ferry.downloads, name: "Two files" });

  // Files go one after another: once the second is being sent, the first is done.
  await server.waitForHold("/set/second.bin");
  await waitForState(session, jobId, "TRANSFERRING");
  // What a person sees before pressing Complete: the row counts the first file as done.
  await waitFor("the row to count one file of two as done", async () =>
    /\b1\/2\b/.test(await visibleText(session, await jobRow(session, jobId))) || undefined,
  );

  await clickRowButton(session, jobId, "complete-button");
  const kept = await waitFor("the list of kept files", () =>
    session.find(byTestId("confirm-list-kept")),
  );
  const keptText = await visibleText(session, kept);
  assert.match(keptText, /first\.bin/);
  assert.doesNotMatch(keptText, /second\.bin/);
  await confirm(session);

  await waitForRowGone(session, jobId);
  const outcome = await waitFor("the Complete outcome", () =>
    session.find(byTestId("complete-outcome")),
  );
  assert.equal(Number(await outcome.attribute("data-code")), BG_S_PARTIAL_COMPLETE);
  assert.deepEqual(readdirSync(ferry.downloads), ["first.bin"], "only the finished file is left");
  assert.equal(sha256OfFile(join(ferry.downloads, "first.bin")), first.sha256);
});

test("The Complete question follows the job: its last file finishes while it is open", async () => {
  const { ferry, server, session } = suite;
  const folder = join(ferry.downloads, "three");
  mkdirSync(folder);
  const bodies = [randomFile(1 << 16), randomFile(1 << 16), randomFile(1 << 20)];
  const urls = [
    server.file("/three/a.bin", bodies[0].body),
    server.file("/three/b.bin", bodies[1].body),
    server.heldFile("/three/c.bin", bodies[2].body),
  ];
  const jobId = await addDownload(session, { urls, folder, name: "Three files" });
  await server.waitForHold("/three/c.bin");
  await waitFor("the row to count two files of three as done", async () =>
    /\b2\/3\b/.test(await visibleText(session, await jobRow(session, jobId))) || undefined,
  );

  await clickRowButton(session, jobId, "complete-button");
  const discarded = await waitFor("the list of discarded files", () =>
    session.find(byTestId("confirm-list-discarded")),
  );
  assert.match(await visibleText(session, discarded), /c\.bin/);

  server.release("/three/c.bin");
  await waitFor("the question to say every file is kept", async () =>
    /keeps all 3 files/.test(await visibleText(session, await session.find(byTestId("confirm-message")))) ||
    undefined,
  );
  await screenshotWhenStill("complete-question-followed");
  await confirm(session);

  await waitForRowGone(session, jobId);
  assert.deepEqual(readdirSync(folder).sort(), ["a.bin", "b.bin", "c.bin"], "Complete kept all three files");
  assert.equal(sha256OfFile(join(folder, "c.bin")), bodies[2].sha256);
});
