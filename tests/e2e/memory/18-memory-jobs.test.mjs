// Memory of the whole of Ferry with a queue: 100 jobs made with the `ferry` command line, one
// transferring (its server holds the answer half-way) and 99 queued behind it. Measured with
// the window open, then with only the tray and the owner. Written to memory-jobs.md in
// SCREENSHOTS_DIR for the README.

import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { Ferry } from "../lib/app.mjs";
import { FERRY_APP_BUILD, SCREENSHOTS_DIR } from "../lib/env.mjs";
import { appWindowsOf, isViewable } from "../lib/desktop.mjs";
import { hasWebProcess, isAlive, memoryOf, programName } from "../lib/processes.mjs";
import { TestServer, randomFile } from "../lib/servers.mjs";
import { waitForTrayIcon } from "../lib/tray.mjs";
import { sleep, waitFor } from "../lib/wait.mjs";
import { requestClose } from "../lib/x11-close.mjs";

/** Time Ferry gets to settle before a measurement. */
const SETTLE_MS = 5_000;
const JOBS = 100;
/** The limits for this queue. */
const WINDOW_LIMIT_MIB = 250;
const TRAY_LIMIT_MIB = 80;

const mib = (kib) => (kib / 1024).toFixed(1);
const total = (processes) => processes.reduce((sum, p) => sum + p.pssKib, 0) / 1024;
const figures = {};
let ferry;
let server;

before(async () => {
  server = await TestServer.start();
  ferry = await Ferry.start("memory-jobs", { driver: false });
});
after(async () => {
  try {
    await ferry?.stop();
    await server?.close();
  } finally {
    writeTable();
  }
});

/** Runs `ferry ARGS` on this Ferry's data folder and returns its output; fails on an error. */
async function cli(...args) {
  const { code, stdout, stderr } = await ferry.cli(...args);
  assert.equal(code, 0, `ferry ${args.join(" ")}: ${stderr}`);
  return stdout.trim();
}

function measure() {
  return ferry.processes().map((p) => ({ name: programName(p.pid), ...memoryOf(p.pid) }));
}

test(`${JOBS} jobs, one transferring: the window open, then the tray only`, async () => {
  await cli("setpolicy", "MaxJobsPerUser", String(JOBS + 10));
  const file = randomFile(256 << 10);
  for (let i = 0; i < JOBS; i++) {
    const url = server.heldFile(`/queue/${i}.bin`, file.body);
    const local = join(ferry.downloads, `${i}.bin`);
    await cli("transfer", "--no-wait", "--priority", "normal", "--name", `Job ${i}`, url, local);
  }
  await server.waitForHold("/queue/0.bin");
  const listed = await cli("list");
  assert.match(listed, new RegExp(`Listed ${JOBS} job\\(s\\)`));
  assert.equal((listed.match(/ TRANSFERRING /g) ?? []).length, 1, listed);
  assert.equal((listed.match(/ QUEUED /g) ?? []).length, JOBS - 1, listed);

  const window = ferry.launch();
  const main = await waitFor("the window", () => appWindowsOf(window)[0]);
  await waitFor("the web process", () => hasWebProcess(window));
  await waitForTrayIcon();
  await sleep(SETTLE_MS);
  figures.open = measure();

  const windowTree = ferry.windowProcesses(window);
  await requestClose(main.id);
  await waitFor("the window to be gone", () => !isViewable(main.id));
  await waitFor("its processes to exit", () => windowTree.every((pid) => !isAlive(pid)));
  await sleep(SETTLE_MS);
  figures.closed = measure();
  assert.deepEqual(figures.closed.map((p) => p.name).sort(), ["ferry", "ferry-tray"]);
});

test(`tray only with ${JOBS} jobs, the whole of Ferry is within ${TRAY_LIMIT_MIB} MiB PSS`, () => {
  assert.ok(figures.closed, "measured above");
  const pss = total(figures.closed);
  assert.ok(pss <= TRAY_LIMIT_MIB, `tray only with ${JOBS} jobs: ${pss.toFixed(1)} MiB PSS`);
});

test(`window open with ${JOBS} jobs, the whole of Ferry is within ${WINDOW_LIMIT_MIB} MiB PSS`, () => {
  assert.ok(figures.open, "measured above");
  const pss = total(figures.open);
  assert.ok(pss <= WINDOW_LIMIT_MIB, `window open with ${JOBS} jobs: ${pss.toFixed(1)} MiB PSS`);
});

function writeTable() {
  const measured = [
    ["open", figures.open],
    ["closed (tray only)", figures.closed],
  ].filter(([, processes]) => processes);
  if (measured.length === 0) return;
  const rows = measured.flatMap(([label, processes]) => [
    ...processes.map((p) => `| ${label} | ${p.name} | ${mib(p.rssKib)} | ${mib(p.pssKib)} |`),
    `| ${label} | **all ${processes.length} processes** | **${mib(
      processes.reduce((sum, p) => sum + p.rssKib, 0),
    )}** | **${total(processes).toFixed(1)}** |`,
  ]);
  const table = [
    `# Ferry's memory with ${JOBS} jobs`,
    "",
    `${JOBS} jobs made with \`ferry transfer --no-wait\`, one transferring (its server holds the`,
    "answer half-way) and the rest queued behind it, measured from `/proc/<pid>/smaps_rollup` by",
    `the end-to-end tests under Xvfb (${FERRY_APP_BUILD}).`,
    "Re-run with `make e2e-memory` (or, with any build, `tests/e2e/run.sh",
    "tests/e2e/memory/18-memory-jobs.test.mjs`).",
    "",
    "| Window | Process | RSS (MiB) | PSS (MiB) |",
    "| --- | --- | ---: | ---: |",
    ...rows,
    "",
  ].join("\n");
  console.log(table);
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  writeFileSync(join(SCREENSHOTS_DIR, "memory-jobs.md"), table);
}
