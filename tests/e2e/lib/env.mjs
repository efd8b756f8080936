// Where things are: set by run.sh, with defaults for running one test file by hand inside a
// desktop session that run.sh prepared.

import { homedir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** tests/e2e */
export const E2E_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const targetDir = process.env.CARGO_TARGET_DIR ?? join(homedir(), ".cache/ferry/target");

/** The real app binary the tests launch. */
export const FERRY_APP =
  process.env.FERRY_APP ?? process.env.FERRY_E2E_APP ?? join(targetDir, "debug/ferry-desktop");

/**
 * Which build FERRY_APP is, for the figures the tests write: the cargo profile folder it sits
 * in ("debug", or "deb" for the optimised build the package ships), else its folder.
 */
export const FERRY_APP_BUILD = basename(dirname(FERRY_APP)) === "deb"
  ? "the optimised build the package ships, cargo profile `deb`"
  : `${basename(dirname(FERRY_APP))} build`;

/** Screenshots and logs of this run (git-ignored). */
export const ARTIFACTS_DIR = process.env.FERRY_E2E_ARTIFACTS ?? join(E2E_DIR, "artifacts");

/**
 * Where the screenshots and figures the README shows are written: beside the other artifacts,
 * unless FERRY_E2E_SCREENSHOTS names another folder (`make screenshots` points it at the
 * committed tests/e2e/screenshots).
 */
export const SCREENSHOTS_DIR = process.env.FERRY_E2E_SCREENSHOTS
  ? resolve(process.env.FERRY_E2E_SCREENSHOTS)
  : join(ARTIFACTS_DIR, "screenshots");

/** dbus-monitor's record of every Notify call on the session bus. */
export const NOTIFY_LOG = process.env.FERRY_E2E_NOTIFY_LOG ?? join(ARTIFACTS_DIR, "notify.log");
