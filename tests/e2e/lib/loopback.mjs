// The servers the tests start listen on 127.0.0.1 only, on a port the system picks.

/** A server of the tests; a subclass sets `this.server` (node:http or node:net) in its constructor. */
export class LoopbackServer {
  /** Starts a server of this class on a free port of 127.0.0.1. */
  static async start() {
    const started = new this();
    await new Promise((resolve) => started.server.listen(0, "127.0.0.1", resolve));
    return started;
  }

  /** The http:// URL of `path` on this server. */
  url(path) {
    return `http://127.0.0.1:${this.server.address().port}${path}`;
  }
}
