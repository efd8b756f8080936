// The window with 10,000 jobs: made over one connection to the owner's API (suspended, one
// file each), plus a few FOREGROUND jobs that a loopback server feeds at a steady trickle, so
// progress ticks while the window is measured. Measured inside the webview (Performance API,
// requestAnimationFrame) and from /proc: the first rows' paint from the page's navigation start
// and from the start of the window's process, frames while progress ticks, frames while the
// list scrolls top to bottom, key to paint in the search box, and the CPU of the window's
// processes with nothing moving. The figures go to FERRY_E2E_FIGURES (default:
// artifacts/many-jobs.json); the assertions are only about what the window shows, never
// about time. tests/bench/window_bench.py runs this file
// against the optimised build and reports the figures' medians.

import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";

import { Ferry } from "../lib/app.mjs";
import { screenshotWhenStill } from "../lib/desktop.mjs";
import { ARTIFACTS_DIR } from "../lib/env.mjs";
import {
  TICKS_PER_SECOND,
  cpuTicks,
  installFrameProbe,
  processStartEpochMs,
  recordFrames,
  scrollThrough,
  summarise,
  typeMeasured,
} from "../lib/frames.mjs";
import { OwnerApi } from "../lib/owner-api.mjs";
import { TestServer, randomFile } from "../lib/servers.mjs";
import { byTestId, paste, visibleText } from "../lib/ui.mjs";
import { sleep, waitFor } from "../lib/wait.mjs";

/** Suspended jobs in the queue (FERRY_E2E_JOBS for a quicker run by hand). */
const JOBS = Number(process.env.FERRY_E2E_JOBS ?? 10_000);
/** FOREGROUND jobs that keep transferring at a trickle. */
const TRICKLING = 4;
const TOTAL = JOBS + TRICKLING;
/** How long frames are recorded while progress ticks, and CPU while nothing moves. */
const RECORD_MS = 5_000;
const IDLE_MS = 10_000;
/** Typed into the search: of 10,000, matches report-99, report-990…999 and report-9900…9999. */
const SEARCH = "report-99";
const SEARCH_MATCHES = Array.from({ length: JOBS }, (_, i) => `report-${i}.pdf`).filter((name) =>
  name.includes(SEARCH),
).length;

const FIGURES_FILE = process.env.FERRY_E2E_FIGURES ?? join(ARTIFACTS_DIR, "many-jobs.json");
const figures = { jobs: TOTAL, trickling: TRICKLING };

let server;
let ferry;
let api;
/** Ids of the trickling jobs (the list's first rows: the list is in creation order). */
let trickling = [];

const count = (n) => n.toLocaleString("en-US");
const round = (value) => Math.round(value * 10) / 10;

before(async () => {
  server = await TestServer.start();
  ferry = await Ferry.start("many-jobs");
  for (const policy of ["MaxJobsPerUser", "MaxJobsPerMachine"]) {
    const { code, stderr } = await ferry.cli("setpolicy", policy, String(TOTAL + 100));
    assert.equal(code, 0, stderr);
  }
  api = await OwnerApi.connect(ferry.socketPath());
  const body = randomFile(8 << 20).body;
  const download = (name, url) => ({
    display_name: name,
    job_type: "DOWNLOAD",
    priority: "NORMAL",
    files: [{ remote_url: url, local_path: join(ferry.downloads, name) }],
    credentials: null,
    reply_file_name: null,
  });
  for (let i = 1; i <= TRICKLING; i++) {
    // 4 KiB/s: 8 MiB lasts more than half an hour.
    const url = server.trickleFile(`/trickle/${i}.bin`, body, 1024, 250);
    const job = await api.call("create_with_files", {
      ...download(`trickle-${i}.bin`, url),
      priority: "FOREGROUND",
    });
    trickling.push(job.id);
  }
  const started = performance.now();
  const requests = Array.from({ length: JOBS }, (_, i) =>
    download(`report-${i}.pdf`, server.url(`/many/report-${i}.pdf`)),
  );
  await api.callMany("create_with_files", requests);
  figures.create_jobs_s = round((performance.now() - started) / 1000);
  // Made first (the list's first rows), they start only now, so they still move when measured.
  for (const job of trickling) await api.call("resume", { job });
  await ferry.open();
});

after(async () => {
  try {
    api?.close();
    await ferry?.stop();
    await server?.close();
  } finally {
    mkdirSync(dirname(FIGURES_FILE), { recursive: true });
    writeFileSync(FIGURES_FILE, `${JSON.stringify(figures, null, 2)}\n`);
    console.log(JSON.stringify(figures, null, 2));
  }
});

const session = () => ferry.session;

async function countText() {
  return visibleText(session(), await session().find(`${byTestId("job-list-count")}`));
}

test(`the window shows all ${count(TOTAL)} jobs and their first rows`, async () => {
  const windowStarted = processStartEpochMs(ferry.pid);
  await waitFor("the first rows", async () => (await session().findAll(byTestId("job-row"))).length > 0);
  await waitFor("the count of every job", async () => (await countText()) === `${count(TOTAL)} jobs`);
  // The count comes with the first rows; every job comes after them.
  for (const mark of ["ferry:first-rows-painted", "ferry:list-answered"]) {
    await waitFor(`the page to mark ${mark}`, () =>
      session().execute(`return performance.getEntriesByName(arguments[0]).length > 0;`, [mark]),
    );
  }
  // In the page, from its navigation start (performance.timeOrigin), as the Performance API
  // measures: its paint entries where WebKit reports them, and the marks the UI sets.
  const marks = await session().execute(
    `const at = (name) => {
       const entry = performance.getEntriesByName(name)[0];
       return entry ? entry.startTime : null;
     };
     const navigation = performance.getEntriesByType("navigation")[0];
     return {
       origin: performance.timeOrigin,
       domContentLoaded: navigation ? navigation.domContentLoadedEventEnd : null,
       firstPaint: at("first-paint"),
       firstContentfulPaint: at("first-contentful-paint"),
       listAsked: at("ferry:list-asked"),
       listAnswered: at("ferry:list-answered"),
       firstRows: at("ferry:first-rows"),
       firstRowsPainted: at("ferry:first-rows-painted"),
     };`,
  );
  const inPage = (ms) => (ms === null ? null : round(ms));
  figures.in_page = {
    dom_content_loaded_ms: inPage(marks.domContentLoaded),
    first_paint_ms: inPage(marks.firstPaint),
    first_contentful_paint_ms: inPage(marks.firstContentfulPaint),
    list_asked_ms: inPage(marks.listAsked),
    first_rows_ms: inPage(marks.firstRows),
    first_rows_painted_ms: inPage(marks.firstRowsPainted),
    list_answered_ms: inPage(marks.listAnswered),
  };
  // The same from the start of the window's process (the webview itself takes a while to start).
  const since = (ms) => (ms === null ? null : round(marks.origin + ms - windowStarted));
  figures.first_paint = {
    page_start_ms: round(marks.origin - windowStarted),
    dom_content_loaded_ms: since(marks.domContentLoaded),
    list_asked_ms: since(marks.listAsked),
    list_answered_ms: since(marks.listAnswered),
    first_rows_ms: since(marks.firstRows),
    first_rows_painted_ms: since(marks.firstRowsPainted),
  };
  assert.ok(marks.firstRows !== null, "the window marks its first rows (ferry:first-rows)");
  const rows = await session().findAll(byTestId("job-row"));
  assert.ok(rows.length < 100, `only the rows in view are rendered, not ${rows.length}`);
  assert.equal(await rows[0].attribute("data-job-id"), trickling[0]);
  await installFrameProbe(session());
});

test("progress bars of the rows in view move while jobs transfer", async () => {
  const progressOf = (id) =>
    session().execute(
      `const row = document.querySelector('[data-job-id="' + arguments[0] + '"] [role="progressbar"]');
       return row ? row.getAttribute("aria-valuetext") : null;`,
      [id],
    );
  for (const id of trickling) {
    await waitFor(`job ${id} to transfer`, async () => {
      const row = await session().find(`${byTestId("job-row")}[data-job-id="${id}"]`);
      return (await row.attribute("data-state")) === "TRANSFERRING";
    });
  }
  const before = await Promise.all(trickling.map(progressOf));
  figures.progress = summarise(await recordFrames(session(), RECORD_MS));
  const later = await Promise.all(trickling.map(progressOf));
  for (let i = 0; i < TRICKLING; i++) {
    assert.notEqual(later[i], before[i], `the progress of ${trickling[i]} moved`);
  }
  await screenshotWhenStill("many-jobs", { tries: 4 });
});

test(`every one of the ${count(TOTAL)} rows is reached by scrolling`, async () => {
  const viewport = `${byTestId("job-list")} [role="rowgroup"]:last-child`;
  const record = await scrollThrough(session(), viewport, byTestId("job-row"));
  figures.scroll = summarise(record);
  // aria-rowindex counts the header as row 1.
  const expected = Array.from({ length: TOTAL }, (_, i) => i + 2);
  const missing = expected.filter((index) => !record.rowIndexes.includes(index));
  assert.deepEqual(missing.slice(0, 10), [], `${missing.length} rows never rendered`);
  await session().execute(`document.querySelector(arguments[0]).scrollTop = 0;`, [viewport]);
});

test(`typing "${SEARCH}" in the search shows the ${SEARCH_MATCHES} jobs that match`, async () => {
  const keys = await typeMeasured(
    session(),
    byTestId("search-input"),
    byTestId("job-list-count"),
    SEARCH,
  );
  const paint = keys.map((key) => key.keyToPaint);
  const result = keys.map((key) => key.keyToResult).filter((value) => value !== null);
  figures.search = {
    key_to_paint_max_ms: round(Math.max(...paint)),
    key_to_result_max_ms: result.length ? round(Math.max(...result)) : null,
  };
  // "111 of 10004 jobs": this message does not group the thousands (unlike "10,004 jobs").
  await waitFor(
    "the search's count",
    async () => (await countText()) === `${SEARCH_MATCHES} of ${TOTAL} jobs`,
  );
  // WebDriver's Clear fires no input event; empty the field as a paste of nothing does.
  await paste(session(), await session().find(byTestId("search-input")), "");
  await waitFor("every job again", async () => (await countText()) === `${count(TOTAL)} jobs`);
});

/** Gives the keyboard focus to the element with this test id, and checks that it has it. */
async function focusOn(testId) {
  await session().execute(`document.querySelector(arguments[0]).focus();`, [byTestId(testId)]);
  const focused = await session().execute(`return document.activeElement?.dataset.testid ?? null;`);
  assert.equal(focused, testId, `${testId} has the keyboard focus`);
}

/**
 * The CPU of the window's processes over IDLE_MS, in % of a core: the total and each
 * process's share.
 */
async function idleCpu() {
  const processes = ferry.windowProcesses();
  assert.ok(processes.length >= 2, "the window and its WebKit processes were measured");
  const before = processes.map(cpuTicks);
  const started = performance.now();
  await sleep(IDLE_MS);
  const seconds = (performance.now() - started) / 1000;
  const used = processes.map((pid, i) => cpuTicks(pid) - before[i]);
  const percent = (ticks) => round((ticks / TICKS_PER_SECOND / seconds) * 100);
  return {
    total: percent(used.reduce((sum, ticks) => sum + ticks, 0)),
    byProcess: Object.fromEntries(processes.map((pid, i) => [`${pid}`, percent(used[i])])),
  };
}

test("with nothing moving, the window's processes stay idle", async () => {
  for (const id of trickling) await api.call("suspend", { job: id });
  for (const id of trickling) {
    await waitFor(`job ${id} to show SUSPENDED`, async () => {
      const row = await session().find(`${byTestId("job-row")}[data-job-id="${id}"]`);
      return (await row.attribute("data-state")) === "SUSPENDED";
    });
  }
  // The job list keeps the focus, as after a click on it: a focused text field's caret is
  // something moving (WebKit blinks it for as long as the field has the focus), measured apart
  // below.
  await focusOn("job-list");
  // Let the last progress and the speeds' windows run out.
  await sleep(6_000);
  const still = await idleCpu();
  figures.idle_cpu_percent = still.total;
  figures.idle_cpu_by_process = still.byProcess;

  await focusOn("search-input");
  figures.idle_cpu_caret_percent = (await idleCpu()).total;
});
