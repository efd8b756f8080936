// Ferry's window through its stable hooks (data-testid, data-job-id, data-state): what a person
// clicks and reads, and nothing of how the UI is built.

import { WebDriverError } from "./webdriver.mjs";
import { waitFor } from "./wait.mjs";

export const byTestId = (id) => `[data-testid="${id}"]`;
const rowSelector = (jobId) => `${byTestId("job-row")}[data-job-id="${jobId}"]`;

/**
 * Types `text` into a field as a person would. A field that only fills through a picker or
 * refuses key presses gets its value set the way a paste does (value + input event).
 */
export async function fill(session, element, text) {
  try {
    await element.clear();
    await element.type(text);
  } catch (error) {
    if (!(error instanceof WebDriverError)) throw error;
  }
  if ((await element.property("value")) === text) return;
  await paste(session, element, text);
}

/** Puts `text` into a field the way pasting does, e.g. several lines of URLs at once. */
export async function paste(session, element, text) {
  await session.execute(
    `const [field, text] = arguments;
     const prototype = Object.getPrototypeOf(field);
     Object.getOwnPropertyDescriptor(prototype, "value").set.call(field, text);
     field.dispatchEvent(new Event("input", { bubbles: true }));
     field.dispatchEvent(new Event("change", { bubbles: true }));`,
    [element, text],
  );
}

/**
 * The text of `element` as the page renders it (innerText). WebKitWebDriver's own Get Element
 * Text leaves out the text of some cells of the job list, so this asks the page instead.
 */
export function visibleText(session, element) {
  return session.execute("return arguments[0].innerText;", [element]);
}

/** Every job row: { id, state, element }. */
export async function jobRows(session) {
  const rows = await session.findAll(byTestId("job-row"));
  return Promise.all(
    rows.map(async (element) => ({
      id: await element.attribute("data-job-id"),
      state: await element.attribute("data-state"),
      element,
    })),
  );
}

/** The row of job `jobId`, or a WebDriverError "no such element". */
export function jobRow(session, jobId) {
  return session.find(rowSelector(jobId));
}

/** Waits until job `jobId`'s row shows one of `states` and returns that state. */
export function waitForState(session, jobId, ...states) {
  return waitFor(`job ${jobId} to show ${states.join(" or ")}`, async () => {
    const state = await (await jobRow(session, jobId)).attribute("data-state");
    return states.includes(state) ? state : undefined;
  });
}

/** Waits until job `jobId` has no row any more (it left the queue). */
export function waitForRowGone(session, jobId) {
  return waitFor(`job ${jobId} to leave the list`, async () => {
    return (await session.findAll(rowSelector(jobId))).length === 0;
  });
}

/**
 * Adds a job through the Add dialog: opens it, lets `fillIn()` fill the fields of the job's type,
 * types the display name, submits, and returns the id of the job row that appears with that name.
 */
export async function addJob(session, name, fillIn) {
  const before = new Set((await jobRows(session)).map((row) => row.id));
  await (await session.find(byTestId("add-job-button"))).click();
  await waitFor("the Add dialog", () => session.find(byTestId("add-job-dialog")));
  await fillIn();
  await fill(session, await session.find(byTestId("add-name")), name);
  await (await session.find(byTestId("add-submit"))).click();
  const row = await waitFor(`a new job row named ${name}`, async () => {
    for (const candidate of await jobRows(session)) {
      if (before.has(candidate.id)) continue;
      if ((await visibleText(session, candidate.element)).includes(name)) return candidate;
    }
    return undefined;
  });
  return row.id;
}

/**
 * Adds a download job through the Add dialog (see addJob): pastes the URLs, types the folder,
 * lets `moreFields()` set anything else, and returns the new row's job id.
 */
export function addDownload(session, { urls, folder, name }, moreFields = async () => {}) {
  return addJob(session, name, async () => {
    await paste(session, await session.find(byTestId("add-urls")), urls.join("\n"));
    await fill(session, await session.find(byTestId("add-folder")), folder);
    await moreFields();
  });
}

/** Clicks the button `testId` (e.g. "complete-button") in job `jobId`'s row. */
export async function clickRowButton(session, jobId, testId) {
  const button = await (await jobRow(session, jobId)).find(byTestId(testId));
  await waitFor(`${testId} of job ${jobId} to be enabled`, () => button.isEnabled());
  await button.click();
}

/** Completes job `jobId` from its row and waits until it has left the list. */
export async function completeJob(session, jobId) {
  await clickRowButton(session, jobId, "complete-button");
  await waitForRowGone(session, jobId);
}

/** Clicks the confirmation dialog's confirm button once it shows. */
export async function confirm(session) {
  const button = await waitFor("the confirmation dialog", () =>
    session.find(byTestId("confirm-button")),
  );
  await button.click();
}

/** Selects job `jobId` and returns its error prompt once the details pane shows it. */
export async function openErrorPrompt(session, jobId) {
  await (await jobRow(session, jobId)).click();
  return waitFor(`the error prompt of job ${jobId}`, () => session.find(byTestId("error-prompt")));
}

/** The error code a prompt is about, as a number (data-code may be decimal or 0x hex). */
export async function promptCode(prompt) {
  return Number(await prompt.attribute("data-code")) >>> 0;
}

/** BG_E_HTTP_ERROR_nnn. */
export const httpErrorCode = (status) => (0x80190000 + status) >>> 0;

/**
 * Pastes `text` into a field through a real paste event carrying it as the clipboard's
 * text/plain, so the field's own paste handling runs (e.g. reading `sha256sum` output).
 */
export async function pasteAsClipboard(session, element, text) {
  await session.execute(
    `const [field, text] = arguments;
     const data = new DataTransfer();
     data.setData("text/plain", text);
     field.focus();
     const event = new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true });
     if (field.dispatchEvent(event)) {
       const prototype = Object.getPrototypeOf(field);
       Object.getOwnPropertyDescriptor(prototype, "value").set.call(field, text);
       field.dispatchEvent(new Event("input", { bubbles: true }));
     }`,
    [element, text],
  );
}

/** Presses Save on the Settings page and waits until it says "Settings saved.". */
export async function saveSettings(session) {
  await (await session.find(byTestId("settings-save"))).click();
  await waitFor("the settings to be saved", async () => {
    const statuses = await session.findAll('[data-testid="settings-page"] [role="status"]');
    for (const status of statuses) {
      if ((await visibleText(session, status)) === "Settings saved.") return true;
    }
    return false;
  });
}
