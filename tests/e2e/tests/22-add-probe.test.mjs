// The Add dialog asks the server before adding: a pasted URL shows the file's name (from the
// server's Content-Disposition), size, type and "Can resume", and the job gets that name.

import assert from "node:assert/strict";
import { test } from "node:test";

import { keepScreenshot, repaintScreen, screenshotWhenStill } from "../lib/desktop.mjs";
import { TestServer, randomFile } from "../lib/servers.mjs";
import { ferryForThisFile } from "../lib/suite.mjs";
import { addDownload, byTestId, visibleText, waitForState } from "../lib/ui.mjs";
import { waitFor } from "../lib/wait.mjs";

const suite = ferryForThisFile("add-probe", { server: TestServer });

test("a pasted URL shows the server's name, size, type and that it can resume", async () => {
  const { ferry, server, session } = suite;
  const file = randomFile(3 << 20);
  const url = server.file("/download", file.body, "application/pdf", {
    "content-disposition": "attachment; filename*=UTF-8''Ferry%20Handbook%20%E2%80%94%202.0.pdf",
  });
  const missing = server.missing("/old-release.zip");

  const jobId = await addDownload(session, { urls: [url, missing], folder: ferry.downloads, name: "Handbook" }, async () => {
    const names = await waitFor("the probed names", async () => {
      const found = await session.findAll(byTestId("add-probe-name"));
      return found.length === 2 ? found : undefined;
    });
    assert.equal((await visibleText(session, names[0])).trim(), "Ferry Handbook — 2.0.pdf");
    assert.equal((await visibleText(session, names[1])).trim(), "old-release.zip");
    const rows = await session.findAll(byTestId("add-probe-row"));
    const first = async (testId) => (await visibleText(session, await rows[0].find(byTestId(testId)))).trim();
    assert.equal(await first("add-probe-size"), "3.1 MB");
    assert.equal(await first("add-probe-type"), "application/pdf");
    assert.equal(await first("add-probe-resume"), "Can resume");
    const note = await rows[1].find(byTestId("add-probe-note"));
    assert.match(await visibleText(session, note), /Could not check this URL \(the server answered HTTP 404 Not Found\)/);
    await repaintScreen();
    keepScreenshot(await screenshotWhenStill("add-probe"), "add-probe");
  });

  // The missing file stops the job in ERROR once the first is in; the first got the server's name.
  await waitForState(session, jobId, "ERROR");
  const files = (await ferry.cli("listfiles", jobId)).stdout;
  assert.match(files, /Ferry Handbook — 2\.0\.pdf/);
  assert.ok(server.requests.some((r) => r.method === "HEAD" && r.path === "/download"), "the server was asked with HEAD");
});
