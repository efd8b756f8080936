// The desktop session itself: before any app test can mean something, the display, the
// notification server, the tray and tauri-driver must work and stop cleanly.

import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { test } from "node:test";

import { screenshot, trayPanel } from "../lib/desktop.mjs";
import { waitForNotification } from "../lib/notifications.mjs";
import { isAlive, processTree, signalAll } from "../lib/processes.mjs";
import { isReady } from "../lib/webdriver.mjs";
import { waitFor } from "../lib/wait.mjs";

test("the X display answers and can be captured", () => {
  const path = screenshot("desktop");
  const size = execFileSync("identify", ["-format", "%wx%h", path], { encoding: "utf8" });
  assert.equal(size, "1280x800");
});

test("a notification sent on the session bus is recorded", async () => {
  const marker = `Ferry harness check ${randomUUID()}`;
  execFileSync("notify-send", [marker, "The notification log works."]);
  const call = await waitForNotification(`titled "${marker}"`, (text) => text.includes(marker));
  assert.equal(call.summary, marker);
  assert.equal(call.body, "The notification log works.");
});

test("the system tray is on screen", () => {
  const panel = trayPanel();
  assert.ok(panel, "trayer's panel window exists");
  assert.deepEqual([panel.width, panel.height], [120, 32]);
});

test("tauri-driver starts, answers and stops with its native driver", async () => {
  const port = 4600 + Math.floor(Math.random() * 1000);
  const ports = ["--port", String(port), "--native-port", String(port + 1)];
  const driver = spawn("tauri-driver", ports, { stdio: "ignore" });
  try {
    await waitFor("tauri-driver /status", () => isReady(`http://127.0.0.1:${port}`));
    const native = await waitFor("WebKitWebDriver", () =>
      processTree(driver.pid).find((p) => p.name === "WebKitWebDriver"),
    );
    driver.kill("SIGTERM");
    await waitFor("tauri-driver and WebKitWebDriver to exit", () =>
      [driver.pid, native.pid].every((pid) => !isAlive(pid)),
    );
  } finally {
    signalAll(processTree(driver.pid).map((p) => p.pid), "SIGKILL");
  }
});
