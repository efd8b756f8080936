// Waiting for something a person would see, with a generous bound instead of a fixed sleep.

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
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}${why}`);
    }
    await sleep(everyMs);
  }
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
