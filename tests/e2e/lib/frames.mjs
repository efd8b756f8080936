// Frame timing inside the webview, read over WebDriver: a probe installed in the page measures
// each frame from its start (the requestAnimationFrame timestamp) to the end of its rendering
// (a message posted from the frame's callback runs once style, layout and paint are done), the
// interval between frames, and long tasks where the engine reports them. Only figures: the
// tests that use it assert nothing about time.

import { readFileSync } from "node:fs";

import { sleep, waitFor } from "./wait.mjs";

/** The probe, as a script WebDriver runs in the page; installs `window.__ferryFrames`. */
const INSTALL = `
if (window.__ferryFrames) return true;
const probe = {
  running: false, frames: [], intervals: [], longTasks: [], last: null, start: 0, onFrame: null,
  afterFrame: null,
  longTaskSupported: typeof PerformanceObserver === "function" &&
    (PerformanceObserver.supportedEntryTypes || []).includes("longtask"),
};
const channel = new MessageChannel();
channel.port1.onmessage = () => {
  if (!probe.running) return;
  probe.frames.push(performance.now() - probe.start);
  if (probe.afterFrame) probe.afterFrame();
};
function tick(timestamp) {
  if (!probe.running) return;
  if (probe.last !== null) probe.intervals.push(timestamp - probe.last);
  probe.last = timestamp;
  probe.start = timestamp;
  if (probe.onFrame) probe.onFrame();
  channel.port2.postMessage(0);
  requestAnimationFrame(tick);
}
if (probe.longTaskSupported) {
  new PerformanceObserver((list) => {
    if (probe.running) for (const entry of list.getEntries()) probe.longTasks.push(entry.duration);
  }).observe({ entryTypes: ["longtask"] });
}
probe.begin = () => {
  probe.frames = []; probe.intervals = []; probe.longTasks = []; probe.last = null;
  probe.running = true;
  requestAnimationFrame(tick);
};
probe.end = () => {
  probe.running = false; probe.onFrame = null; probe.afterFrame = null;
  return { frames: probe.frames, intervals: probe.intervals, longTasks: probe.longTasks,
    longTaskSupported: probe.longTaskSupported };
};
window.__ferryFrames = probe;
return true;
`;

/** Installs the probe in the session's page (once). */
export function installFrameProbe(session) {
  return session.execute(INSTALL);
}

/** Starts recording frames. */
export function beginFrames(session) {
  return session.execute("window.__ferryFrames.begin();");
}

/** Stops recording; resolves to { frames, intervals, longTasks, longTaskSupported } in ms. */
export function endFrames(session) {
  return session.execute("return window.__ferryFrames.end();");
}

/** Records frames for `ms` milliseconds of whatever the page does by itself. */
export async function recordFrames(session, ms) {
  await beginFrames(session);
  await sleep(ms);
  return endFrames(session);
}

/**
 * Scrolls the element matching `css` from top to bottom, `step` pixels a frame (its own
 * height when not given), recording frames and which rows (by `aria-rowindex`) each frame
 * rendered. Resolves to the frame record plus `rowIndexes` (sorted, each once).
 */
export async function scrollThrough(session, css, rowCss) {
  await session.execute(
    `const viewport = document.querySelector(arguments[0]);
     const probe = window.__ferryFrames;
     const seen = new Set();
     viewport.scrollTop = 0;
     const step = Math.max(1, viewport.clientHeight);
     probe.scrollDone = false;
     probe.seen = seen;
     // The next step waits until the rows under the viewport's top and bottom edges are in the
     // page: a list that falls behind shows as slow frames, never as rows skipped. The end is
     // reached in the frame that shows the last scroll position with its rows under both edges
     // (decided after that frame's rows are recorded, so none of them can be missed).
     let caughtUp = false;
     probe.onFrame = () => {
       if (!caughtUp || probe.scrollDone) return;
       caughtUp = false;
       viewport.scrollTop = viewport.scrollTop + step;
     };
     probe.afterFrame = () => {
       const edges = viewport.getBoundingClientRect();
       let top = false;
       let bottom = false;
       for (const row of viewport.querySelectorAll(arguments[1])) {
         seen.add(Number(row.getAttribute("aria-rowindex")));
         const box = row.getBoundingClientRect();
         if (box.top <= edges.top + 1 && box.bottom > edges.top + 1) top = true;
         if (box.top < edges.bottom - 1 && box.bottom >= edges.bottom - 1) bottom = true;
       }
       caughtUp = top && bottom;
       const end = viewport.scrollTop + viewport.clientHeight >= viewport.scrollHeight;
       if (caughtUp && end) probe.scrollDone = true;
     };
     probe.begin();`,
    [css, rowCss],
  );
  await waitFor(
    "the list to be scrolled to its end",
    () => session.execute("return window.__ferryFrames.scrollDone;"),
    { everyMs: 500 },
  );
  const rowIndexes = await session.execute(
    "return [...window.__ferryFrames.seen].sort((a, b) => a - b);",
  );
  const record = await endFrames(session);
  return { ...record, rowIndexes };
}

/**
 * Types `text` into the element matching `css` one key at a time and measures, per key, the
 * time from the key to the next painted frame (`keyToPaint`) and to the painted frame after
 * the element matching `settledCss` last changed its text (`keyToResult`), each in ms.
 */
export async function typeMeasured(session, css, settledCss, text) {
  await session.execute(
    `const input = document.querySelector(arguments[0]);
     const settled = document.querySelector(arguments[1]);
     const state = { keys: [], current: null };
     const channel = new MessageChannel();
     const pending = [];
     channel.port1.onmessage = () => { const run = pending.shift(); if (run) run(); };
     const afterPaint = (run) => requestAnimationFrame(() => { pending.push(run); channel.port2.postMessage(0); });
     input.addEventListener("keydown", () => {
       const key = { at: performance.now(), keyToPaint: null, keyToResult: null };
       state.keys.push(key);
       state.current = key;
       afterPaint(() => { key.keyToPaint = performance.now() - key.at; });
     }, { capture: true });
     new MutationObserver(() => {
       const key = state.current;
       if (!key) return;
       afterPaint(() => { key.keyToResult = performance.now() - key.at; });
     }).observe(settled, { childList: true, characterData: true, subtree: true });
     window.__ferryTyping = state;`,
    [css, settledCss],
  );
  const input = await session.find(css);
  for (const character of text) {
    const before = await session.execute("return window.__ferryTyping.keys.length;");
    await input.type(character);
    await waitFor("the key to be painted", () =>
      session.execute(
        "const k = window.__ferryTyping.keys; return k.length > arguments[0] && k[k.length - 1].keyToPaint !== null;",
        [before],
      ),
    );
  }
  // The last key's result may come after a pause (the search waits for typing to stop).
  await waitFor("the search's result to be painted", () =>
    session.execute(
      "const k = window.__ferryTyping.keys; return k.length > 0 && k[k.length - 1].keyToResult !== null;",
    ),
  );
  return session.execute(
    "return window.__ferryTyping.keys.map((k) => ({ keyToPaint: k.keyToPaint, keyToResult: k.keyToResult }));",
  );
}

/** The `p`-th percentile (0..100) of `values`, or null when there are none. */
export function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)];
}

/** A frame record in a few figures (ms), rounded to 0.1. */
export function summarise({ frames, intervals, longTasks, longTaskSupported }) {
  const round = (value) => (value === null ? null : Math.round(value * 10) / 10);
  return {
    frames: frames.length,
    frame_p50_ms: round(percentile(frames, 50)),
    frame_p95_ms: round(percentile(frames, 95)),
    frame_max_ms: round(frames.length ? Math.max(...frames) : null),
    interval_p95_ms: round(percentile(intervals, 95)),
    intervals_over_50ms: intervals.filter((value) => value > 50).length,
    long_tasks: longTaskSupported ? longTasks.length : null,
    long_task_max_ms: longTaskSupported && longTasks.length ? round(Math.max(...longTasks)) : null,
  };
}

/** Clock ticks of CPU (user + system) `pid` has used so far, or 0 when it is gone. */
export function cpuTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on Linux). */
export const TICKS_PER_SECOND = 100;

/**
 * When process `pid` started, in ms since the epoch (to 10 ms): /proc/<pid>/stat counts from
 * boot, and /proc/uptime says how long ago boot was.
 */
export function processStartEpochMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const startTicks = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
  const uptimeSeconds = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
  const bootEpochMs = Date.now() - uptimeSeconds * 1000;
  return bootEpochMs + (startTicks * 1000) / TICKS_PER_SECOND;
}
