import { get } from "svelte/store";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createClock, TICK_MS } from "../src/lib/clock";
import { JobStore, type JobsView } from "../src/lib/jobs";
import { queueTotals, somethingAges } from "../src/lib/totals";
import { filterJobs, matchesText, sortJobs } from "../src/lib/view";
import { job, progressBatch } from "./fixtures";

describe("a queue of many jobs", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("tells a progress batch from a change of the list, so the list is sorted only for the latter", () => {
    const frames: Array<() => void> = [];
    const store = new JobStore((callback) => frames.push(callback), () => 0);
    const views: JobsView[] = [];
    store.subscribe((view) => views.push(view));
    const a = job({ state: "TRANSFERRING" });
    store.load([a, job()]);
    const loaded = views[views.length - 1]!;

    store.push(progressBatch(a, { bytes_transferred: 300 }));
    frames.splice(0).forEach((run) => run());
    const progressed = views[views.length - 1]!;
    expect(progressed.listVersion).toBe(loaded.listVersion);
    expect(progressed.progressVersion).toBe(loaded.progressVersion + 1);
    expect(progressed.byId.get(a.id)?.progress.bytes_transferred).toBe(300);

    store.push({ kind: "state_changed", job: { ...a, state: "SUSPENDED" }, from: "TRANSFERRING" });
    frames.splice(0).forEach((run) => run());
    const changed = views[views.length - 1]!;
    expect(changed.listVersion).toBe(loaded.listVersion + 1);
    expect(changed.progressVersion).toBe(progressed.progressVersion);
    // The published views stay as they were.
    expect(progressed.byId.get(a.id)?.state).toBe("TRANSFERRING");
    expect(loaded.byId.get(a.id)?.progress.bytes_transferred).toBe(0);
  });

  it("filters the sorted jobs without changing their order, and searches a renamed job by its new name", () => {
    const jobs = [3, 1, 2].map((created) =>
      job({ settings: { display_name: `job ${created}` }, times: { created, modified: 0, transfer_completed: null } }),
    );
    const sorted = sortJobs(jobs, { key: "created", ascending: false });
    expect(sorted.map((j) => j.times.created)).toEqual([3, 2, 1]);
    expect(filterJobs(sorted, "ALL", "")).toEqual(sorted.map((j) => j.id));
    expect(filterJobs(sorted, "ALL", "JOB 2")).toEqual([jobs[2]!.id]);

    const first = jobs[0]!;
    expect(matchesText(first, "report")).toBe(false);
    const renamed = { ...first, settings: { ...first.settings, display_name: "Report" } };
    expect(matchesText(renamed, "report")).toBe(true);
  });

  it("runs the clock only while something on screen ages", () => {
    vi.useFakeTimers();
    let time = 0;
    const clock = createClock(() => time);
    const seen: number[] = [];
    const stop = clock.now.subscribe((value) => seen.push(value));

    time = 5 * TICK_MS;
    vi.advanceTimersByTime(5 * TICK_MS);
    expect(seen).toEqual([0]);
    expect(vi.getTimerCount()).toBe(0);

    clock.setRunning(true);
    expect(get(clock.now)).toBe(5 * TICK_MS);
    time += TICK_MS;
    vi.advanceTimersByTime(TICK_MS);
    expect(get(clock.now)).toBe(6 * TICK_MS);

    clock.setRunning(false);
    expect(vi.getTimerCount()).toBe(0);
    stop();
  });

  it("counts what ages: moving jobs and jobs waiting to retry", () => {
    expect(somethingAges(queueTotals([job({ state: "SUSPENDED" }), job({ state: "ERROR" })]))).toBe(false);
    expect(somethingAges(queueTotals([job({ state: "TRANSFERRING" })]))).toBe(true);
    expect(somethingAges(queueTotals([job({ state: "TRANSIENT_ERROR" })]))).toBe(true);
    const totals = queueTotals([job({ state: "TRANSFERRED" }), job({ state: "TRANSIENT_ERROR" })]);
    expect(totals).toMatchObject({ ready: 1, attention: 1, retrying: 1, moving: [] });
  });
});

describe("scrolling a list of 10,000 jobs", () => {
  it("reuses the rows' elements for the rows that scroll in", async () => {
    const { render, screen, waitFor, fireEvent } = await import("@testing-library/svelte");
    const { default: App } = await import("../src/App.svelte");
    const { ROW_HEIGHT } = await import("../src/components/JobList.svelte");
    const { fakeShell } = await import("./ipc-backend");
    const { settings } = await import("./fixtures");
    const many = Array.from({ length: 10_000 }, (_, i) =>
      job({ settings: { display_name: `job ${i}` }, times: { created: i, modified: i, transfer_completed: null } }),
    );
    fakeShell({ subscribe_jobs: many, get_settings: settings() });
    render(App);
    await waitFor(() => expect(screen.getAllByTestId("job-row").length).toBeGreaterThan(0));
    const viewport = document.querySelector<HTMLElement>(".viewport")!;
    const scrollTo = async (row: number) => {
      viewport.scrollTop = row * ROW_HEIGHT;
      await fireEvent.scroll(viewport);
      await waitFor(() =>
        expect(screen.getAllByTestId("job-row").map((r) => r.dataset.jobId)).toContain(many[row]!.id),
      );
    };
    await scrollTo(100);
    const before = new Set(screen.getAllByTestId("job-row"));

    await scrollTo(103);
    const after = screen.getAllByTestId("job-row");
    expect(after.length).toBe(before.size);
    expect(after.filter((row) => !before.has(row)).map((row) => row.getAttribute("aria-rowindex"))).toEqual([]);
    expect(after.find((row) => row.dataset.jobId === many[103]!.id)?.getAttribute("aria-rowindex")).toBe("105");

    // A viewport's height at a time: the rows change their jobs, but no element is added,
    // removed or moved.
    const spacer = viewport.querySelector(".spacer")!;
    const changes: MutationRecord[] = [];
    const observer = new MutationObserver((records) => changes.push(...records));
    observer.observe(spacer, { childList: true });
    for (const row of [120, 140, 160]) await scrollTo(row);
    observer.disconnect();
    expect(changes.filter((change) => change.type === "childList")).toEqual([]);
  }, 30_000);
});
