// Desktop notifications as the session bus carried them, read from dbus-monitor's log.

import { readFileSync } from "node:fs";

import { NOTIFY_LOG } from "./env.mjs";
import { waitFor } from "./wait.mjs";

/**
 * Every org.freedesktop.Notifications.Notify call so far, as
 * { appName, summary, body, actions } (the 1st, 4th, 5th and 6th arguments of Notify; actions
 * as identifier and label, one after the other).
 */
export function notifyCalls() {
  const log = readFileSync(NOTIFY_LOG, "utf8");
  return log
    .split(/^(?=method call |signal |method return |error )/m)
    .filter((block) => block.startsWith("method call ") && /member=Notify\b/.test(block))
    .map(parseNotify);
}

function parseNotify(block) {
  // Arguments follow the header line, one per line; strings may span lines.
  const strings = [...block.matchAll(/^ {3}(?:string "([\s\S]*?)"|uint32 \d+)$/gm)].map(
    (match) => match[1],
  );
  const [appName, , , summary, body] = strings;
  // The first array after the body: the actions, as identifier and label, one after the other.
  const actionsBlock = /^ {3}array \[\n([\s\S]*?)^ {3}\]/m.exec(block)?.[1] ?? "";
  const actions = [...actionsBlock.matchAll(/^ {6}string "([\s\S]*?)"$/gm)].map((match) => match[1]);
  return { appName, summary, body, actions };
}

/** Waits for a Notify call whose summary or body satisfies `matches`, and returns it. */
export function waitForNotification(description, matches) {
  return waitFor(`a notification ${description}`, () =>
    notifyCalls().find((call) => matches(`${call.summary}\n${call.body}`, call)),
  );
}
