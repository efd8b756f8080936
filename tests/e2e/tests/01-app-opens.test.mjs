// The app starts under WebDriver and shows its window with the job list.

import assert from "node:assert/strict";
import { test } from "node:test";

import { windowsOf } from "../lib/desktop.mjs";
import { ferryForThisFile } from "../lib/suite.mjs";
import { byTestId, jobRows } from "../lib/ui.mjs";

const suite = ferryForThisFile("app-opens");

test("the main window is on screen", () => {
  const [main] = windowsOf(suite.ferry.pid);
  assert.ok(main, "Ferry has a viewable window");
  assert.ok(main.width >= 400 && main.height >= 300, `window is ${main.width}x${main.height}`);
});

test("a fresh data folder shows an empty job list and the Add button", async () => {
  const { session } = suite;
  assert.deepEqual(await jobRows(session), []);
  const add = await session.find(byTestId("add-job-button"));
  assert.equal(await add.isDisplayed(), true);
  assert.equal(await add.isEnabled(), true);
});
