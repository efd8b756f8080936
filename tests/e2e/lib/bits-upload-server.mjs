// A BITS upload server on 127.0.0.1 for the end-to-end tests: BITS_POST with the
// packet types Ping, Create-Session, Fragment, Close-Session and Cancel-Session. A finished upload
// is kept in `uploads` by path; a path made with `replyUrl` also answers with a reply URL whose
// GET serves the reply bytes. node:http refuses the BITS_POST method, so this server reads
// HTTP/1.1 itself over node:net (request line, headers, a Content-Length or chunked body).

import { randomUUID } from "node:crypto";
import { createServer } from "node:net";

import { LoopbackServer } from "./loopback.mjs";
import { waitFor } from "./wait.mjs";

/** The BITS 1.5 upload protocol, the only one this server speaks. */
export const UPLOAD_PROTOCOL = "{7df0354d-249b-430f-820d-3d2a9bef4931}";

/** A BITS upload server; `uploads` maps a path to the bytes received there. */
export class BitsUploadServer extends LoopbackServer {
  constructor() {
    super();
    this.sessions = new Map();
    this.replies = new Map();
    this.replyBodies = new Map();
    this.uploads = new Map();
    this.sockets = new Set();
    this.server = createServer((socket) => this.serve(socket));
  }

  /** An upload URL whose finished upload is answered with `reply` at a reply URL. */
  replyUrl(path, reply) {
    this.replies.set(path, reply);
    return this.url(path);
  }

  /** Resolves with the bytes uploaded to `path` once the last fragment has arrived. */
  waitForUpload(path) {
    return waitFor(`an upload to ${path} to finish`, () => this.uploads.get(path));
  }

  async close() {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** Reads requests from one connection, one after the other, and answers each. */
  serve(socket) {
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    let buffered = Buffer.alloc(0);
    socket.on("data", (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const parsed = parseRequest(buffered);
        if (!parsed) return;
        buffered = buffered.subarray(parsed.consumed);
        this.answer(parsed.request, new Response(socket), parsed.body);
      }
    });
  }

  answer(request, response, body) {
    const path = new URL(request.url, "http://x").pathname;
    if (request.method === "GET" && this.replyBodies.has(path)) {
      const reply = this.replyBodies.get(path);
      response.writeHead(200, {
        "content-type": "application/octet-stream",
        "content-length": reply.length,
      });
      response.end(reply);
      return;
    }
    if (request.method !== "BITS_POST") {
      this.ack(response, 405);
      return;
    }
    const packetType = (request.headers["bits-packet-type"] ?? "").toLowerCase();
    if (packetType === "ping") {
      this.ack(response, 200);
    } else if (packetType === "create-session") {
      this.createSession(request, response, path);
    } else if (packetType === "fragment") {
      this.fragment(request, response, path, body);
    } else if (packetType === "close-session" || packetType === "cancel-session") {
      const id = request.headers["bits-session-id"];
      if (!this.sessions.has(id)) {
        this.ack(response, 400);
        return;
      }
      this.sessions.delete(id);
      this.ack(response, 200, { "BITS-Session-Id": id });
    } else {
      this.ack(response, 400);
    }
  }

  createSession(request, response, path) {
    const offered = (request.headers["bits-supported-protocols"] ?? "").toLowerCase();
    if (!offered.includes(UPLOAD_PROTOCOL)) {
      this.ack(response, 400);
      return;
    }
    const id = `{${randomUUID()}}`;
    this.sessions.set(id, { path, chunks: [], received: 0 });
    this.ack(response, 200, {
      "BITS-Protocol": UPLOAD_PROTOCOL,
      "BITS-Session-Id": id,
      "Accept-Encoding": "Identity",
    });
  }

  fragment(request, response, path, body) {
    const id = request.headers["bits-session-id"];
    const session = this.sessions.get(id);
    const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(request.headers["content-range"] ?? "");
    if (!session || session.path !== path || !range) {
      this.ack(response, 400);
      return;
    }
    const [start, end, total] = range.slice(1).map(Number);
    if (start > session.received || end - start + 1 !== body.length || end >= total) {
      this.ack(response, 416, { "BITS-Received-Content-Range": session.received });
      return;
    }
    const fresh = body.subarray(session.received - start);
    if (fresh.length > 0) session.chunks.push(fresh);
    session.received = Math.max(session.received, end + 1);
    const headers = { "BITS-Session-Id": id, "BITS-Received-Content-Range": session.received };
    if (session.received === total) {
      this.uploads.set(path, Buffer.concat(session.chunks));
      const reply = this.replies.get(path);
      if (reply) {
        const replyPath = `${path}.reply`;
        this.replyBodies.set(replyPath, reply);
        headers["BITS-Reply-URL"] = this.url(replyPath);
      }
    }
    this.ack(response, 200, headers);
  }

  ack(response, status, headers = {}) {
    response.writeHead(status, { "BITS-Packet-Type": "Ack", "Content-Length": 0, ...headers });
    response.end();
  }
}

/**
 * One whole request at the start of `buffer`: { request: { method, url, headers }, body,
 * consumed }, or undefined while more bytes are needed.
 */
function parseRequest(buffer) {
  const headEnd = buffer.indexOf("\r\n\r\n");
  if (headEnd < 0) return undefined;
  const [requestLine, ...headerLines] = buffer.subarray(0, headEnd).toString("latin1").split("\r\n");
  const [method, url] = requestLine.split(" ");
  const headers = {};
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const bodyStart = headEnd + 4;
  if (/chunked/i.test(headers["transfer-encoding"] ?? "")) {
    const chunks = [];
    let at = bodyStart;
    for (;;) {
      const lineEnd = buffer.indexOf("\r\n", at);
      if (lineEnd < 0) return undefined;
      const size = parseInt(buffer.subarray(at, lineEnd).toString("latin1"), 16);
      if (size === 0) {
        const trailerEnd = buffer.indexOf("\r\n\r\n", lineEnd);
        if (trailerEnd < 0) return undefined;
        return {
          request: { method, url, headers },
          body: Buffer.concat(chunks),
          consumed: trailerEnd + 4,
        };
      }
      if (buffer.length < lineEnd + 2 + size + 2) return undefined;
      chunks.push(buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
  }
  const length = Number(headers["content-length"] ?? 0);
  if (buffer.length < bodyStart + length) return undefined;
  return {
    request: { method, url, headers },
    body: Buffer.from(buffer.subarray(bodyStart, bodyStart + length)),
    consumed: bodyStart + length,
  };
}

/** The answer to one request, written as HTTP/1.1 on a kept-alive connection. */
class Response {
  constructor(socket) {
    this.socket = socket;
  }

  writeHead(status, headers) {
    const lines = [`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "Status"}`];
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    this.head = Buffer.from(lines.join("\r\n") + "\r\n\r\n", "latin1");
  }

  end(body = Buffer.alloc(0)) {
    if (!this.socket.destroyed) this.socket.write(Buffer.concat([this.head, body]));
  }
}

const STATUS_TEXT = { 200: "OK", 400: "Bad Request", 405: "Method Not Allowed", 416: "Range Not Satisfiable" };
