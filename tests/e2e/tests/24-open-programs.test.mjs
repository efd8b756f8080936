// Opening a delivered file that can run programs asks first, as browsers do: Open on a
// completed script shows the question and nothing runs until the user agrees.

import assert from "node:assert/strict";
import { test } from "node:test";

import { screenshotWhenStill } from "../lib/desktop.mjs";
import { TestServer } from "../lib/servers.mjs";
import { ferryForThisFile } from "../lib/suite.mjs";
import { addDownload, byTestId, completeJob, visibleText, waitForState } from "../lib/ui.mjs";
import { waitFor } from "../lib/wait.mjs";

const suite = ferryForThisFile("open-programs", { server: TestServer });

test("Open on a delivered script asks before running it", async () => {
  const { ferry, server, session } = suite;
  const url = server.file("/open/report.sh", Buffer.from("#!/bin/sh\necho hello\n"));
  const jobId = await addDownload(session, { urls: [url], folder: ferry.downloads, name: "Script" });
  await waitForState(session, jobId, "TRANSFERRED");
  await completeJob(session, jobId);

  const message = await waitFor("the Complete message", () => session.find(byTestId("complete-outcome")));
  await (await message.find(byTestId("notice-open"))).click();
  const dialog = await waitFor("the question before opening", () => session.find(byTestId("confirm-dialog")));
  assert.match(
    await visibleText(session, dialog),
    /report\.sh can run programs on your computer\. Open it anyway\?/,
  );
  await screenshotWhenStill("open-program-question");
  const dismiss = await dialog.find("button[data-autofocus]");
  assert.equal(await visibleText(session, dismiss), "Don’t open");
  await dismiss.click();
  await waitFor("the question to close", async () => (await session.findAll(byTestId("confirm-dialog"))).length === 0);
});
