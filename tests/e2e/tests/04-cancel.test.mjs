// Acceptance 3: Cancel a download under way and see its temporary files gone.

import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { test } from "node:test";

import { TestServer, randomFile } from "../lib/servers.mjs";
import { ferryForThisFile } from "../lib/suite.mjs";
import { addDownload, clickRowButton, confirm, waitForRowGone, waitForState } from "../lib/ui.mjs";
import { waitFor } from "../lib/wait.mjs";

const suite = ferryForThisFile("cancel", { server: TestServer });

test("Cancel deletes the temporary files of a transfer under way", async () => {
  const { ferry, server, session } = suite;
  const file = randomFile(4 << 20);
  const url = server.heldFile("/big/cancel-me.bin", file.body);
  const folder = ferry.downloads;
  const jobId = await addDownload(session, { urls: [url], folder, name: "To be cancelled" });

  await server.waitForHold("/big/cancel-me.bin");
  await waitForState(session, jobId, "TRANSFERRING");
  const temporaries = await waitFor("a temporary file in the destination folder", () => {
    const names = readdirSync(ferry.downloads);
    return names.length > 0 ? names : undefined;
  });
  assert.ok(!temporaries.includes("cancel-me.bin"), "the file is not in place before Complete");

  await clickRowButton(session, jobId, "cancel-button");
  await confirm(session);
  await waitForRowGone(session, jobId);
  await waitFor("the destination folder to be empty", () =>
    readdirSync(ferry.downloads).length === 0,
  );
  assert.deepEqual(readdirSync(ferry.downloads), []);
});
