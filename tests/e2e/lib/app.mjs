// The real Ferry binary, launched through its own tauri-driver with a fresh data directory.
// Ferry is three processes per data folder: the window (ferry-desktop, while a window is open),
// the tray (ferry-tray, which the window starts when none runs) and the owner (`ferry service`,
// started by whichever client comes first). The tray and the owner are found by the pids in
// their lock files, not by process tree.
//
// tauri-driver cannot pass environment variables to the app, so each Ferry gets its own
// tauri-driver started with FERRY_DATA_DIR (and private XDG folders) in its environment; the
// app inherits them through WebKitWebDriver. One Ferry per test file. A test that needs no
// WebDriver (a start in the tray, memory) launches the app itself with the same environment.

import { execFile, execFileSync, spawn } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createHash } from "node:crypto";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

import { ARTIFACTS_DIR, FERRY_APP } from "./env.mjs";
import { findDescendant, isAlive, processTree, signalAll } from "./processes.mjs";
import { isReady, newSession } from "./webdriver.mjs";
import { waitFor } from "./wait.mjs";

/** How long the app gets to exit on its own before it is stopped. */
const EXIT_GRACE_MS = 15_000;

export class Ferry {
  /**
   * Prepares a new Ferry named `name` (used for folders and logs) and starts its tauri-driver,
   * unless `driver` is false (then only `launch` can start the app).
   */
  static async start(name, { driver = true } = {}) {
    if (!existsSync(FERRY_APP)) throw new Error(`the app is not built: ${FERRY_APP} is missing`);
    // Popups left by an earlier test file would show in this one's screenshots.
    execFileSync("dunstctl", ["close-all"], { stdio: "ignore" });
    const root = mkdtempSync(join(tmpdir(), `ferry-e2e-${name}-`));
    const ferry = new Ferry(name, root);
    try {
      if (driver) await ferry.startDriver();
    } catch (error) {
      await ferry.stop();
      throw error;
    }
    return ferry;
  }

  constructor(name, root) {
    this.name = name;
    this.root = root;
    /** FERRY_DATA_DIR: the job store and settings.json. */
    this.dataDir = join(root, "data");
    /** A folder the tests download into. */
    this.downloads = join(root, "downloads");
    mkdirSync(this.dataDir);
    mkdirSync(this.downloads);
    this.session = null;
    this.pid = null;
    this.driver = null;
    /** The app when launched without WebDriver (see launch), and its exit code to come. */
    this.child = null;
    this.exited = null;
    /** The handle of the window the session drives. */
    this.windowHandle = null;
    /** The tray when launched by a test (see launchTray), and its exit code to come. */
    this.trayChild = null;
    this.trayExited = null;
  }

  /** The pid of this data folder's owner, from ferry.lock, while one runs; else undefined. */
  ownerPid() {
    return heldBy(join(this.dataDir, "ferry.lock"));
  }

  /** The pid of this data folder's tray, from its lock file, while one runs; else undefined. */
  trayPid() {
    return heldBy(trayLockPath(this.dataDir));
  }

  /** The text of log file `name` in the data folder (ferry.log, window.log, tray.log). */
  readLog(name) {
    const path = join(this.dataDir, name);
    return existsSync(path) ? readFileSync(path, "utf8") : "";
  }

  /** The owner's socket (see the protocol's "Where it listens"). */
  socketPath() {
    return join(socketDir(), `owner-${folderDigest(this.dataDir)}.sock`);
  }

  /**
   * Every process of Ferry for this data folder: the window's tree (when `windowPid` or this
   * Ferry's pid runs), the tray's and the owner's; each pid once.
   */
  processes(windowPid = this.pid) {
    const roots = [windowPid, this.trayPid(), this.ownerPid()].filter((pid) => pid && isAlive(pid));
    const seen = new Map();
    for (const root of roots) for (const p of processTree(root)) seen.set(p.pid, p);
    return [...seen.values()];
  }

  /**
   * The pids of the window's process `windowPid` and its WebKit processes: its tree without
   * the tray and the owner, which the window may have started but which outlive it.
   */
  windowProcesses(windowPid = this.pid) {
    const others = new Set(
      [this.trayPid(), this.ownerPid()]
        .filter(Boolean)
        .flatMap((pid) => processTree(pid).map((p) => p.pid)),
    );
    return processTree(windowPid)
      .map((p) => p.pid)
      .filter((pid) => !others.has(pid));
  }

  /** Starts the tray (ferry-tray, beside the app) as the session would. Returns its pid. */
  launchTray() {
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    const log = openSync(join(ARTIFACTS_DIR, `${this.name}-tray.log`), "a");
    this.trayChild = spawn(FERRY_TRAY, [], { env: this.environment(), stdio: ["ignore", log, log] });
    closeSync(log);
    this.trayExited = new Promise((resolve) => this.trayChild.once("exit", (code) => resolve(code)));
    return this.trayChild.pid;
  }

  /** The environment the app runs in: its own data directory and XDG folders. */
  environment() {
    const xdg = (folder) => join(this.root, folder);
    return {
      ...process.env,
      FERRY_DATA_DIR: this.dataDir,
      XDG_CONFIG_HOME: xdg("config"),
      XDG_DATA_HOME: xdg("share"),
      XDG_CACHE_HOME: xdg("cache"),
    };
  }

  async startDriver() {
    const [port, nativePort] = await freePorts(2);
    this.driverUrl = `http://127.0.0.1:${port}`;
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    const log = openSync(join(ARTIFACTS_DIR, `${this.name}.log`), "a");
    const ports = ["--port", String(port), "--native-port", String(nativePort)];
    this.driver = spawn("tauri-driver", ports, {
      env: this.environment(),
      stdio: ["ignore", log, log],
    });
    closeSync(log); // the driver holds its own copy
    await waitFor("tauri-driver to answer /status", () => isReady(this.driverUrl));
  }

  /** Launches the app in a new WebDriver session and waits until its window shows the UI. */
  async open() {
    this.session = await newSession(this.driverUrl, FERRY_APP);
    const app = await waitFor("the ferry-desktop process", () =>
      findDescendant(this.driver.pid, "ferry-desktop"),
    );
    this.pid = app.pid;
    await waitFor("the job list UI", () => this.session.find('[data-testid="add-job-button"]'));
    this.windowHandle = await this.session.windowHandle();
    return this.session;
  }

  /**
   * Starts the app without WebDriver, with `args` (e.g. ["--hidden"]), as a person or the
   * session's autostart does. Returns its pid.
   */
  launch(args = []) {
    if (!existsSync(FERRY_APP)) throw new Error(`the app is not built: ${FERRY_APP} is missing`);
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    const log = openSync(join(ARTIFACTS_DIR, `${this.name}.log`), "a");
    this.child = spawn(FERRY_APP, args, { env: this.environment(), stdio: ["ignore", log, log] });
    closeSync(log);
    this.exited = new Promise((resolve) => this.child.once("exit", (code) => resolve(code)));
    this.pid = this.child.pid;
    return this.pid;
  }

  /**
   * Ends the session (or SIGTERMs a launched app) and the tray, waits for them and their
   * WebKit processes to exit, then stops the owner of this data folder (it stops cleanly on
   * SIGTERM). The clients go first: a client that saw its owner go would start a new one.
   */
  async quit() {
    const everything = () => this.processes().map((p) => p.pid);
    const owner = this.ownerPid();
    const clients = everything().filter((pid) => pid !== owner);
    if (this.child) {
      signalAll([this.child.pid], "SIGTERM");
      this.child = null;
    } else if (this.session) {
      try {
        await this.session.delete();
      } finally {
        this.session = null;
      }
    }
    this.pid = null;
    signalAll([this.trayPid()].filter(Boolean), "SIGTERM");
    this.trayChild = null;
    await stopProcesses(clients);
    // Whichever owner holds the folder now (one the clients started late included).
    const owners = [owner, this.ownerPid()].filter(Boolean);
    const rest = [...new Set([...owners, ...everything()])];
    signalAll(owners, "SIGTERM");
    await stopProcesses(rest);
  }

  /** Quits the app, stops tauri-driver and removes the temporary folders. */
  async stop() {
    try {
      await this.quit();
    } finally {
      if (this.driver) {
        const tree = processTree(this.driver.pid).map((p) => p.pid);
        signalAll([this.driver.pid], "SIGTERM");
        await stopProcesses(tree);
      }
      // A WebKit process of a window that just ended may still be writing its caches here.
      rmSync(this.root, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    }
  }

  /**
   * Runs the command line `ferry ARGS` on this Ferry's data folder, as a terminal beside it
   * would; resolves to { code, stdout, stderr } whatever the exit status.
   */
  cli(...args) {
    return new Promise((resolve) => {
      execFile(FERRY_CLI, args, { env: this.environment() }, (error, stdout, stderr) =>
        resolve({ code: error ? error.code : 0, stdout, stderr }),
      );
    });
  }

  /** Merges `patch` into settings.json in the data directory (while the app is not running). */
  writeSettings(patch) {
    const path = join(this.dataDir, "settings.json");
    const current = existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : {};
    const merged = { ...current, ...patch };
    for (const [key, value] of Object.entries(patch)) {
      if (isObject(value) && isObject(current[key])) merged[key] = { ...current[key], ...value };
    }
    writeFileSync(path, JSON.stringify(merged, null, 2));
  }
}

/** The tray's program, built beside the app. */
export const FERRY_TRAY = join(dirname(FERRY_APP), "ferry-tray");
/** The command line, built beside the app. */
export const FERRY_CLI = join(dirname(FERRY_APP), "ferry");

/** The folder of the owners' sockets and the trays' locks (see the owner's endpoint.rs). */
function socketDir() {
  const runtime = process.env.XDG_RUNTIME_DIR;
  return runtime && runtime.startsWith("/")
    ? join(runtime, "ferry")
    : join(tmpdir(), `ferry-${process.getuid()}`);
}

/** The first 16 hex digits of the SHA-256 of the data folder's absolute path. */
function folderDigest(dataDir) {
  return createHash("sha256").update(resolve(dataDir)).digest("hex").slice(0, 16);
}

/** The lock file of the tray of `dataDir`. */
export function trayLockPath(dataDir) {
  return join(socketDir(), `tray-${folderDigest(dataDir)}.lock`);
}

/** The pid written first in lock file `path`, when that process runs; else undefined. */
function heldBy(path) {
  try {
    const pid = Number(readFileSync(path, "utf8").trim().split(/\s+/)[0]);
    return pid > 0 && isAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Waits for `pids` to exit, then SIGTERMs and finally SIGKILLs any that remain. */
async function stopProcesses(pids) {
  const remaining = () => pids.filter(isAlive);
  for (const signal of ["SIGTERM", "SIGKILL"]) {
    try {
      const gone = () => remaining().length === 0;
      await waitFor("processes to exit", gone, { timeoutMs: EXIT_GRACE_MS });
      return;
    } catch {
      signalAll(remaining(), signal);
    }
  }
  await waitFor(`processes ${remaining().join(", ")} to exit`, () => remaining().length === 0);
}

/** `count` distinct TCP ports on 127.0.0.1 that were free a moment ago. */
export async function freePorts(count) {
  const servers = await Promise.all(
    Array.from({ length: count }, () =>
      new Promise((resolve, reject) => {
        const server = createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve(server));
      }),
    ),
  );
  const ports = servers.map((server) => server.address().port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}
