// The extension's settings, kept in storage.local. Everything that changes what is sent to
// Ferry is off or empty until the user sets it in the options page.

/** The browser's extension API: `browser` in Firefox, `chrome` in Chromium (both promise-based in MV3). */
export const api = globalThis.browser ?? globalThis.chrome;

/** What a fresh install starts with. */
export const DEFAULTS = Object.freeze({
  /** Take over the browser's own downloads (those that match below). */
  takeOver: false,
  /** Take over downloads at least this large, in MiB (0: no size rule). */
  takeOverMinMiB: 50,
  /** Take over downloads of these types: file extensions ("iso") or media types ("application/zip"). */
  takeOverTypes: [],
  /** Origins ("https://example.org") whose cookies go to Ferry with their links. */
  cookieSites: [],
});

/** The settings now, with defaults for what was never set. */
export async function loadSettings() {
  const stored = await api.storage.local.get(Object.keys(DEFAULTS));
  return { ...DEFAULTS, ...stored };
}

/** Saves `patch` over the settings. */
export function saveSettings(patch) {
  return api.storage.local.set(patch);
}
