import { describe, expect, it } from "vitest";
import type { EngineEvent } from "../src/lib/bindings/EngineEvent";
import { JobStore, type JobsView } from "../src/lib/jobs";
import { file, job, progressBatch } from "./fixtures";

/** A store whose frames run only when the test says so, on a clock the test moves. */
function storeWithManualFrames() {
  const frames: Array<() => void> = [];
  let clock = 0;
  const store = new JobStore(
    (callback) => frames.push(callback),
    () => clock,
  );
  const views: JobsView[] = [];
  store.subscribe((view) => views.push(view));
  return {
    store,
    views,
    runFrame: () => frames.splice(0).forEach((callback) => callback()),
    pendingFrames: () => frames.length,
    advance: (ms: number) => (clock += ms),
  };
}

describe("job store", () => {
  it("loads the snapshot keyed by id", () => {
    const { store, views } = storeWithManualFrames();
    const a = job({ settings: { display_name: "a" } });
    const b = job({ settings: { display_name: "b" } });
    store.load([a, b]);
    const view = views[views.length - 1]!;
    expect(view.loaded).toBe(true);
    expect([...view.byId.keys()]).toEqual([a.id, b.id]);
    expect(view.byId.get(b.id)?.settings.display_name).toBe("b");
  });

  it("coalesces a burst of events into one update per frame", () => {
    const { store, views, runFrame, pendingFrames } = storeWithManualFrames();
    const a = job({ state: "QUEUED" });
    store.load([a]);
    const before = views.length;

    store.push({ kind: "state_changed", job: { ...a, state: "CONNECTING" }, from: "QUEUED" });
    store.push({ kind: "state_changed", job: { ...a, state: "TRANSFERRING" }, from: "CONNECTING" });
    store.push(progressBatch(a, { bytes_transferred: 400 }, [0, 400, 1000]));

    expect(pendingFrames()).toBe(1);
    expect(views.length).toBe(before);
    runFrame();
    expect(views.length).toBe(before + 1);
    const updated = views[views.length - 1]!.byId.get(a.id)!;
    expect(updated.state).toBe("TRANSFERRING");
    expect(updated.progress.bytes_transferred).toBe(400);
    expect(updated.files[0]!.bytes_transferred).toBe(400);
  });

  it("never changes a view it already published", () => {
    const { store, views, runFrame } = storeWithManualFrames();
    const a = job({ state: "QUEUED" });
    store.load([a]);
    const published = views[views.length - 1]!;
    store.push({ kind: "state_changed", job: { ...a, state: "SUSPENDED" }, from: "QUEUED" });
    runFrame();
    expect(published.byId.get(a.id)?.state).toBe("QUEUED");
    expect(views[views.length - 1]!.byId.get(a.id)?.state).toBe("SUSPENDED");
  });

  it("removes a job that left the queue and ignores its late progress", () => {
    const { store, views, runFrame } = storeWithManualFrames();
    const a = job();
    const b = job();
    store.load([a, b]);
    store.push({ kind: "job_removed", id: a.id, state: "ACKNOWLEDGED" });
    store.push(progressBatch(a, {}));
    runFrame();
    const view = views[views.length - 1]!;
    expect(view.byId.has(a.id)).toBe(false);
    expect(view.byId.has(b.id)).toBe(true);
  });

  it("removes a job the inactivity policy cancelled", () => {
    const { store, views, runFrame } = storeWithManualFrames();
    const a = job();
    store.load([a]);
    store.push({ kind: "job_auto_cancelled", id: a.id, display_name: "job", idle_days: 90 });
    runFrame();
    expect(views[views.length - 1]!.byId.size).toBe(0);
  });

  it("adds created jobs and marks transferred files", () => {
    const { store, views, runFrame } = storeWithManualFrames();
    store.load([]);
    const a = job({ files: [file(0), file(1)] });
    store.push({ kind: "job_created", job: a });
    store.push({ kind: "file_transferred", id: a.id, file_index: 1 });
    runFrame();
    const stored = views[views.length - 1]!.byId.get(a.id)!;
    expect(stored.files[0]!.transferred).toBe(false);
    expect(stored.files[1]!.transferred).toBe(true);
    expect(stored.files[1]!.bytes_transferred).toBe(1000);
  });

  it("learns from progress that earlier files finished, without FILE_TRANSFERRED events", () => {
    const { store, views, runFrame } = storeWithManualFrames();
    const a = job({ state: "TRANSFERRING", files: [file(0, { bytes_transferred: 600 }), file(1), file(2)] });
    store.load([a]);
    const progress = { bytes_total: 3000, bytes_transferred: 1200, files_total: 3, files_transferred: 1 };
    store.push(progressBatch(a, progress, [1, 200, 1000]));
    runFrame();
    const files = views[views.length - 1]!.byId.get(a.id)!.files;
    expect(files.map((f) => f.transferred)).toEqual([true, false, false]);
    expect(files.map((f) => f.bytes_transferred)).toEqual([1000, 200, 0]);
  });

  it("keeps the error that came with job_error", () => {
    const { store, views, runFrame } = storeWithManualFrames();
    const a = job({ state: "TRANSFERRING" });
    store.load([a]);
    const error = {
      code: 0x80190194,
      code_name: "BG_E_HTTP_ERROR_404",
      context: "REMOTE_FILE" as const,
      description: "the server answered HTTP 404",
      file_index: 0,
      protocol: "http",
      retry_after_secs: null,
    };
    store.push({ kind: "job_error", job: { ...a, state: "ERROR" }, error });
    runFrame();
    expect(views[views.length - 1]!.byId.get(a.id)!.error).toEqual(error);
  });

  it("replaces everything with a snapshot the shell resends", () => {
    const { store, views, runFrame } = storeWithManualFrames();
    const gone = job();
    const kept = job({ state: "QUEUED" });
    store.load([gone, kept]);
    const fresh = { ...kept, state: "TRANSFERRING" as const };
    const added = job();
    store.push({ kind: "snapshot", jobs: [fresh, added] });
    runFrame();
    const view = views[views.length - 1]!;
    expect([...view.byId.keys()]).toEqual([kept.id, added.id]);
    expect(view.byId.get(kept.id)!.state).toBe("TRANSFERRING");
  });

  it("holds events that arrive before the snapshot and applies them after it", () => {
    const { store, views, pendingFrames } = storeWithManualFrames();
    const a = job({ state: "QUEUED" });
    const early: EngineEvent = { kind: "state_changed", job: { ...a, state: "CONNECTING" }, from: "QUEUED" };
    store.push(early);
    expect(pendingFrames()).toBe(0);
    store.load([a]);
    expect(views[views.length - 1]!.byId.get(a.id)!.state).toBe("CONNECTING");
  });

  it("shows a preview of the first jobs until the snapshot replaces it", () => {
    const { store, views, pendingFrames } = storeWithManualFrames();
    const [a, b, c] = [job({ state: "QUEUED" }), job(), job()];
    store.preview([a], 3);
    const preview = views[views.length - 1]!;
    expect(preview.loaded).toBe(false);
    expect(preview.total).toBe(3);
    expect([...preview.byId.keys()]).toEqual([a.id]);

    // Events still wait for the snapshot, which replaces the preview.
    store.push({ kind: "state_changed", job: { ...a, state: "CONNECTING" }, from: "QUEUED" });
    expect(pendingFrames()).toBe(0);
    store.load([a, b, c]);
    const loaded = views[views.length - 1]!;
    expect(loaded.loaded).toBe(true);
    expect(loaded.total).toBe(3);
    expect([...loaded.byId.keys()]).toEqual([a.id, b.id, c.id]);
    expect(loaded.byId.get(a.id)!.state).toBe("CONNECTING");

    // A preview that comes late changes nothing.
    store.preview([c], 1);
    expect(views[views.length - 1]).toBe(loaded);
  });

  it("lays moved jobs over the others, in order, however many move, and never changes a published view", () => {
    const { store, views, runFrame } = storeWithManualFrames();
    const all = Array.from({ length: 300 }, (_, i) => job({ state: "TRANSFERRING", settings: { display_name: `${i}` } }));
    store.load(all);
    const loaded = views[views.length - 1]!;

    store.push(progressBatch(all[7]!, { bytes_transferred: 7 }));
    runFrame();
    const one = views[views.length - 1]!;
    expect(one.byId.get(all[7]!.id)!.progress.bytes_transferred).toBe(7);
    expect([...one.byId.values()].map((j) => j.progress.bytes_transferred).slice(6, 9)).toEqual([0, 7, 0]);

    // More moved jobs than are kept apart: they are folded in with the others.
    for (const [i, target] of all.entries()) store.push(progressBatch(target, { bytes_transferred: i + 1 }));
    runFrame();
    const every = views[views.length - 1]!;
    expect([...every.byId.values()].map((j) => j.progress.bytes_transferred)).toEqual(all.map((_, i) => i + 1));
    expect([...every.byId.keys()]).toEqual(all.map((j) => j.id));
    expect([...every.byId].map(([id, j]) => [id, j.progress.bytes_transferred])[299]).toEqual([all[299]!.id, 300]);
    expect(every.byId.size).toBe(300);

    store.push({ kind: "state_changed", job: { ...every.byId.get(all[0]!.id)!, state: "SUSPENDED" }, from: "TRANSFERRING" });
    runFrame();
    const changed = views[views.length - 1]!;
    expect(changed.byId.get(all[0]!.id)!.state).toBe("SUSPENDED");
    expect(changed.byId.get(all[1]!.id)!.progress.bytes_transferred).toBe(2);

    expect(loaded.byId.get(all[7]!.id)!.progress.bytes_transferred).toBe(0);
    expect(one.byId.get(all[8]!.id)!.progress.bytes_transferred).toBe(0);
    expect(every.byId.get(all[0]!.id)!.state).toBe("TRANSFERRING");
  });

  it("measures speed from progress over the sliding window", () => {
    const { store, runFrame, advance } = storeWithManualFrames();
    const a = job({ state: "TRANSFERRING", files: [file(0, { bytes_total: 1_000_000 })] });
    store.load([a]);
    for (let second = 1; second <= 4; second += 1) {
      advance(1000);
      const bytes = second * 100_000;
      store.push(progressBatch(a, { bytes_transferred: bytes }, [0, bytes, 1_000_000]));
      runFrame();
    }
    expect(store.speed.rate(a.id, 4000)).toBeCloseTo(100_000, 0);
  });
});
