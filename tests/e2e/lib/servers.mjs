// Real HTTP servers on 127.0.0.1 for the end-to-end tests (node:http): files with Range and
// validators, a path that is not there, a path behind Basic credentials, and files that stop
// half-way until the test lets them finish.

import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";

import { LoopbackServer } from "./loopback.mjs";
import { waitFor } from "./wait.mjs";

const LAST_MODIFIED = "Wed, 01 Jan 2025 00:00:00 GMT";

/** Random content and its SHA-256, to check what lands on disk. */
export function randomFile(size) {
  const body = randomBytes(size);
  return { body, sha256: sha256(body) };
}

/** The SHA-256 of `buffer`, in hex. */
export function sha256(buffer) {
  return createHash("sha256").update(buffer).digest("hex");
}

/** The SHA-256 of the file at `path`, to compare with what a server sent. */
export function sha256OfFile(path) {
  return sha256(readFileSync(path));
}

/** A gate a held response waits at; `open()` lets every waiting and later response through. */
class Gate {
  constructor() {
    this.opened = new Promise((resolve) => (this.open = resolve));
  }
}

/**
 * One server with a table of routes. Every request is recorded in `requests` so tests can wait
 * on what the client did (e.g. "the second file was requested, so the first one is done").
 */
export class TestServer extends LoopbackServer {
  constructor() {
    super();
    this.routes = new Map();
    this.requests = [];
    this.completed = [];
    this.server = createServer((request, response) => this.handle(request, response));
  }

  /**
   * Serves `body` at `path` with Range, ETag and Last-Modified, as `contentType`, with
   * `extraHeaders` (e.g. a `content-disposition`) on every answer.
   */
  file(path, body, contentType = "application/octet-stream", extraHeaders = {}) {
    this.routes.set(path, { kind: "file", body, contentType, extraHeaders });
    return this.url(path);
  }

  /**
   * Serves `body` at `path`, but every response stops after `holdAt` bytes and waits until
   * `release(path)` is called (a slow server, without depending on how slow).
   */
  heldFile(path, body, holdAt = Math.floor(body.length / 2)) {
    this.routes.set(path, { kind: "file", body, holdAt, gate: new Gate() });
    return this.url(path);
  }

  /**
   * Serves `body` at `path` at a steady trickle: `bytesPerTick` bytes every `tickMs`, so a
   * download of it keeps moving (progress ticks) for as long as the test runs.
   */
  trickleFile(path, body, bytesPerTick, tickMs = 100) {
    this.routes.set(path, { kind: "file", body, trickle: { bytesPerTick, tickMs } });
    return this.url(path);
  }

  /** Lets the held responses of `path` finish. */
  release(path) {
    this.routes.get(path).gate.open();
  }

  /** Serves the HTML `html` at `path` (a page with links, for a browser). */
  page(path, html) {
    this.routes.set(path, { kind: "page", html });
    return this.url(path);
  }

  /** Answers 404 at `path`. */
  missing(path) {
    this.routes.set(path, { kind: "missing" });
    return this.url(path);
  }

  /** Serves `body` at `path` only with Basic credentials `user`/`password`; 401 otherwise. */
  protectedFile(path, body, user, password) {
    const expected = "Basic " + Buffer.from(`${user}:${password}`).toString("base64");
    this.routes.set(path, { kind: "file", body, authorization: expected });
    return this.url(path);
  }

  /** Resolves once a GET for `path` has started (after `count - 1` earlier ones). */
  waitForRequest(path, count = 1) {
    const gets = () => this.requests.filter((r) => r.path === path && r.method === "GET");
    return waitFor(`GET ${path} #${count} to reach the server`, () => gets().length >= count);
  }

  /** Resolves once a response body for `path` has been sent to its last byte. */
  waitForCompletedResponse(path) {
    return waitFor(`the whole of ${path} to be sent`, () => this.completed.includes(path));
  }

  /** Resolves once a held response of `path` has sent everything up to its hold point. */
  waitForHold(path) {
    return waitFor(`${path} to be sent up to its hold point`, () => this.routes.get(path).holding);
  }

  async close() {
    for (const route of this.routes.values()) route.gate?.open();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  handle(request, response) {
    const path = new URL(request.url, "http://x").pathname;
    this.requests.push({
      method: request.method,
      path,
      range: request.headers.range,
      authorization: request.headers.authorization,
      referer: request.headers.referer,
      cookie: request.headers.cookie,
    });
    const route = this.routes.get(path);
    if (!route || route.kind === "missing") {
      response.writeHead(404, { "content-type": "text/plain", "content-length": 9 });
      response.end("not found");
      return;
    }
    if (route.kind === "page") {
      const html = Buffer.from(route.html);
      response.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-length": html.length });
      response.end(html);
      return;
    }
    if (route.authorization && request.headers.authorization !== route.authorization) {
      response.writeHead(401, {
        "www-authenticate": 'Basic realm="ferry-e2e"',
        "content-type": "text/plain",
        "content-length": 12,
      });
      response.end("unauthorized");
      return;
    }
    this.sendFile(request, response, path, route);
  }

  sendFile(request, response, path, route) {
    const { body } = route;
    const etag = `"${sha256(body).slice(0, 16)}"`;
    const headers = {
      "accept-ranges": "bytes",
      "content-type": route.contentType ?? "application/octet-stream",
      etag,
      "last-modified": LAST_MODIFIED,
      ...route.extraHeaders,
    };
    let start = 0;
    let end = body.length - 1;
    const range = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? "");
    const ifRange = request.headers["if-range"];
    const rangeApplies = range && (!ifRange || ifRange === etag || ifRange === LAST_MODIFIED);
    if (rangeApplies) {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]), body.length - 1) : body.length - 1;
      if (start >= body.length || start > end) {
        response.writeHead(416, { "content-range": `bytes */${body.length}`, "content-length": 0 });
        response.end();
        return;
      }
      headers["content-range"] = `bytes ${start}-${end}/${body.length}`;
    }
    headers["content-length"] = end - start + 1;
    response.writeHead(rangeApplies ? 206 : 200, headers);
    if (request.method === "HEAD") {
      response.end();
      return;
    }
    const finish = () => {
      response.end(body.subarray(Math.max(start, route.holdAt ?? start), end + 1), () => {
        this.completed.push(path);
      });
    };
    if (route.trickle) {
      this.trickle(response, body.subarray(start, end + 1), route.trickle);
    } else if (route.gate && start < route.holdAt) {
      response.write(body.subarray(start, Math.min(route.holdAt, end + 1)), () => {
        route.holding = true;
      });
      route.gate.opened.then(() => {
        if (!response.destroyed) finish();
      });
    } else {
      finish();
    }
  }

  /** Sends `bytes` a little at a time, until they are all sent or the client goes. */
  trickle(response, bytes, { bytesPerTick, tickMs }) {
    let sent = 0;
    const timer = setInterval(() => {
      if (response.destroyed) {
        clearInterval(timer);
        return;
      }
      const chunk = bytes.subarray(sent, sent + bytesPerTick);
      sent += chunk.length;
      if (sent >= bytes.length) {
        clearInterval(timer);
        response.end(chunk);
      } else {
        response.write(chunk);
      }
    }, tickMs);
    response.on("close", () => clearInterval(timer));
  }
}
