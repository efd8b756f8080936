// A small W3C WebDriver client over fetch: sessions, elements, scripts and screenshots, which is
// all the end-to-end tests need from tauri-driver.

/** The key under which W3C WebDriver returns an element reference. */
const ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf";

/** An error answered by the remote end, with its W3C error code (e.g. "no such element"). */
export class WebDriverError extends Error {
  constructor(status, error, message) {
    super(`WebDriver ${status} ${error}: ${message}`);
    this.status = status;
    this.error = error;
  }
}

async function call(baseUrl, method, path, body) {
  const response = await fetch(baseUrl + path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json; charset=utf-8" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const payload = text ? JSON.parse(text) : {};
  if (!response.ok) {
    const value = payload.value ?? {};
    const error = value.error ?? "unknown error";
    throw new WebDriverError(response.status, error, value.message ?? text);
  }
  return payload.value;
}

/** True when the remote end answers /status as ready. */
export async function isReady(driverUrl) {
  try {
    const status = await call(driverUrl, "GET", "/status");
    return status?.ready !== false;
  } catch {
    return false;
  }
}

/** Starts a session with W3C `capabilities` ({ alwaysMatch, … }) on any driver. */
export async function newSessionWith(driverUrl, capabilities) {
  const value = await call(driverUrl, "POST", "/session", { capabilities });
  const session = new Session(driverUrl, value.sessionId);
  session.capabilities = value.capabilities;
  return session;
}

/** Starts `application` through tauri-driver and returns its session. */
export async function newSession(driverUrl, application, args = []) {
  const capabilities = {
    alwaysMatch: { "tauri:options": { application, args } },
  };
  const value = await call(driverUrl, "POST", "/session", { capabilities });
  return new Session(driverUrl, value.sessionId);
}

/**
 * One WebDriver session: one running window's process. Closing Ferry's window ends that
 * process, and with it what the session can drive; a window shown again is a new process,
 * which a new session starts (see Ferry.open in app.mjs).
 */
export class Session {
  constructor(driverUrl, id) {
    this.driverUrl = driverUrl;
    this.id = id;
  }

  request(method, path, body) {
    return call(this.driverUrl, method, `/session/${this.id}${path}`, body);
  }

  /** The first element matching `css`; throws WebDriverError "no such element" if none. */
  async find(css) {
    const value = await this.request("POST", "/element", { using: "css selector", value: css });
    return new Element(this, value[ELEMENT_KEY]);
  }

  /** Every element matching `css`, possibly none. */
  async findAll(css) {
    const values = await this.request("POST", "/elements", { using: "css selector", value: css });
    return values.map((value) => new Element(this, value[ELEMENT_KEY]));
  }

  /** Runs `script` (a function body) in the page; Element arguments become DOM nodes. */
  execute(script, args = []) {
    const wireArgs = args.map((arg) => (arg instanceof Element ? arg.reference() : arg));
    return this.request("POST", "/execute/sync", { script, args: wireArgs });
  }

  /** Opens `url` in the current tab (browsers). */
  navigate(url) {
    return this.request("POST", "/url", { url });
  }

  title() {
    return this.request("GET", "/title");
  }

  /** The handles of the app's windows (webviews) the session can drive. */
  windowHandles() {
    return this.request("GET", "/window/handles");
  }

  /** The handle of the window commands go to; "no such window" once it was closed. */
  windowHandle() {
    return this.request("GET", "/window");
  }

  /** Sends the following commands to window `handle`. */
  switchToWindow(handle) {
    return this.request("POST", "/window", { handle });
  }

  /** PNG of the webview as a Buffer. */
  async screenshot() {
    return Buffer.from(await this.request("GET", "/screenshot"), "base64");
  }

  /** Ends the session; the driver stops the app. */
  delete() {
    return call(this.driverUrl, "DELETE", `/session/${this.id}`);
  }
}

/** A DOM element of a session. */
export class Element {
  constructor(session, id) {
    this.session = session;
    this.id = id;
  }

  reference() {
    return { [ELEMENT_KEY]: this.id };
  }

  request(method, path, body) {
    return this.session.request(method, `/element/${this.id}${path}`, body);
  }

  async find(css) {
    const value = await this.request("POST", "/element", { using: "css selector", value: css });
    return new Element(this.session, value[ELEMENT_KEY]);
  }

  async findAll(css) {
    const values = await this.request("POST", "/elements", { using: "css selector", value: css });
    return values.map((value) => new Element(this.session, value[ELEMENT_KEY]));
  }

  click() {
    return this.request("POST", "/click", {});
  }

  clear() {
    return this.request("POST", "/clear", {});
  }

  /** Types `text` as key presses. */
  type(text) {
    return this.request("POST", "/value", { text });
  }

  /** The rendered text, as a person reads it. */
  text() {
    return this.request("GET", "/text");
  }

  attribute(name) {
    return this.request("GET", `/attribute/${encodeURIComponent(name)}`);
  }

  property(name) {
    return this.request("GET", `/property/${encodeURIComponent(name)}`);
  }

  isEnabled() {
    return this.request("GET", "/enabled");
  }

  isDisplayed() {
    return this.request("GET", "/displayed");
  }
}
