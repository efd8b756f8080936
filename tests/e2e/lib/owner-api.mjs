// A client of the owner's local API (src-tauri/owner/PROTOCOL.md): one Unix-socket connection,
// JSON lines both ways, answers matched to requests by id. Many calls can be in flight at once
// on the one connection, which is how a test makes thousands of jobs quickly.

import { connect } from "node:net";

/** An error the owner answered, with the engine's code and name. */
export class OwnerError extends Error {
  constructor(call, error) {
    super(`${call}: ${error.name} (0x${(error.code >>> 0).toString(16)}): ${error.message}`);
    this.code = error.code;
    this.codeName = error.name;
  }
}

export class OwnerApi {
  /** Connects to the owner listening on `socketPath`. */
  static connect(socketPath) {
    return new Promise((resolve, reject) => {
      const socket = connect(socketPath);
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve(new OwnerApi(socket));
      });
    });
  }

  constructor(socket) {
    this.socket = socket;
    this.nextId = 1;
    this.waiting = new Map();
    this.buffered = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk) => this.receive(chunk));
    socket.on("error", (error) => this.failAll(error));
    socket.on("close", () => this.failAll(new Error("the owner closed the connection")));
  }

  /** Calls `call` with `args` (omitted when undefined); resolves to the answer's `ok`. */
  call(call, args) {
    const id = this.nextId++;
    const frame = args === undefined ? { v: 1, id, call } : { v: 1, id, call, args };
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { call, resolve, reject });
      this.socket.write(`${JSON.stringify(frame)}\n`);
    });
  }

  /**
   * Calls `call` once per item of `argsList`, keeping at most `inFlight` calls waiting at
   * once; resolves to the answers in order.
   */
  async callMany(call, argsList, inFlight = 64) {
    const answers = new Array(argsList.length);
    let next = 0;
    const worker = async () => {
      while (next < argsList.length) {
        const index = next++;
        answers[index] = await this.call(call, argsList[index]);
      }
    };
    await Promise.all(Array.from({ length: Math.min(inFlight, argsList.length) }, worker));
    return answers;
  }

  /** Closes the connection. */
  close() {
    this.socket.end();
  }

  receive(chunk) {
    this.buffered += chunk;
    let end;
    while ((end = this.buffered.indexOf("\n")) >= 0) {
      const line = this.buffered.slice(0, end);
      this.buffered = this.buffered.slice(end + 1);
      const frame = JSON.parse(line);
      if (frame.id === undefined || frame.id === null) continue; // an event
      const waiter = this.waiting.get(frame.id);
      if (!waiter) continue;
      this.waiting.delete(frame.id);
      if (frame.error) waiter.reject(new OwnerError(waiter.call, frame.error));
      else waiter.resolve(frame.ok);
    }
  }

  failAll(error) {
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }
}
