// Accessibility inside the real window: axe-core audits every page and dialog with jobs in
// several states and finds no serious or critical violation (every control has a name, contrast
// is enough, roles are right); a dialog gives focus back where it was when it closes; the
// shortcuts overlay opens on F1 and lists the same shortcuts as the README's table.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { keepScreenshot, screenshotWhenStill } from "../lib/desktop.mjs";
import { TestServer, randomFile } from "../lib/servers.mjs";
import { ferryForThisFile } from "../lib/suite.mjs";
import {
  addDownload,
  byTestId,
  completeJob,
  jobRow,
  openErrorPrompt,
  visibleText,
  waitForState,
} from "../lib/ui.mjs";
import { waitFor } from "../lib/wait.mjs";

const REPO = join(import.meta.dirname, "..", "..", "..");
const AXE_SOURCE = readFileSync(join(REPO, "ui", "node_modules", "axe-core", "axe.min.js"), "utf8");
const WEBDRIVER_KEYS = { F1: "\uE031", Escape: "\uE00C" };

const suite = ferryForThisFile("accessibility", { server: TestServer });

/**
 * Runs axe-core on the page as it is now and returns its serious and critical violations as
 * readable lines ("rule: what — the elements").
 */
async function seriousViolations(session) {
  await session.execute(`if (!window.axe) { ${AXE_SOURCE} } return true;`);
  const violations = await session.execute(
    `return window.axe
       .run(document, { resultTypes: ["violations"] })
       .then((results) => results.violations
         .filter((v) => v.impact === "serious" || v.impact === "critical")
         .map((v) => v.id + ": " + v.help + " — " + v.nodes
           .map((n) => n.target.join(" ") + " (" + n.any.concat(n.all).map((c) => c.message).join("; ") + ")")
           .join(", ")));`,
  );
  return violations;
}

/** Audits the window as it is and fails with every serious or critical violation found. */
async function audit(session, where) {
  const found = await seriousViolations(session);
  assert.deepEqual(found, [], `accessibility violations on ${where}:\n${found.join("\n")}`);
}

/** Which element has focus, by its data-testid (or its tag when it has none). */
function focusedTestId(session) {
  return session.execute(
    "const e = document.activeElement; return e ? e.getAttribute('data-testid') || e.tagName : null;",
  );
}

/** Clicks `testId`, waits for the dialog `dialogTestId`, closes it with Escape. */
async function openAndEscape(session, testId, dialogTestId) {
  await (await session.find(byTestId(testId))).click();
  const dialog = await waitFor(`the dialog ${dialogTestId}`, () => session.find(byTestId(dialogTestId)));
  await dialog.type(WEBDRIVER_KEYS.Escape);
  await waitFor(`the dialog ${dialogTestId} to close`, async () => (await session.findAll(byTestId(dialogTestId))).length === 0);
}

test("every page and dialog passes the audit, and dialogs give focus back", async () => {
  const { ferry, server, session } = suite;
  await waitFor("the empty list", () => session.find(byTestId("add-job-button")));
  await audit(session, "the empty transfers page");

  const done = randomFile(64 << 10);
  const held = randomFile(512 << 10);
  const doneId = await addDownload(session, {
    urls: [server.file("/a11y/done.bin", done.body)],
    folder: ferry.downloads,
    name: "Finished file",
  });
  const heldId = await addDownload(session, {
    urls: [server.heldFile("/a11y/held.bin", held.body)],
    folder: ferry.downloads,
    name: "Moving file",
  });
  const missingId = await addDownload(session, {
    urls: [server.missing("/a11y/missing.bin")],
    folder: ferry.downloads,
    name: "Missing file",
  });
  await waitForState(session, doneId, "TRANSFERRED");
  await waitForState(session, heldId, "TRANSFERRING");
  await waitForState(session, missingId, "ERROR");
  await audit(session, "the transfers page with jobs");

  await openErrorPrompt(session, missingId);
  await audit(session, "the details pane with an error prompt");

  await openAndEscape(session, "add-job-button", "add-job-dialog");
  assert.equal(await focusedTestId(session), "add-job-button", "focus goes back to Add job");
  await (await session.find(byTestId("add-job-button"))).click();
  await waitFor("the Add dialog", () => session.find(byTestId("add-job-dialog")));
  await audit(session, "the Add dialog");
  await (await session.find(byTestId("add-job-dialog"))).type(WEBDRIVER_KEYS.Escape);

  await (await (await jobRow(session, heldId)).find(byTestId("cancel-button"))).click();
  await waitFor("the Cancel confirmation", () => session.find(byTestId("confirm-dialog")));
  await audit(session, "the Cancel confirmation");
  await (await session.find(byTestId("confirm-dialog"))).type(WEBDRIVER_KEYS.Escape);

  await openAndEscape(session, "shortcuts-button", "shortcuts-dialog");
  assert.equal(await focusedTestId(session), "shortcuts-button", "focus goes back to the shortcuts button");

  await completeJob(session, doneId);
  await (await session.find(byTestId("nav-history"))).click();
  await waitFor("the History page", () => session.find(byTestId("history-page")));
  await audit(session, "the History page");
  await (await session.find(byTestId("nav-settings"))).click();
  await waitFor("the Settings page", () => session.find(byTestId("settings-page")));
  await audit(session, "the Settings page");
  await (await session.find(byTestId("nav-transfers"))).click();
  server.release("/a11y/held.bin");
});

test("F1 shows the shortcuts, the same ones the README lists", async () => {
  const { session } = suite;
  const grid = await waitFor("the job list", () => session.find('[role="grid"]'));
  await grid.click();
  await grid.type(WEBDRIVER_KEYS.F1);
  const dialog = await waitFor("the shortcuts overlay", () => session.find(byTestId("shortcuts-dialog")));
  await audit(session, "the shortcuts overlay");
  keepScreenshot(await screenshotWhenStill("shortcuts"), "shortcuts");

  const rows = await session.execute(
    `return Array.from(arguments[0].querySelectorAll("tbody tr")).map((row) => ({
       keys: Array.from(row.querySelectorAll("kbd")).map((k) => k.textContent.trim()),
       does: row.cells[1].textContent.trim(),
     }));`,
    [dialog],
  );
  assert.ok(rows.length >= 10, `the overlay lists ${rows.length} shortcuts`);
  const readme = readFileSync(join(REPO, "README.md"), "utf8");
  for (const { keys, does } of rows) {
    const line = `| ${keys.map((key) => `<kbd>${key}</kbd>`).join(" or ")} | ${does} |`;
    assert.ok(readme.includes(line), `the README's shortcuts table lacks: ${line}`);
  }
  assert.match(await visibleText(session, dialog), /Pause or resume the selected job/);
  await dialog.type(WEBDRIVER_KEYS.Escape);
  await waitFor("the overlay to close", async () => (await session.findAll(byTestId("shortcuts-dialog"))).length === 0);
});
