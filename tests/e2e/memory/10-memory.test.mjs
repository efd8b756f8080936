// Idle memory of the whole of Ferry for one data folder: the window's process (ferry-desktop)
// and its WebKit processes while the window is open, the tray (ferry-tray) and the owner
// (`ferry service`). Measured with the window open, after it was closed (the window's process
// ends: tray only), and started at login with --hidden (no window ever built). Written to
// memory.md in SCREENSHOTS_DIR for the README. Ferry runs without WebDriver, as people run it.

import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { Ferry } from "../lib/app.mjs";
import { FERRY_APP_BUILD, SCREENSHOTS_DIR } from "../lib/env.mjs";
import { appWindowsOf, isViewable } from "../lib/desktop.mjs";
import { hasWebProcess, isAlive, memoryOf, programName } from "../lib/processes.mjs";
import { waitForTrayIcon } from "../lib/tray.mjs";
import { sleep, waitFor } from "../lib/wait.mjs";
import { requestClose } from "../lib/x11-close.mjs";

/** Time the app gets to settle (startup work, garbage collection) before a measurement. */
const SETTLE_MS = 5_000;
/** The limit for the whole of Ferry with the window closed and no jobs. */
const TRAY_LIMIT_MIB = 60;

const mib = (kib) => (kib / 1024).toFixed(1);
const figures = {};
let ferry;

before(async () => {
  ferry = await Ferry.start("memory", { driver: false });
});
after(async () => {
  try {
    await ferry?.stop();
  } finally {
    writeTable();
  }
});

/** RSS and PSS of each process of Ferry (window, tray, owner, WebKit), by program. */
function measure() {
  return ferry.processes().map((p) => ({ name: programName(p.pid), ...memoryOf(p.pid) }));
}

const names = (processes) => processes.map((p) => p.name).sort();

const total = (processes, key) => processes.reduce((sum, p) => sum + p[key], 0);

test("with the window open, then closed: the tray and the owner only", async () => {
  const window = ferry.launch();
  const main = await waitFor("the window", () => appWindowsOf(window)[0]);
  await waitFor("the web process", () => hasWebProcess(window));
  await waitFor("the tray", () => ferry.trayPid());
  await waitForTrayIcon();
  await sleep(SETTLE_MS);
  figures.open = measure();
  assert.ok(figures.open.some((p) => p.name === "WebKitWebProcess"), "the web process counts");
  assert.ok(figures.open.some((p) => p.name === "ferry-tray"), "the tray counts");

  const windowTree = ferry.windowProcesses(window);
  await requestClose(main.id);
  await waitFor("the window to be gone", () => !isViewable(main.id));
  assert.equal(await ferry.exited, 0, "the window's process ends with its window");
  await waitFor("its WebKit processes to exit", () => windowTree.every((pid) => !isAlive(pid)));
  await sleep(SETTLE_MS);
  figures.closed = measure();
  assert.deepEqual(names(figures.closed), ["ferry", "ferry-tray"], "no window, no WebKit");
  await ferry.quit();
});

test("started at login with --hidden", async () => {
  ferry.launch(["--hidden"]);
  assert.equal(await ferry.exited, 0, "the window's program only makes sure the tray runs");
  await waitForTrayIcon();
  await waitFor("the owner", () => ferry.ownerPid());
  await sleep(SETTLE_MS);
  figures.hidden = measure();
  assert.deepEqual(
    names(figures.hidden),
    ["ferry", "ferry-tray"],
    "the tray and the owner it started, no window's process, no WebKit process",
  );
  assert.ok(isAlive(ferry.trayPid()));
  await ferry.quit();
});

for (const [when, key] of [
  ["after the window closed", "closed"],
  ["started with --hidden", "hidden"],
]) {
  test(`tray only (${when}), the whole of Ferry is within ${TRAY_LIMIT_MIB} MiB PSS`, () => {
    assert.ok(figures[key], "measured above");
    const pss = total(figures[key], "pssKib") / 1024;
    assert.ok(pss <= TRAY_LIMIT_MIB, `tray only: ${pss.toFixed(1)} MiB PSS`);
  });
}

function rows(label, processes) {
  const lines = processes.map(
    (p) => `| ${label} | ${p.name} | ${mib(p.rssKib)} | ${mib(p.pssKib)} |`,
  );
  const rss = total(processes, "rssKib");
  const pss = total(processes, "pssKib");
  const sum = `**all ${processes.length} processes** | **${mib(rss)}** | **${mib(pss)}**`;
  return [...lines, `| ${label} | ${sum} |`];
}

function writeTable() {
  const measured = [
    ["open", figures.open],
    ["closed (tray only)", figures.closed],
    ["started with --hidden", figures.hidden],
  ].filter(([, processes]) => processes);
  if (measured.length === 0) return;
  const table = [
    "# Ferry's idle memory",
    "",
    "The whole of Ferry for one data folder (the window's process ferry-desktop and its WebKit",
    "processes while the window is open, the tray ferry-tray, the owner `ferry service`), idle",
    "with no jobs, measured from `/proc/<pid>/smaps_rollup` by the end-to-end tests under Xvfb",
    `(${FERRY_APP_BUILD}). PSS shares libraries fairly between processes; RSS counts them in`,
    "each.",
    "Closing the window ends its process and the WebKit processes; the tray and the owner stay.",
    "Re-run with `make e2e-memory` (or, with any build, `tests/e2e/run.sh",
    "tests/e2e/memory/10-memory.test.mjs`).",
    "",
    "| Window | Process | RSS (MiB) | PSS (MiB) |",
    "| --- | --- | ---: | ---: |",
    ...measured.flatMap(([label, processes]) => rows(label, processes)),
    "",
  ].join("\n");
  console.log(table);
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  writeFileSync(join(SCREENSHOTS_DIR, "memory.md"), table);
}
