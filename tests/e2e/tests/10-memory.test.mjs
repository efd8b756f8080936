// Idle memory of the whole app (ferry and its WebKit processes), with the window open and
// with it closed to the tray. Written to memory.md in SCREENSHOTS_DIR for the README.

import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { SCREENSHOTS_DIR } from "../lib/env.mjs";
import { isViewable, windowsOf } from "../lib/desktop.mjs";
import { memoryOf, processTree, programName } from "../lib/processes.mjs";
import { ferryForThisFile } from "../lib/suite.mjs";
import { sleep, waitFor } from "../lib/wait.mjs";
import { requestClose } from "../lib/x11-close.mjs";

/** Time the app gets to settle (startup work, garbage collection) before a measurement. */
const SETTLE_MS = 5_000;

const suite = ferryForThisFile("memory");

/** RSS and PSS of each process of the app, by process name. */
function measure() {
  const processes = processTree(suite.ferry.pid);
  return processes.map((p) => ({ name: programName(p.pid), ...memoryOf(p.pid) }));
}

const mib = (kib) => (kib / 1024).toFixed(1);

function rows(label, processes) {
  const lines = processes.map(
    (p) => `| ${label} | ${p.name} | ${mib(p.rssKib)} | ${mib(p.pssKib)} |`,
  );
  const rss = processes.reduce((sum, p) => sum + p.rssKib, 0);
  const pss = processes.reduce((sum, p) => sum + p.pssKib, 0);
  const total = `**all ${processes.length} processes** | **${mib(rss)}** | **${mib(pss)}**`;
  return [...lines, `| ${label} | ${total} |`];
}

test("idle memory with the window open and hidden", async () => {
  await sleep(SETTLE_MS);
  const open = measure();
  const names = open.map((p) => p.name);
  assert.ok(names.includes("ferry-desktop"), "the app process is measured");
  assert.ok(names.includes("ferry"), `the owner it started is measured: ${names}`);
  assert.ok(names.some((n) => n === "WebKitWebProcess"), `a web process is measured: ${names}`);

  const [main] = windowsOf(suite.ferry.pid);
  await requestClose(main.id);
  await waitFor("the window to be hidden", () => !isViewable(main.id));
  await sleep(SETTLE_MS);
  const hidden = measure();

  const table = [
    "# Ferry's idle memory",
    "",
    "The whole app (ferry and the WebKit processes it starts), idle with no jobs, measured from",
    "`/proc/<pid>/smaps_rollup` by the end-to-end tests under Xvfb. PSS shares libraries fairly",
    "between processes; RSS counts them in each. Re-run with `make test` (or `tests/e2e/run.sh`).",
    "",
    "| Window | Process | RSS (MiB) | PSS (MiB) |",
    "| --- | --- | ---: | ---: |",
    ...rows("open", open),
    ...rows("hidden in the tray", hidden),
    "",
  ].join("\n");
  console.log(table);
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  writeFileSync(join(SCREENSHOTS_DIR, "memory.md"), table);
});
