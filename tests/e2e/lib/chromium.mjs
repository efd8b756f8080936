// Debian's Chromium driven by chromedriver, with Ferry's extension (ui/extension) loaded
// unpacked, for the browser hand-off tests. Chromium runs with the environment of a Ferry
// (its data folder, its XDG folders), so the `ferry` native messaging host it starts works on
// that Ferry's queue; its profile is `$XDG_CONFIG_HOME/chromium`, where `ferry browser
// install` puts this user's host manifest.

import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { join, resolve } from "node:path";

import { freePorts } from "./app.mjs";
import { ARTIFACTS_DIR, E2E_DIR } from "./env.mjs";
import { isAlive, processTree, signalAll } from "./processes.mjs";
import { isReady, newSessionWith } from "./webdriver.mjs";
import { waitFor } from "./wait.mjs";

/** The extension's folder. */
export const EXTENSION_DIR = resolve(E2E_DIR, "../../ui/extension");

/** The extension's id, fixed by the public key in its manifest. */
export const EXTENSION_ID = "gniimlejbnjekiladepgmfmalmjfpbjh";

/** A page of the extension. */
export const extensionPage = (page) => `chrome-extension://${EXTENSION_ID}/${page}`;

export class Chromium {
  /**
   * Starts chromedriver and a Chromium session for `ferry` (an app.mjs Ferry): headless
   * (`--headless=new`) unless `headless` is false, then in a window on the Xvfb display.
   */
  static async start(ferry, { headless = true } = {}) {
    const browser = new Chromium(ferry);
    try {
      await browser.startDriver();
      await browser.startSession(headless);
    } catch (error) {
      await browser.stop();
      throw error;
    }
    return browser;
  }

  constructor(ferry) {
    this.ferry = ferry;
    this.profile = join(ferry.root, "config", "chromium");
    /** Where the browser itself saves downloads. */
    this.downloads = join(ferry.root, "browser-downloads");
    this.driver = null;
    this.session = null;
  }

  async startDriver() {
    const [port] = await freePorts(1);
    this.driverUrl = `http://127.0.0.1:${port}`;
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    const log = openSync(join(ARTIFACTS_DIR, `${this.ferry.name}-chromedriver.log`), "a");
    this.driver = spawn("chromedriver", [`--port=${port}`, "--allowed-ips=127.0.0.1"], {
      env: this.ferry.environment(),
      stdio: ["ignore", log, log],
    });
    closeSync(log);
    await waitFor("chromedriver to answer /status", () => isReady(this.driverUrl));
  }

  async startSession(headless) {
    mkdirSync(this.profile, { recursive: true });
    mkdirSync(this.downloads, { recursive: true });
    const args = [
      `--user-data-dir=${this.profile}`,
      `--load-extension=${EXTENSION_DIR}`,
      // Chromium ignores --load-extension without this since version 137.
      "--disable-features=DisableLoadExtensionCommandLineSwitch",
      "--no-first-run",
      "--no-default-browser-check",
      "--password-store=basic",
      "--window-size=1100,700",
      "--window-position=0,0",
      // The tests run as root, where Chromium's sandbox cannot start.
      ...(process.getuid() === 0 ? ["--no-sandbox"] : []),
      ...(headless ? ["--headless=new"] : []),
    ];
    this.session = await newSessionWith(this.driverUrl, {
      alwaysMatch: {
        browserName: "chrome",
        "goog:chromeOptions": {
          binary: "/usr/bin/chromium",
          args,
          // The browser's own downloads stay inside this Ferry's temporary folder.
          prefs: {
            "download.default_directory": this.downloads,
            "download.prompt_for_download": false,
          },
        },
      },
    });
  }

  /**
   * Runs `body` (an async function body with the extension's modules `menu`, `ferry` and
   * `settings`, and `args`, in scope) in an extension page.
   */
  async inExtension(body, ...args) {
    await this.session.navigate(extensionPage("options.html"));
    const script = `
      const menu = await import(chrome.runtime.getURL("menu.js"));
      const ferry = await import(chrome.runtime.getURL("ferry.js"));
      const settings = await import(chrome.runtime.getURL("settings.js"));
      const args = arguments;
      ${body}`;
    return this.session.execute(`return (async function () { ${script} }).apply(null, arguments);`, args);
  }

  /** Ends the session (Chromium ends with it) and chromedriver. */
  async stop() {
    try {
      await this.session?.delete();
    } catch {
      // Chromium already gone.
    }
    this.session = null;
    if (this.driver) {
      const tree = processTree(this.driver.pid).map((p) => p.pid);
      signalAll([this.driver.pid], "SIGTERM");
      await waitFor("chromedriver and Chromium to exit", () => tree.every((pid) => !isAlive(pid)), {
        timeoutMs: 15_000,
      }).catch(() => signalAll(tree.filter(isAlive), "SIGKILL"));
      this.driver = null;
    }
  }
}
