// Started at login (--hidden), Ferry only makes sure its tray runs: no window, no WebKit
// process, and the window's program exits at once. The first Show Ferry in the tray starts the
// window; a second launch while it is open brings it to the front and exits. Quit in the tray
// with the window open ends the window, the tray and the owner, each with status 0, and the
// socket is gone; a job that was transferring goes on at the next start.

import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";

import { Ferry } from "../lib/app.mjs";
import { FERRY_APP } from "../lib/env.mjs";
import { appWindowsOf, isViewable, trayIcons } from "../lib/desktop.mjs";
import { findDescendant, hasWebProcess, isAlive, programName } from "../lib/processes.mjs";
import { TestServer, randomFile, sha256OfFile } from "../lib/servers.mjs";
import { chooseTrayMenuItem, openTrayMenu, waitForTrayIcon } from "../lib/tray.mjs";
import { sleep, waitFor } from "../lib/wait.mjs";
import { requestClose } from "../lib/x11-close.mjs";

const run = promisify(execFile);
/** The `ferry` command line, built beside the app. */
const FERRY_CLI = join(dirname(FERRY_APP), "ferry");

let ferry;
let server;

before(async () => {
  server = await TestServer.start();
  ferry = await Ferry.start("hidden-start", { driver: false });
});
after(async () => {
  try {
    await ferry?.stop();
  } finally {
    await server?.close();
  }
});

/** Waits until every process of `pids` (a window's process and its WebKit processes) ended. */
const allEnded = (what, pids) => waitFor(what, () => pids.every((pid) => !isAlive(pid)));

/** Runs `ferry ARGS` on the app's data folder; resolves to { code, stdout, stderr }. */
async function cli(...args) {
  const env = { ...ferry.environment() };
  try {
    const { stdout, stderr } = await run(FERRY_CLI, args, { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    return { code: error.code, stdout: error.stdout, stderr: error.stderr };
  }
}

const programs = (processes) => processes.map((p) => programName(p.pid)).sort();

test("--hidden starts the tray, builds no window and starts no WebKit process", async () => {
  ferry.launch(["--hidden"]);
  assert.equal(await ferry.exited, 0, "the window's program exits at once");
  await waitForTrayIcon();
  const tray = await waitFor("the tray's pid", () => ferry.trayPid());
  await waitFor("the owner", () => ferry.ownerPid());
  await sleep(3_000);
  assert.deepEqual(programs(ferry.processes(tray)), ["ferry", "ferry-tray"], "tray and owner only");
  assert.equal(findDescendant(tray, "ferry-desktop"), undefined, "no window's process");
  assert.deepEqual(appWindowsOf(tray), [], "no window on screen");

  ferry.launchTray();
  assert.equal(await ferry.trayExited, 0, "a second tray for the same data folder exits 0");
  assert.equal(ferry.trayPid(), tray, "the first tray stays");
  assert.equal(trayIcons().length, 1, "one icon");
});

test("the first Show Ferry from the tray starts the window", async () => {
  const tray = ferry.trayPid();
  await openTrayMenu(await waitForTrayIcon());
  chooseTrayMenuItem("Show Ferry");
  const app = await waitFor("the window's process", () => findDescendant(tray, "ferry-desktop"));
  const main = await waitFor("the window", () => appWindowsOf(app.pid)[0]);
  assert.ok(main.width >= 720 && main.height >= 440, `window is ${main.width}x${main.height}`);
  await waitFor("the web process", () => hasWebProcess(app.pid));

  const windowTree = ferry.windowProcesses(app.pid);
  await requestClose(main.id);
  await waitFor("the window to be gone", () => !isViewable(main.id));
  await allEnded("the window's process and its WebKit processes to exit", windowTree);
  assert.ok(isAlive(tray), "the tray stays");
});

test("a second launch brings the open window to the front and exits", async () => {
  const first = ferry.launch();
  await waitFor("the window", () => appWindowsOf(first)[0]);
  const second = spawn(FERRY_APP, [], { env: ferry.environment(), stdio: "ignore" });
  const exited = await new Promise((resolve) => second.once("exit", resolve));
  assert.equal(exited, 0, "the second launch hands over and exits");
  assert.ok(isAlive(first), "the first window's process stays");
  assert.equal(appWindowsOf(first).length, 1, "still one window");
});

test("Quit from the tray with the window open ends window, tray and owner; the job resumes next time", async () => {
  const file = randomFile(4 << 20);
  const url = server.heldFile("/quit/later.bin", file.body);
  const path = join(ferry.downloads, "later.bin");
  const made = await cli("transfer", "--no-wait", "--name", "Later", url, path);
  assert.equal(made.code, 0, made.stderr);
  const jobId = made.stdout.trim().replace(/^\{|\}$/g, "");
  await server.waitForHold("/quit/later.bin");

  const window = ferry.pid;
  const tray = ferry.trayPid();
  const owner = ferry.ownerPid();
  const socket = ferry.socketPath();
  assert.ok(window && tray && owner && existsSync(socket), "window, tray, owner and socket");
  await waitFor("the window's web process", () => hasWebProcess(window));
  const windowTree = ferry.windowProcesses(window);

  const memory = join(ferry.dataDir, "window.json");
  rmSync(memory, { force: true });
  await openTrayMenu(await waitForTrayIcon());
  chooseTrayMenuItem("Quit");
  assert.equal(await ferry.exited, 0, "the window's process exits with 0");
  await allEnded("the window's WebKit processes to exit", windowTree);
  assert.ok(existsSync(memory), "the window's place is kept for the next start");
  await waitFor("the tray to exit", () => !isAlive(tray));
  await waitFor("the owner to exit", () => !isAlive(owner));
  assert.ok(!existsSync(socket), "the owner removed its socket");
  assert.match(await ferry.readLog("tray.log"), /the tray ends/, "the tray ended on its own");
  assert.match(await ferry.readLog("ferry.log"), /the owner stopped/, "the owner stopped cleanly");

  // The next client starts the owner, which resumes the job; the server lets it finish.
  server.release("/quit/later.bin");
  const state = await cli("getstate", jobId);
  assert.equal(state.code, 0, state.stderr);
  assert.match(state.stdout, /QUEUED|CONNECTING|TRANSFERRING|TRANSFERRED/, "the job goes on");
  await waitFor("the job to be transferred", async () => {
    return (await cli("getstate", jobId)).stdout.trim() === "TRANSFERRED";
  });
  assert.equal((await cli("complete", jobId)).code, 0);
  assert.equal(sha256OfFile(path), file.sha256);
});

test("a tray started by hand ends with status 0 on SIGTERM, leaving the owner", async () => {
  const tray = ferry.launchTray();
  await waitFor("its icon", () => trayIcons().length === 1 && ferry.trayPid() === tray);
  const owner = await waitFor("the owner", () => ferry.ownerPid());
  process.kill(tray, "SIGTERM");
  assert.equal(await ferry.trayExited, 0, "a clean end");
  await waitFor("the icon to go", () => trayIcons().length === 0);
  assert.ok(isAlive(owner), "the owner keeps running");
});
