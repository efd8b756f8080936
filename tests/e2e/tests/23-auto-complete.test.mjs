// Auto-complete: a download ticked "Complete by itself" in the Add dialog leaves the list with
// its file in place, and the notification says where the file is, with Open and Show in folder
// (as the session's real notification server received it).

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { test } from "node:test";

import { waitForNotification } from "../lib/notifications.mjs";
import { TestServer, randomFile, sha256OfFile } from "../lib/servers.mjs";
import { ferryForThisFile } from "../lib/suite.mjs";
import { addDownload, byTestId, waitForRowGone } from "../lib/ui.mjs";

const suite = ferryForThisFile("auto-complete", { server: TestServer });

test("an auto-complete download is in place without Complete and the notification offers Open", async () => {
  const { ferry, server, session } = suite;
  const file = randomFile(256 << 10);
  // Held half-way, so the row is seen before the job leaves the list by itself.
  const url = server.heldFile("/auto/report.pdf", file.body);
  const jobId = await addDownload(session, { urls: [url], folder: ferry.downloads, name: "Report" }, async () => {
    await (await session.find(byTestId("add-auto-complete"))).click();
  });

  await server.waitForHold("/auto/report.pdf");
  server.release("/auto/report.pdf");
  await waitForRowGone(session, jobId);
  const path = join(ferry.downloads, "report.pdf");
  assert.equal(sha256OfFile(path), file.sha256, "the file is in place under its name");
  assert.ok(readFileSync(path).length > 0);

  const folder = basename(ferry.downloads);
  const call = await waitForNotification(`that report.pdf is in ${folder}`, (text) =>
    text.startsWith(`report.pdf is in ${folder}`),
  );
  assert.deepEqual(call.actions, ["default", "Show Ferry", "open", "Open", "show", "Show in folder"]);
  assert.match(call.body, /completed Report by itself/);
});
