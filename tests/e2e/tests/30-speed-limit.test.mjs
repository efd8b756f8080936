// A job's own speed limit from the window: the Add dialog's advanced options show it and the
// connections per file; a limit set in the job's details holds the transfer to it (the bytes
// the owner reports received, read with `ferry info --json` as a terminal beside the window
// would: the server's own count would include what the loopback sockets buffer, megabytes
// here), the row shows a quiet mark, and emptying the field lifts the limit so the file
// finishes and completes with the server's bytes.

import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";

import { keepScreenshot, repaintScreen, screenshotWhenStill } from "../lib/desktop.mjs";
import { OwnerApi } from "../lib/owner-api.mjs";
import { TestServer, randomFile, sha256OfFile } from "../lib/servers.mjs";
import { ferryForThisFile } from "../lib/suite.mjs";
import {
  addDownload,
  byTestId,
  completeJob,
  fill,
  jobRow,
  waitForState,
} from "../lib/ui.mjs";
import { sleep, waitFor } from "../lib/wait.mjs";

/** The limit set in the details: 200 kB/s. */
const LIMIT = 200_000;
/** How long the server's count is watched. */
const MEASURE_MS = 5_000;

const suite = ferryForThisFile("speed-limit", { server: TestServer });

test("a limit set in the details holds the transfer to it, and emptying the field lifts it", async () => {
  const { ferry, server, session } = suite;
  // 32 MB: loopback sends it in well under a second without the limit, 160 s with it.
  const file = randomFile(32_000_000);
  const url = server.file("/big/limited.bin", file.body);
  const received = async () => {
    const info = await ferry.cli("info", jobId, "--json");
    assert.equal(info.code, 0, info.stderr);
    return JSON.parse(info.stdout).progress.bytes_transferred;
  };

  const api = await OwnerApi.connect(ferry.socketPath());
  const settings = await api.call("get_settings");
  api.close();

  const jobId = await addDownload(session, { urls: [url], folder: ferry.downloads, name: "Limited download" }, async () => {
    await (await session.find(byTestId("add-start"))).click();
    await (await session.find(byTestId("add-advanced"))).find("summary").then((summary) => summary.click());
    const connections = await waitFor("the connections per file", () => session.find(byTestId("add-connections")));
    assert.equal(await connections.property("value"), String(settings.connections), "the setting's default");
    const limit = await session.find(byTestId("add-speed-limit"));
    assert.equal(await limit.attribute("placeholder"), "No limit");
    await session.execute("arguments[0].scrollIntoView({ block: 'center' });", [connections]);
    await repaintScreen();
    keepScreenshot(await screenshotWhenStill("add-advanced"), "add-advanced");
  });
  await waitForState(session, jobId, "SUSPENDED");

  await (await jobRow(session, jobId)).click();
  const details = await waitFor("the details pane", () => session.find(byTestId("job-details")));
  const amount = await details.find(byTestId("details-speed-limit-amount"));
  assert.equal(await amount.property("value"), "");
  await fill(session, amount, "200");
  const unit = await details.find(byTestId("details-speed-limit-unit"));
  await (await unit.find('option[value="kB/s"]')).click();
  await (await details.find(byTestId("details-speed-limit-set"))).click();
  const mark = await waitFor("the row's limit mark", async () => (await jobRow(session, jobId)).find(byTestId("row-speed-limit")));
  assert.equal(await mark.attribute("aria-label"), "Speed limit: 200 kB/s");

  await (await details.find(byTestId("resume-button"))).click();
  const moving = await waitForState(session, jobId, "TRANSFERRING", "TRANSFERRED");
  assert.equal(moving, "TRANSFERRING", "32 MB at 200 kB/s takes minutes: the job is still transferring");
  await waitFor("the first bytes", async () => (await received()) > 0);
  const from = await received();
  const start = Date.now();
  await sleep(MEASURE_MS);
  const moved = (await received()) - from;
  const elapsed = (Date.now() - start) / 1000;
  // A second's worth of margin for the pieces in flight and the progress the owner last sampled.
  const allowed = LIMIT * (elapsed + 1);
  assert.ok(moved > 0, "the limited job still makes progress");
  assert.ok(moved <= allowed, `${moved} bytes in ${elapsed} s is over 200 kB/s (at most ${allowed})`);

  await repaintScreen();
  keepScreenshot(await screenshotWhenStill("speed-limit", { tries: 8 }), "speed-limit");

  // Emptied as a person does it: the End key, then Backspace over the digits.
  await amount.type("\uE010" + "\uE003".repeat(6));
  await (await details.find(byTestId("details-speed-limit-set"))).click();
  await waitFor("the row's limit mark to go", async () =>
    (await (await jobRow(session, jobId)).findAll(byTestId("row-speed-limit"))).length === 0,
  );
  assert.equal(await amount.attribute("placeholder"), "No limit");
  await waitForState(session, jobId, "TRANSFERRED");
  await completeJob(session, jobId);
  assert.equal(sha256OfFile(join(ferry.downloads, "limited.bin")), file.sha256);
});
