// The window, the tray's status line and the notifications in Brazilian Portuguese: Português
// (Brasil) is chosen in Settings, then one walk through the job list (jobs in several states,
// an error prompt), the Add dialog, a job's details, History and Settings finds no English
// text of the window's catalogue left on screen.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { keepScreenshot, pressKeys, screenshotWhenStill } from "../lib/desktop.mjs";
import { waitForNotification } from "../lib/notifications.mjs";
import { TestServer, randomFile } from "../lib/servers.mjs";
import { ferryForThisFile } from "../lib/suite.mjs";
import {
  addDownload,
  byTestId,
  clickRowButton,
  completeJob,
  openErrorPrompt,
  visibleText,
  waitForState,
} from "../lib/ui.mjs";
import { waitFor } from "../lib/wait.mjs";

const LOCALES = join(dirname(fileURLToPath(import.meta.url)), "../../../ui/src/locales");

/** Every message of a catalogue, by its dotted id. */
function messages(file) {
  const flat = new Map();
  const walk = (object, prefix) => {
    for (const [key, value] of Object.entries(object)) {
      const id = prefix ? `${prefix}.${key}` : key;
      if (typeof value === "string") flat.set(id, value);
      else walk(value, id);
    }
  };
  walk(JSON.parse(readFileSync(join(LOCALES, file), "utf8")), "");
  return flat;
}

/**
 * The English texts that must not show in Portuguese: whole messages without placeholders,
 * longer than 3 characters, that the Portuguese catalogue words differently.
 */
function englishOnly() {
  const english = messages("en.json");
  const portuguese = messages("pt-BR.json");
  return [...english]
    .filter(([id, text]) => !text.includes("{") && text.length > 3 && portuguese.get(id) !== text)
    .map(([, text]) => text);
}

/** Whether `text` shows in `shown` as words of its own (not "Cancel" inside "Cancelar"). */
function showsWords(shown, text) {
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(?<![\\p{L}])${escaped}(?![\\p{L}])`, "u").test(shown);
}

/** The English catalogue texts visible in the window now. */
async function englishOnScreen(session) {
  const shown = await visibleText(session, await session.find("body"));
  return englishOnly().filter((text) => showsWords(shown, text));
}

const suite = ferryForThisFile("portuguese", { server: TestServer });

test("Português (Brasil) chosen in Settings: the window, the tray and notifications speak it", async () => {
  const { ferry, server, session } = suite;
  const folder = ferry.downloads;

  await (await session.find(byTestId("nav-settings"))).click();
  await (await waitFor("the language choice", () => session.find(byTestId("language-pt-BR")))).click();
  await (await session.find(byTestId("settings-save"))).click();
  await waitFor("the page to speak Portuguese", async () =>
    (await visibleText(session, await session.find("h1"))) === "Configurações",
  );
  keepScreenshot(await screenshotWhenStill("pt-settings"), "pt-settings");
  assert.deepEqual(await englishOnScreen(session), [], "Settings");

  await (await session.find(byTestId("nav-transfers"))).click();
  const running = await addDownload(session, {
    urls: [server.heldFile("/pt/grande.bin", randomFile(2 << 20).body)],
    folder,
    name: "Arquivo grande",
  });
  const paused = await addDownload(session, {
    urls: [server.heldFile("/pt/pausado.bin", randomFile(2 << 20).body)],
    folder,
    name: "Arquivo pausado",
  });
  await clickRowButton(session, paused, "suspend-button");
  const done = await addDownload(session, {
    urls: [server.file("/pt/pronto.bin", randomFile(64 << 10).body)],
    folder,
    name: "Relatório pronto",
  });
  const gone = await addDownload(session, { urls: [server.missing("/pt/sumiu.pdf")], folder, name: "Sumiu" });
  await waitForState(session, running, "TRANSFERRING", "QUEUED", "CONNECTING");
  await waitForState(session, paused, "SUSPENDED");
  await waitForState(session, done, "TRANSFERRED");
  await waitForState(session, gone, "ERROR");

  const failed = await waitForNotification("in Portuguese about the job that stopped", (text) =>
    text.includes("Sumiu parou com um erro"),
  );
  assert.match(failed.body, /A transferência parou com o erro BG_E_HTTP_ERROR_404\./);
  await waitForNotification("in Portuguese about the job that is ready", (text) =>
    text.includes("Relatório pronto está pronto"),
  );
  await waitFor("the tray's status line in Portuguese", () =>
    /the tray's status line changed.*1 precisa de atenção/.test(ferry.readLog("tray.log")),
  );

  await openErrorPrompt(session, gone);
  keepScreenshot(await screenshotWhenStill("pt-error-prompt"), "pt-error-prompt");
  assert.deepEqual(await englishOnScreen(session), [], "the job list with an error prompt in the details");

  await (await session.find(byTestId("add-job-button"))).click();
  await waitFor("the Add dialog", () => session.find(byTestId("add-job-dialog")));
  keepScreenshot(await screenshotWhenStill("pt-add-dialog"), "pt-add-dialog");
  assert.deepEqual(await englishOnScreen(session), [], "the Add dialog");
  pressKeys("Escape");
  await waitFor("the Add dialog to close", async () => (await session.findAll(byTestId("add-job-dialog"))).length === 0);

  await completeJob(session, done);
  await (await session.find(byTestId("nav-history"))).click();
  await waitFor("the finished job in History", () => session.find(byTestId("history-row")));
  keepScreenshot(await screenshotWhenStill("pt-history"), "pt-history");
  assert.deepEqual(await englishOnScreen(session), [], "History");
});

test("the Settings page keeps Save in view, at its top and its bottom, with the longer Portuguese labels", async () => {
  const { session } = suite;
  await (await session.find(byTestId("nav-settings"))).click();
  const save = await waitFor("the Settings page", () => session.find(byTestId("settings-save")));
  const inView = () =>
    session.execute(
      `const box = arguments[0].getBoundingClientRect();
       return box.top >= 0 && box.bottom <= window.innerHeight;`,
      [save],
    );
  await session.execute(`document.querySelector('[data-testid="settings-page"]').parentElement.scrollTop = 0;`, []);
  assert.equal(await inView(), true, "Save is in view at the top of the page");
  await session.execute(
    `const scroller = document.querySelector('[data-testid="settings-page"]').parentElement;
     scroller.scrollTop = scroller.scrollHeight;`,
    [],
  );
  assert.equal(await inView(), true, "Save is in view at the bottom of the page");
  keepScreenshot(await screenshotWhenStill("pt-settings-bottom"), "pt-settings-bottom");
  await session.execute(`document.getElementById("settings-policies").scrollIntoView();`, []);
  assert.equal(await inView(), true, "Save is in view beside the policies");
  keepScreenshot(await screenshotWhenStill("pt-settings-policies"), "pt-settings-policies");
});
