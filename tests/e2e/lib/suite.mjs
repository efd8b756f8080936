// One Ferry per test file: started before the file's tests, with the server they talk to, and
// stopped after them.

import { after, before } from "node:test";

import { Ferry } from "./app.mjs";

/**
 * Registers the test file's before/after hooks: a server of class `server` (a LoopbackServer,
 * when given), then a Ferry named `name` with its window open; after the tests, Ferry stops,
 * then the server. Returns { ferry, session, server }, filled in once the tests run.
 */
export function ferryForThisFile(name, { server } = {}) {
  const suite = {
    ferry: undefined,
    server: undefined,
    /** The window's WebDriver session: Ferry's current one. */
    get session() {
      return this.ferry?.session;
    },
  };
  before(async () => {
    suite.server = await server?.start();
    suite.ferry = await Ferry.start(name);
    await suite.ferry.open();
  });
  after(async () => {
    try {
      await suite.ferry?.stop();
    } finally {
      await suite.server?.close();
    }
  });
  return suite;
}
