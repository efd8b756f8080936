// Talking to Ferry: one native message to the `ferry` host per hand-off, and what the user
// sees of the answer. Ferry checks every message (the URL rules of its engine, the size, the
// fields) and answers with the job or a sentence saying why not, shown here as it is.

import { api, loadSettings } from "./settings.js";

/** The native messaging host: `ferry`, registered by `ferry browser install` or the package. */
export const HOST = "ferry.handoff";

/** Sends `message` to Ferry and resolves to its answer ({ ok: true, … } or { ok: false, error }). */
export async function sendToFerry(message) {
  try {
    return await api.runtime.sendNativeMessage(HOST, message);
  } catch (error) {
    return {
      ok: false,
      error: {
        name: "FERRY_NOT_REACHED",
        message: `Ferry could not be started (${error.message ?? error}). Run "ferry browser install" once, then try again.`,
      },
    };
  }
}

/**
 * Hands the link `url` to Ferry: with the page it was on (`referrer`), the browser's suggested
 * file name when there is one, and the site's cookies only when the user allowed that site.
 * Shows the outcome and resolves to Ferry's answer.
 */
export async function downloadWithFerry({ url, referrer, fileName }) {
  const message = { v: 1, kind: "download", url, browser: await browserName() };
  if (referrer) message.referrer = referrer;
  if (fileName) message.file_name = fileName;
  const cookies = await cookiesFor(url);
  if (cookies) message.cookies = cookies;
  const reply = await sendToFerry(message);
  await show(reply);
  return reply;
}

/** The `Cookie` header's value for `url`, when its site is one the user allowed; else undefined. */
export async function cookiesFor(url) {
  let origin;
  try {
    origin = new URL(url).origin;
  } catch {
    return undefined;
  }
  const { cookieSites } = await loadSettings();
  if (!cookieSites.includes(origin)) return undefined;
  const granted = await api.permissions.contains({ origins: [`${origin}/*`] });
  if (!granted) return undefined;
  const cookies = await api.cookies.getAll({ url });
  const header = cookies.map((c) => `${c.name}=${c.value}`).join("; ");
  return header || undefined;
}

/** "Firefox", "Chromium", "Google Chrome", …: the job's description in Ferry. */
export async function browserName() {
  if (api.runtime.getBrowserInfo) return (await api.runtime.getBrowserInfo()).name;
  const brands = globalThis.navigator?.userAgentData?.brands ?? [];
  const real = brands.map((b) => b.brand).filter((b) => !/not.a.brand/i.test(b));
  return real.find((b) => b !== "Chromium") ?? real[0] ?? "Chromium";
}

/** Tells the user what Ferry answered, and keeps it for the options page. */
async function show(reply) {
  const title = reply.ok ? "Ferry is downloading it" : "Ferry did not take the download";
  const text = reply.ok ? `${reply.name} → ${reply.path}` : reply.error.message;
  await api.storage.local.set({ lastReply: { at: Date.now(), ...reply } });
  try {
    await api.notifications.create({
      type: "basic",
      iconUrl: api.runtime.getURL("icons/128.png"),
      title,
      message: text,
    });
  } catch {
    // A browser without notifications still has the answer in the options page.
  }
}
