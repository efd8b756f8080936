import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AppState, MAX_NOTICES, NOTICE_LINGER_MS, type Notice } from "../src/lib/app.svelte";
import { JobStore } from "../src/lib/jobs";

function message(tone: Notice["tone"], title: string): Omit<Notice, "id"> {
  return { tone, title, detail: "", outcome: null, paths: [] };
}

describe("in-window messages", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("lets success and info messages leave by themselves and keeps errors and warnings", () => {
    const app = new AppState(new JobStore());
    app.notify(message("error", "It failed"));
    app.notify(message("warning", "Look at this"));
    app.notify(message("success", "It worked"));
    expect(app.notices.map((n) => n.title)).toEqual(["It worked", "Look at this", "It failed"]);
    vi.advanceTimersByTime(NOTICE_LINGER_MS - 1);
    expect(app.notices).toHaveLength(3);
    vi.advanceTimersByTime(1);
    expect(app.notices.map((n) => n.title)).toEqual(["Look at this", "It failed"]);
    app.notify(message("info", "For your information"));
    vi.advanceTimersByTime(NOTICE_LINGER_MS * 10);
    expect(app.notices.map((n) => n.title)).toEqual(["Look at this", "It failed"]);
  });

  it(`shows at most ${MAX_NOTICES} at once, the newest first`, () => {
    const app = new AppState(new JobStore());
    for (let i = 1; i <= 5; i++) app.notify(message("error", `Error ${i}`));
    expect(app.notices.map((n) => n.title)).toEqual(["Error 5", "Error 4", "Error 3"]);
  });

  it("dismisses one message by hand, and a message already gone stays gone", () => {
    const app = new AppState(new JobStore());
    const first = app.notify(message("success", "Done"));
    const second = app.notify(message("error", "Broken"));
    app.dismiss(first);
    expect(app.notices.map((n) => n.id)).toEqual([second]);
    vi.advanceTimersByTime(NOTICE_LINGER_MS);
    expect(app.notices.map((n) => n.id)).toEqual([second]);
  });
});
