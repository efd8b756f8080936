// The clipboard offer: with the setting on, copying an http(s) URL while Ferry runs shows a
// notification (from the tray) with an Add button; only Add makes a job. With the setting off,
// or for a text that is not one URL, nothing is offered. The setting is changed through the
// owner's API while the tray runs, so it takes effect at once.

import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { createConnection } from "node:net";
import { after, before, test } from "node:test";

import { Ferry } from "../lib/app.mjs";
import { keepScreenshot, screenshotWhenStill } from "../lib/desktop.mjs";
import { notifyCalls, waitForNotification } from "../lib/notifications.mjs";
import { TestServer, randomFile, sha256OfFile } from "../lib/servers.mjs";
import { sleep, waitFor } from "../lib/wait.mjs";

const state = { ferry: undefined, server: undefined, clips: [] };
const OFFER = "Add the copied link to Ferry?";

before(async () => {
  state.server = await TestServer.start();
  state.ferry = await Ferry.start("clipboard", { driver: false });
  state.ferry.writeSettings({ default_folder: state.ferry.downloads });
  state.ferry.launchTray();
  await waitFor("the tray and the owner it starts", () => state.ferry.trayPid() && state.ferry.ownerPid());
});

after(async () => {
  try {
    for (const clip of state.clips) clip.kill();
    await state.ferry?.stop();
  } finally {
    await state.server?.close();
  }
});

/**
 * Puts `text` on the clipboard as a person's copy would (xclip keeps it until the next copy),
 * and waits until the clipboard holds it, so two copies in a row land in their order.
 */
async function copy(text) {
  const clip = spawn("xclip", ["-quiet", "-selection", "clipboard"], { stdio: ["pipe", "ignore", "ignore"] });
  clip.stdin.end(text);
  state.clips.push(clip);
  await waitFor(`the clipboard to hold ${text}`, () => {
    const held = execFileSync("xclip", ["-o", "-selection", "clipboard"], { encoding: "utf8", timeout: 2_000 });
    return held === text;
  });
}

/** One call of the owner's local API (see PROTOCOL.md); resolves to its `ok` value. */
function ownerCall(call, args) {
  return new Promise((resolve, reject) => {
    const socket = createConnection(state.ferry.socketPath());
    let received = "";
    socket.on("data", (chunk) => {
      received += chunk;
      if (!received.includes("\n")) return;
      socket.end();
      const reply = JSON.parse(received.split("\n")[0]);
      reply.error ? reject(new Error(JSON.stringify(reply.error))) : resolve(reply.ok);
    });
    socket.on("error", reject);
    socket.write(JSON.stringify({ v: 1, id: 1, call, ...(args ? { args } : {}) }) + "\n");
  });
}

async function setClipboardOffer(on) {
  const settings = await ownerCall("get_settings");
  await ownerCall("set_settings", { settings: { ...settings, clipboard_offer: on } });
}

async function jobs() {
  const listed = await state.ferry.cli("list", "--json");
  assert.equal(listed.code, 0, listed.stderr);
  return JSON.parse(listed.stdout);
}

const offersOf = (url) => notifyCalls().filter((call) => call.summary === OFFER && call.body === url);

test("with the setting off (the default), a copied URL is not offered", async () => {
  const url = state.server.file("/clip/off.bin", randomFile(1024).body);
  await copy(url);
  await sleep(3_000);
  assert.equal(offersOf(url).length, 0, "no offer while the setting is off");
  assert.equal((await jobs()).length, 0);
});

test("with the setting on, a copied URL is offered, nothing is added until Add, and Add makes the job", async () => {
  const { ferry, server } = state;
  await setClipboardOffer(true);
  const file = randomFile(2 << 20);
  const url = server.file("/clip/copied.bin", file.body);

  await copy("not a link, just words");
  await copy(url);
  await waitForNotification("offering the copied URL", (_, call) => call.summary === OFFER && call.body === url);
  assert.equal(
    notifyCalls().filter((call) => call.summary === OFFER && call.body.includes("just words")).length,
    0,
    "a text that is not a URL is not offered",
  );
  keepScreenshot(await screenshotWhenStill("clipboard-offer"), "clipboard-offer");

  await sleep(3_000);
  assert.equal((await jobs()).length, 0, "the offer adds nothing by itself");
  assert.equal(server.requests.filter((r) => r.path === "/clip/copied.bin").length, 0);

  const id = await waitFor("the tray to log the offer's notification id", () => {
    const match = new RegExp(`offered a copied link notification=(\\d+) url=${url.replace(/[.]/g, "\\.")}`).exec(
      ferry.readLog("tray.log"),
    );
    return match?.[1];
  });
  execFileSync("dbus-send", [
    "--session",
    "--type=signal",
    "/org/freedesktop/Notifications",
    "org.freedesktop.Notifications.ActionInvoked",
    `uint32:${id}`,
    "string:add",
  ]);

  // The owner makes a job and then adds its file; a list in between shows it without one.
  const job = await waitFor("the job Add made, with its file", async () =>
    (await jobs()).find((j) => j.files.length > 0),
  );
  assert.equal(job.files[0].remote_url, url);
  assert.equal(job.settings.description, "Clipboard");
  assert.equal(job.settings.priority, "FOREGROUND");
  await waitFor("the job to be TRANSFERRED", async () => (await ferry.cli("getstate", job.id)).stdout.trim() === "TRANSFERRED");
  const completed = await ferry.cli("complete", job.id);
  assert.equal(completed.code, 0, completed.stderr);
  assert.equal(sha256OfFile(job.files[0].local_path), file.sha256);

  await copy(url);
  await sleep(2_000);
  assert.equal(offersOf(url).length, 1, "the same URL copied again is not offered again");
});
