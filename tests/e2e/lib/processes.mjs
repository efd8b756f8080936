// Processes of the app under test, from /proc: finding them, measuring them, stopping them.

import { readdirSync, readFileSync } from "node:fs";

/** { pid, ppid, name } of every process we can read. */
function allProcesses() {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        // The name is in parentheses and may itself contain spaces or parentheses.
        const close = stat.lastIndexOf(")");
        const name = stat.slice(stat.indexOf("(") + 1, close);
        const ppid = Number(stat.slice(close + 2).split(" ")[1]);
        return [{ pid: Number(pid), ppid, name }];
      } catch {
        return []; // exited meanwhile
      }
    });
}

/** `root` and every process below it. */
export function processTree(root) {
  const processes = allProcesses();
  const tree = processes.filter((p) => p.pid === root);
  for (let i = 0; i < tree.length; i++) {
    tree.push(...processes.filter((p) => p.ppid === tree[i].pid));
  }
  return tree;
}

/** The programs of `root`'s tree (e.g. ["ferry", "WebKitNetworkProcess"]). */
export function programsOf(root) {
  return processTree(root).map((p) => programName(p.pid));
}

/** True while the app `root` has a WebKit web process, i.e. a webview. */
export function hasWebProcess(root) {
  return programsOf(root).includes("WebKitWebProcess");
}

/** The first process named `name` below `root`, or undefined. */
export function findDescendant(root, name) {
  return processTree(root).find((p) => p.pid !== root && p.name === name);
}

/** True while `pid` runs (a zombie waiting to be reaped has already exited). */
export function isAlive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** The program a process runs, from its command line (names in /proc/<pid>/stat are cut at 15). */
export function programName(pid) {
  try {
    const argv0 = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0];
    return argv0.slice(argv0.lastIndexOf("/") + 1);
  } catch {
    return "?";
  }
}

/** Resident and proportional set size of one process in KiB (from smaps_rollup). */
export function memoryOf(pid) {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  const field = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(rollup)?.[1] ?? 0);
  return { rssKib: field("Rss"), pssKib: field("Pss") };
}

/** Sends `signal` to each given pid that still runs. */
export function signalAll(pids, signal) {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}
