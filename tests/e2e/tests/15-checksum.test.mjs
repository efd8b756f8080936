// Checksums in the window: a pasted `sha256sum` line fills the Add dialog's Checksum field, the
// finished file shows "Verified by your checksum" and its SHA-256 with a Copy button, and a
// wrong checksum stops the file with the mismatch prompt and both digests.

import assert from "node:assert/strict";
import { test } from "node:test";

import { keepScreenshot, repaintScreen, screenshotWhenStill } from "../lib/desktop.mjs";
import { TestServer, randomFile } from "../lib/servers.mjs";
import { ferryForThisFile } from "../lib/suite.mjs";
import {
  addDownload,
  byTestId,
  fill,
  jobRow,
  openErrorPrompt,
  pasteAsClipboard,
  promptCode,
  visibleText,
  waitForState,
} from "../lib/ui.mjs";
import { waitFor } from "../lib/wait.mjs";

/** Ferry's own code for a file whose bytes do not match the expected checksum. */
const FERRY_E_CHECKSUM_MISMATCH = 0xa0fe0004;

const suite = ferryForThisFile("checksum", { server: TestServer });

test("a pasted sha256sum line verifies the download, whose SHA-256 can be copied", async (t) => {
  const { ferry, server, session } = suite;
  const file = randomFile(256 << 10);
  const other = randomFile(1024);
  const url = server.file("/ferry-1.0.tar.gz", file.body);
  const listing = `${other.sha256}  ferry-1.0.zip\n${file.sha256}  ferry-1.0.tar.gz\n`;

  const jobId = await addDownload(session, { urls: [url], folder: ferry.downloads, name: "Release" }, async () => {
    const field = await session.find(byTestId("add-checksum"));
    await pasteAsClipboard(session, field, listing);
    await waitFor("the checksum of the file's line", async () => (await field.property("value")) === `sha256:${file.sha256}`);
    await waitFor("the note under the field", () => session.find(byTestId("add-checksum-note")));
    await repaintScreen();
    keepScreenshot(await screenshotWhenStill("add-checksum"), "add-checksum");
  });

  await waitForState(session, jobId, "TRANSFERRED");
  await (await jobRow(session, jobId)).click();
  const details = await waitFor("the details pane", () => session.find(byTestId("job-details")));
  const line = await waitFor("the verification line", () => details.find(byTestId("file-verification")));
  assert.equal((await visibleText(session, line)).trim(), "Verified by your checksum");
  const shown = await waitFor("the SHA-256", () => details.find(byTestId("file-sha256")));
  assert.equal((await visibleText(session, shown)).trim(), file.sha256);

  await repaintScreen();
  await (await details.find(byTestId("copy-sha256"))).click();
  const note = await waitFor("the Copy confirmation", () => details.find(byTestId("copy-sha256-note")));
  const said = (await visibleText(session, note)).trim();
  if (said === "Copied") {
    const copied = await session.execute(
      "return navigator.clipboard.readText().then((text) => text, () => null);",
    );
    if (copied !== null) assert.equal(copied, file.sha256, "the clipboard holds the SHA-256");
    t.diagnostic(copied === null ? "Copied shown; the page may not read the clipboard back" : "clipboard read back");
  } else {
    assert.match(said, /selected, press Ctrl\+C/);
    t.diagnostic("the clipboard was refused; the value was selected for Ctrl+C");
    assert.equal(await session.execute("return String(window.getSelection());"), file.sha256);
  }
  keepScreenshot(await screenshotWhenStill("verified"), "verified");
});

test("a wrong checksum stops the file with the mismatch prompt and both digests", async () => {
  const { ferry, server, session } = suite;
  const file = randomFile(64 << 10);
  const url = server.file("/damaged.bin", file.body);
  const wrong = "0".repeat(64);

  const jobId = await addDownload(session, { urls: [url], folder: ferry.downloads, name: "Damaged" }, async () => {
    await fill(session, await session.find(byTestId("add-checksum")), wrong);
  });

  await waitForState(session, jobId, "ERROR");
  const prompt = await openErrorPrompt(session, jobId);
  assert.equal(await promptCode(prompt), FERRY_E_CHECKSUM_MISMATCH);
  assert.match(await visibleText(session, prompt), /The file does not match its checksum/);
  assert.equal((await visibleText(session, await prompt.find(byTestId("checksum-expected")))).trim(), `sha256:${wrong}`);
  assert.equal((await visibleText(session, await prompt.find(byTestId("checksum-actual")))).trim(), `sha256:${file.sha256}`);
  assert.equal((await visibleText(session, await prompt.find(byTestId("error-prompt-submit")))).trim(), "Download this file again");
  assert.ok(await prompt.find(byTestId("error-prompt-complete-without")));
});
