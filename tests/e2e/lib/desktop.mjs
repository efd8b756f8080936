// The X display as a person sees it: whole-screen screenshots, windows, the system tray, the
// mouse and the keyboard (ImageMagick, xwininfo, xdotool and xrefresh on the Xvfb display).

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

import { ARTIFACTS_DIR, SCREENSHOTS_DIR } from "./env.mjs";

function run(command, args) {
  return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Captures the whole screen (windows, notification popups, tray) into artifacts/<name>.png. */
export function screenshot(name) {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  run("import", ["-window", "root", path]);
  return path;
}

/**
 * Captures the screen once what the page changed has reached it: the X display is painted a
 * few frames after the DOM changes, so this waits until two captures in a row are the same
 * (or gives the last of a bounded number of tries, e.g. while a speed figure keeps moving).
 */
export async function screenshotWhenStill(name, { tries = 20, everyMs = 250 } = {}) {
  let previous;
  let path;
  for (let i = 0; i < tries; i++) {
    path = screenshot(name);
    const digest = createHash("sha256").update(readFileSync(path)).digest("hex");
    if (digest === previous) break;
    previous = digest;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return path;
}

function screenDigest(name) {
  return createHash("sha256").update(readFileSync(screenshot(name))).digest("hex");
}

/**
 * Brings the X display up to date with the page: soon after the app starts, the webview can
 * leave an old frame on screen (e.g. "Loading jobs…" under a dialog opened since) until the
 * pointer moves over it and its window is exposed. Moves the pointer across the screen and
 * back to a corner, repaints every window (xrefresh), and waits, within `timeoutMs`, until the
 * screen shows something else than right after the exposure.
 */
export async function repaintScreen({ timeoutMs = 5_000, everyMs = 250 } = {}) {
  run("xdotool", ["mousemove", "--sync", "640", "400", "mousemove", "--sync", "1", "799"]);
  run("xrefresh", []);
  const exposed = screenDigest("repaint");
  const deadline = Date.now() + timeoutMs;
  while (screenDigest("repaint") === exposed && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Keeps a screenshot the README shows (see SCREENSHOTS_DIR). */
export function keepScreenshot(path, name) {
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  copyFileSync(path, join(SCREENSHOTS_DIR, `${name}.png`));
}

/**
 * Windows below `windowId` (default: the root) as { id, name, width, height, x, y } with
 * absolute x/y: all of them, or with `childrenOnly` just the direct children.
 */
export function windowTree(windowId = "root", { childrenOnly = false } = {}) {
  const target = windowId === "root" ? ["-root"] : ["-id", windowId];
  const lines = run("xwininfo", [...target, childrenOnly ? "-children" : "-tree"]).split("\n");
  // e.g. `     0x400003 "panel": ("panel" "trayer")  120x32+1160+0  +1160+0`
  const pattern =
    /^\s+(0x[0-9a-f]+) (.*?): .*?\s(\d+)x(\d+)[+-]-?\d+[+-]-?\d+\s+\+?(-?\d+)\+?(-?\d+)$/;
  return lines.flatMap((line) => {
    const match = pattern.exec(line);
    if (!match) return [];
    const [, id, name, width, height, x, y] = match;
    return [{ id, name, width: +width, height: +height, x: +x, y: +y }];
  });
}

/** True when the window is mapped and viewable. */
export function isViewable(windowId) {
  try {
    return /Map State: IsViewable/.test(run("xwininfo", ["-id", windowId]));
  } catch {
    return false; // the window is gone
  }
}

/** Viewable top-level windows of process `pid` (by _NET_WM_PID), largest first. */
export function windowsOf(pid) {
  let ids;
  try {
    const found = run("xdotool", ["search", "--onlyvisible", "--pid", String(pid)]);
    ids = found.split(/\s+/).filter(Boolean);
  } catch {
    return []; // xdotool exits 1 when nothing matches
  }
  const hex = new Set(ids.map((id) => "0x" + Number(id).toString(16)));
  return windowTree()
    .filter((w) => hex.has(w.id))
    .sort((a, b) => b.width * b.height - a.width * a.height);
}

/** Ferry's windows on screen, as windowsOf, without its icon docked in the tray. */
export function appWindowsOf(pid) {
  const panel = trayPanel();
  const docked = new Set(panel ? windowTree(panel.id).map((w) => w.id) : []);
  return windowsOf(pid).filter((w) => !docked.has(w.id));
}

/** Moves and resizes top-level `window` (an id like "0x1e00007"), as a person dragging it. */
export function placeWindow(windowId, { x, y, width, height }) {
  const id = String(Number(windowId));
  run("xdotool", ["windowmove", "--sync", id, String(x), String(y)]);
  run("xdotool", ["windowsize", "--sync", id, String(width), String(height)]);
}

/** trayer's strip: the top-level window named "panel". */
export function trayPanel() {
  return windowTree().find((w) => w.name === '"panel"');
}

/**
 * The icons docked in the tray: trayer's sockets, the panel's children big enough to hold an
 * icon (its own bookkeeping windows are 1 pixel wide). Each has `owner`: the names of the
 * windows embedded in it (the docked client's, e.g. '"ferry"').
 */
export function trayIcons() {
  const panel = trayPanel();
  if (!panel) return [];
  return windowTree(panel.id, { childrenOnly: true })
    .filter((w) => w.width >= 8 && w.height >= 8)
    .map((socket) => ({ ...socket, owner: windowTree(socket.id).map((w) => w.name) }));
}

/** Clicks mouse `button` (1 left, 3 right) at the centre of `window`. */
export function clickCentre(window, button = 1) {
  const x = String(window.x + Math.floor(window.width / 2));
  const y = String(window.y + Math.floor(window.height / 2));
  // `mousemove --sync` waits for the pointer to move, which it never does when it is already
  // there (a second click on the tray icon): then the pointer stays where it is.
  const here = /x:(\d+) y:(\d+)/.exec(run("xdotool", ["getmouselocation"]));
  const move = here && here[1] === x && here[2] === y ? [] : ["mousemove", "--sync", x, y];
  run("xdotool", [...move, "click", String(button)]);
}

/** Presses keys on whatever has the keyboard (e.g. "Down", "Return"). */
export function pressKeys(...keys) {
  run("xdotool", ["key", "--delay", "80", ...keys]);
}

/** Top-level windows that are viewable right now (popup menus included). */
export function viewableTopLevels() {
  const children = run("xwininfo", ["-root", "-children"]).split("\n");
  return children
    .map((line) => /^\s+(0x[0-9a-f]+) /.exec(line)?.[1])
    .filter((id) => id && isViewable(id));
}
