// The Add dialog asks the server before adding: a pasted URL shows the file's name (from the
// server's Content-Disposition), size, type and "Can resume", and the job gets that name. A
// refused 3,000-character URL's error wraps inside the dialog, which never scrolls sideways.

import assert from "node:assert/strict";
import { test } from "node:test";

import { keepScreenshot, repaintScreen, screenshotWhenStill } from "../lib/desktop.mjs";
import { TestServer, randomFile } from "../lib/servers.mjs";
import { ferryForThisFile } from "../lib/suite.mjs";
import { addDownload, byTestId, fill, paste, visibleText, waitForState } from "../lib/ui.mjs";
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

test("the error of a 3,000-character URL wraps inside the dialog", async () => {
  const { ferry, server, session } = suite;
  const url = server.url(`/${"a".repeat(3000)}.bin`);

  await (await session.find(byTestId("add-job-button"))).click();
  const dialog = await waitFor("the Add dialog", () => session.find(byTestId("add-job-dialog")));
  await paste(session, await session.find(byTestId("add-urls")), url);
  await fill(session, await session.find(byTestId("add-folder")), ferry.downloads);
  await (await session.find(byTestId("add-submit"))).click();
  const error = await waitFor("the error under a field", () => dialog.find(".field-error"));
  assert.equal(await error.attribute("id"), "add-urls-error", await visibleText(session, error));
  assert.match(await visibleText(session, error), /longer than 2,200 characters/);

  const overflow = await session.execute(
    `const dialog = arguments[0];
     return [dialog, ...dialog.querySelectorAll("*")]
       .filter((element) => element.scrollWidth > element.clientWidth + 1 && element.tagName !== "TEXTAREA")
       .filter((element) => getComputedStyle(element).overflowX !== "visible" || element === dialog)
       .map((element) => \`\${element.tagName}.\${element.className} \${element.scrollWidth} > \${element.clientWidth}\`);`,
    [dialog],
  );
  assert.deepEqual(overflow, [], "nothing in the dialog is wider than its box");
  const widths = await session.execute(
    "const d = arguments[0]; return [d.scrollWidth, d.clientWidth];",
    [dialog],
  );
  assert.ok(widths[0] <= widths[1], `the dialog has no horizontal overflow: ${widths}`);
  await repaintScreen();
  await screenshotWhenStill("add-long-url");
});
