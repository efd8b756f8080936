// Waiting for something a person would see, with a generous bound instead of a fixed sleep.

import { screenshot } from "./desktop.mjs";

let failures = 0;

/** How long a wait may take before the test fails: long enough for a slow CI machine. */
export const PATIENCE_MS = Number(process.env.FERRY_E2E_PATIENCE_MS ?? 60_000);

/**
 * Polls `probe` until it returns something other than undefined/null/false and returns that.
 * Errors thrown by the probe count as "not yet"; the last one is reported on timeout.
 */
export async function waitFor(description, probe, { timeoutMs = PATIENCE_MS, everyMs = 150 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const why = lastError ? ` (last error: ${lastError.message})` : "";
      const shot = screenOnTimeout();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}${why}${shot}`);
    }
    await sleep(everyMs);
  }
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A screenshot of what the screen showed when a wait gave up, named in the error message. */
function screenOnTimeout() {
  if (!process.env.DISPLAY) return "";
  try {
    failures += 1;
    return `; screen: ${screenshot(`timeout-${process.pid}-${failures}`)}`;
  } catch {
    return "";
  }
}
