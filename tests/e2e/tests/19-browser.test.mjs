// The browser hand-off: Debian's Chromium with Ferry's extension loaded unpacked hands a link
// of a page on 127.0.0.1 to Ferry through the `ferry` native messaging host, which starts the
// owner, and the job transfers like any other; messages that break the rules are refused with
// a reason and make no job.

import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { FERRY_CLI, Ferry } from "../lib/app.mjs";
import { Chromium, EXTENSION_ID, extensionPage } from "../lib/chromium.mjs";
import { keepScreenshot, pressKeys, screenshotWhenStill, viewableTopLevels } from "../lib/desktop.mjs";
import { TestServer, randomFile, sha256OfFile } from "../lib/servers.mjs";
import { waitForState } from "../lib/ui.mjs";
import { sleep, waitFor } from "../lib/wait.mjs";

const state = { ferry: undefined, server: undefined, chromium: undefined };
const file = randomFile(3 << 20);

before(async () => {
  state.server = await TestServer.start();
  state.ferry = await Ferry.start("browser");
  state.ferry.writeSettings({ default_folder: state.ferry.downloads });
  const installed = await state.ferry.cli("browser", "install");
  assert.equal(installed.code, 0, installed.stderr);
  const manifest = join(state.ferry.root, "config/chromium/NativeMessagingHosts/ferry.handoff.json");
  assert.ok(existsSync(manifest), `ferry browser install wrote ${manifest}:\n${installed.stdout}`);
  state.chromium = await Chromium.start(state.ferry);
});

after(async () => {
  try {
    await state.chromium?.stop();
    await state.ferry?.stop();
  } finally {
    await state.server?.close();
  }
});

/** Ferry's jobs, from `ferry list --json`. */
async function jobs() {
  const listed = await state.ferry.cli("list", "--json");
  assert.equal(listed.code, 0, listed.stderr);
  return JSON.parse(listed.stdout);
}

/** Sends `message` as it is to the host, from the extension; resolves to the host's answer. */
const sendRaw = (message) => state.chromium.inExtension("return ferry.sendToFerry(args[0]);", message);

/** Clicks "Download with Ferry" on the link `linkUrl` of page `pageUrl`: the menu's own listener. */
const clickMenu = (linkUrl, pageUrl) =>
  state.chromium.inExtension(
    "return menu.onMenuClicked({ menuItemId: menu.MENU_ID, linkUrl: args[0], pageUrl: args[1] }, { url: args[1] });",
    linkUrl,
    pageUrl,
  );

test("Download with Ferry on a link starts the owner and makes a FOREGROUND job that transfers the right bytes", async () => {
  const { ferry, server, chromium } = state;
  const fileUrl = server.file("/files/release.iso", file.body);
  const pageUrl = server.page("/downloads.html", `<h1>Downloads</h1><a id="iso" href="${fileUrl}">Release ISO</a>`);
  await chromium.session.navigate(pageUrl);
  const link = await (await chromium.session.find("#iso")).property("href");
  assert.equal(link, fileUrl);
  assert.equal(ferry.ownerPid(), undefined, "no owner runs before the hand-off");

  const reply = await clickMenu(link, pageUrl);
  assert.equal(reply.ok, true, JSON.stringify(reply));
  assert.equal(reply.name, "release.iso");
  assert.equal(reply.path, join(ferry.downloads, "release.iso"));
  assert.ok(ferry.ownerPid(), "the host started the owner");

  const info = await ferry.cli("info", reply.job, "--json");
  assert.equal(info.code, 0, info.stderr);
  const job = JSON.parse(info.stdout);
  assert.equal(job.settings.priority, "FOREGROUND");
  assert.equal(job.settings.description, "Chromium");
  await server.waitForRequest("/files/release.iso");
  const get = server.requests.find((r) => r.path === "/files/release.iso" && r.method === "GET");
  assert.equal(get.referer, pageUrl, "the page the link was on is the Referer");
  assert.equal(get.cookie, undefined, "no cookies for a site the user did not allow");

  const session = await ferry.open();
  await waitForState(session, reply.job, "TRANSFERRED");
  const done = JSON.parse((await ferry.cli("info", reply.job, "--json")).stdout);
  assert.equal(done.files[0].sha256, file.sha256);
  const completed = await ferry.cli("complete", reply.job);
  assert.equal(completed.code, 0, completed.stderr);
  assert.equal(sha256OfFile(reply.path), file.sha256);
});

test("messages that break the rules are refused with a reason the extension shows, and make no job", async () => {
  const { chromium, server } = state;
  const before = (await jobs()).length;

  const local = await clickMenu("file:///etc/passwd", server.url("/downloads.html"));
  assert.equal(local.ok, false, JSON.stringify(local));
  assert.equal(local.error.name, "E_INVALIDARG");
  assert.match(local.error.message, /only http and https/);
  await chromium.session.navigate(extensionPage("options.html"));
  const shown = await waitFor("the options page to show the refusal", async () => {
    const text = await (await chromium.session.find('[data-testid="last-reply"]')).text();
    return /Refused: .*only http and https/.test(text) && text;
  });
  assert.match(shown, /file:\/\/\/etc\/passwd/);

  const huge = await sendRaw({ v: 1, kind: "download", url: server.url("/files/release.iso"), file_name: "x".repeat(1 << 20) });
  assert.equal(huge.ok, false, JSON.stringify(huge).slice(0, 200));
  assert.match(huge.error.message, /Ferry reads at most 65536/);

  const missing = await sendRaw({ v: 1, kind: "download", referrer: server.url("/downloads.html") });
  assert.equal(missing.ok, false, JSON.stringify(missing));
  assert.match(missing.error.message, /missing field `url`/);

  const credentials = await sendRaw({ v: 1, kind: "download", url: "http://me:secret@127.0.0.1/a.bin" });
  assert.equal(credentials.ok, false, JSON.stringify(credentials));
  assert.match(credentials.error.message, /credentials/);

  const pong = await sendRaw({ v: 1, kind: "ping" });
  assert.equal(pong.ok, true, "the host still answers after the refusals");
  assert.equal((await jobs()).length, before, "no refused message made a job");
});

/** Runs `ferry` as Chromium starts its host, sends `message`, and resolves to the one reply. */
function hostExchange(message) {
  return new Promise((resolve, reject) => {
    const host = spawn(FERRY_CLI, [`chrome-extension://${EXTENSION_ID}/`], {
      env: state.ferry.environment(),
      stdio: ["pipe", "pipe", "inherit"],
    });
    const chunks = [];
    host.stdout.on("data", (chunk) => chunks.push(chunk));
    host.on("error", reject);
    host.on("exit", () => {
      const output = Buffer.concat(chunks);
      const length = output.readUInt32LE(0);
      resolve(JSON.parse(output.subarray(4, 4 + length).toString("utf8")));
    });
    const body = Buffer.from(JSON.stringify(message));
    const header = Buffer.alloc(4);
    header.writeUInt32LE(body.length);
    host.stdin.end(Buffer.concat([header, body]));
  });
}

test("the host sends the cookies the extension passes as a Cookie header of that job only", async () => {
  const { server } = state;
  const url = server.file("/files/members.bin", randomFile(4096).body);
  const reply = await hostExchange({ v: 1, kind: "download", url, cookies: "session=abc; theme=dark", file_name: "members.bin" });
  assert.equal(reply.ok, true, JSON.stringify(reply));
  await server.waitForRequest("/files/members.bin");
  const get = server.requests.find((r) => r.path === "/files/members.bin" && r.method === "GET");
  assert.equal(get.cookie, "session=abc; theme=dark");
  const info = JSON.parse((await state.ferry.cli("info", reply.job, "--json")).stdout);
  assert.equal(info.settings.description, "Chromium", "the host's browser when the message names none");
  const headers = await state.ferry.cli("getcustomheaders", reply.job);
  assert.match(headers.stdout, /Cookie/);
  assert.doesNotMatch(headers.stdout, /abc/, "header values are never shown");
});

test("with the take-over on, a browser download of a listed type goes to Ferry and leaves the browser; others stay", async () => {
  const { chromium, ferry, server } = state;
  await chromium.inExtension("await settings.saveSettings(args[0]);", {
    takeOver: true,
    takeOverMinMiB: 0,
    takeOverTypes: ["zip"],
  });
  const archive = randomFile(1 << 20);
  // The server holds both answers half-way, so the browser's own download is still running
  // when the extension takes it over.
  const zipUrl = server.heldFile("/files/bundle.zip", archive.body);
  const other = randomFile(64 * 1024);
  const otherUrl = server.file("/files/notes.dat", other.body);
  const pageUrl = server.page(
    "/more.html",
    `<a id="zip" href="${zipUrl}" download>Bundle</a> <a id="other" href="${otherUrl}" download>Notes</a>`,
  );
  await chromium.session.navigate(pageUrl);
  await (await chromium.session.find("#zip")).click();

  const job = await waitFor("the taken-over download in Ferry", async () =>
    (await jobs()).find((j) => j.files[0]?.remote_url === zipUrl),
  );
  assert.equal(job.settings.description, "Chromium");
  assert.equal(job.settings.priority, "FOREGROUND");
  await chromium.session.navigate(extensionPage("options.html"));
  await waitFor("the browser to drop its own download", async () => {
    const left = await chromium.inExtension("return chrome.downloads.search({ url: args[0] });", zipUrl);
    return left.length === 0;
  });
  server.release("/files/bundle.zip");
  await waitFor("Ferry's job to be TRANSFERRED", async () => (await ferry.cli("getstate", job.id)).stdout.trim() === "TRANSFERRED");
  assert.equal(JSON.parse((await ferry.cli("info", job.id, "--json")).stdout).files[0].sha256, archive.sha256);
  assert.deepEqual(readdirSync(chromium.downloads), [], "nothing of the zip stays in the browser's folder");

  await chromium.session.navigate(pageUrl);
  await (await chromium.session.find("#other")).click();
  await waitFor("the browser to finish the download it keeps", () => existsSync(join(chromium.downloads, "notes.dat")));
  assert.equal(sha256OfFile(join(chromium.downloads, "notes.dat")), other.sha256);
  assert.equal((await jobs()).filter((j) => j.files[0]?.remote_url === otherUrl).length, 0);
  await chromium.inExtension("await settings.saveSettings({ takeOver: false });");
});

test("the link menu shows Download with Ferry (a headful Chromium on the Xvfb display)", async () => {
  const { ferry, server } = state;
  await state.chromium.stop();
  state.chromium = await Chromium.start(ferry, { headless: false });
  const pageUrl = server.url("/downloads.html");
  const { session } = state.chromium;
  await session.navigate(pageUrl);
  const link = await session.find("#iso");
  await waitFor("Chromium's window to settle", async () => {
    const first = viewableTopLevels().length;
    await sleep(500);
    return viewableTopLevels().length === first;
  });
  execFileSync("dunstctl", ["close-all"]);
  const before = new Set(viewableTopLevels());
  await session.request("POST", "/actions", {
    actions: [
      {
        type: "pointer",
        id: "mouse",
        parameters: { pointerType: "mouse" },
        actions: [
          { type: "pointerMove", origin: link.reference(), x: 0, y: 0 },
          { type: "pointerDown", button: 2 },
          { type: "pointerUp", button: 2 },
        ],
      },
    ],
  });
  await waitFor("the link's menu to open", () => viewableTopLevels().some((id) => !before.has(id)));
  const shot = await screenshotWhenStill("browser-menu");
  keepScreenshot(shot, "browser-menu");
  pressKeys("Escape");
});
