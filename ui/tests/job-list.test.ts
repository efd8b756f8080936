import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "../src/App.svelte";
import { ROW_HEIGHT } from "../src/components/JobList.svelte";
import { rowWindow, rowsAtTop, rowsOf } from "../src/lib/virtual";
import { job, settings } from "./fixtures";
import { fakeShell } from "./ipc-backend";

describe("virtual window arithmetic", () => {
  it("covers the viewport plus overscan, clamped to the list", () => {
    expect(rowWindow(0, 400, 40, 10_000, 5)).toEqual({ start: 0, end: 16 });
    expect(rowWindow(40 * 5000, 400, 40, 10_000, 5)).toEqual({ start: 4995, end: 5016 });
    expect(rowWindow(40 * 9999, 400, 40, 10_000, 5)).toEqual({ start: 9994, end: 10_000 });
    expect(rowWindow(0, 400, 40, 0, 5)).toEqual({ start: 0, end: 0 });
    expect(rowsAtTop(400)).toBe(rowWindow(0, 400, ROW_HEIGHT, 10_000, 6).end);
  });

  it("keeps the rows whose position and job are unchanged, and makes new ones for the rest", () => {
    const jobs = new Map([
      ["a", { name: "a" }],
      ["b", { name: "b" }],
      ["c", { name: "c" }],
    ]);
    const ids = ["a", "b", "c", "gone"];
    const first = rowsOf(ids, { start: 0, end: 4 }, (id) => jobs.get(id), []);
    expect(first.map((row) => [row.index, row.job.name])).toEqual([
      [0, "a"],
      [1, "b"],
      [2, "c"],
    ]);

    jobs.set("b", { name: "b moved" });
    const next = rowsOf(ids, { start: 0, end: 4 }, (id) => jobs.get(id), first);
    expect(next[0]).toBe(first[0]);
    expect(next[1]).not.toBe(first[1]);
    expect(next[1]!.job.name).toBe("b moved");
    expect(next[2]).toBe(first[2]);

    // Scrolled by one row: every position shows another job.
    const scrolled = rowsOf(ids, { start: 1, end: 3 }, (id) => jobs.get(id), next);
    expect(scrolled).toEqual([next[1], next[2]]);
    const shifted = rowsOf(["z", ...ids], { start: 1, end: 3 }, (id) => jobs.get(id), scrolled);
    expect(shifted.map((row) => [row.index, row.job.name])).toEqual([
      [1, "a"],
      [2, "b moved"],
    ]);
    expect(shifted[0]).not.toBe(scrolled[0]);
  });
});

describe("job list with 10,000 jobs", () => {
  const many = Array.from({ length: 10_000 }, (_, i) =>
    job({ settings: { display_name: `job ${i}` }, times: { created: i, modified: i, transfer_completed: null } }),
  );

  it("renders only the rows in view, and follows the scroll position", async () => {
    fakeShell({ subscribe_jobs: many, get_settings: settings() });
    render(App);
    await waitFor(() => expect(screen.getAllByTestId("job-row").length).toBeGreaterThan(0));

    const rows = () => screen.getAllByTestId("job-row");
    const visible = Math.ceil(window.innerHeight / ROW_HEIGHT);
    expect(rows().length).toBeLessThanOrEqual(visible + 20);
    expect(rows()[0]!.dataset.jobId).toBe(many[0]!.id);

    const viewport = document.querySelector<HTMLElement>(".viewport")!;
    viewport.scrollTop = 5000 * ROW_HEIGHT;
    await fireEvent.scroll(viewport);

    const ids = rows().map((row) => row.dataset.jobId);
    expect(ids).toContain(many[5000]!.id);
    expect(ids).not.toContain(many[0]!.id);
    expect(rows().length).toBeLessThanOrEqual(visible + 20);
  });

  it("renders the last rows at the end of the list", async () => {
    fakeShell({ subscribe_jobs: many, get_settings: settings() });
    render(App);
    await waitFor(() => expect(screen.getAllByTestId("job-row").length).toBeGreaterThan(0));
    const viewport = document.querySelector<HTMLElement>(".viewport")!;
    viewport.scrollTop = many.length * ROW_HEIGHT - window.innerHeight;
    await fireEvent.scroll(viewport);
    const indexes = screen.getAllByTestId("job-row").map((row) => Number(row.getAttribute("aria-rowindex")));
    // aria-rowindex counts the header as row 1.
    expect(indexes).toContain(many.length + 1);
  });

  it("shows the first rows when the list comes back after a search that matched nothing", async () => {
    fakeShell({ subscribe_jobs: many, get_settings: settings() });
    render(App);
    await waitFor(() => expect(screen.getAllByTestId("job-row").length).toBeGreaterThan(0));
    const viewport = document.querySelector<HTMLElement>(".viewport")!;
    viewport.scrollTop = 9000 * ROW_HEIGHT;
    await fireEvent.scroll(viewport);
    const search = screen.getByTestId("search-input");

    await fireEvent.input(search, { target: { value: "matches no job" } });
    await waitFor(() => expect(screen.queryAllByTestId("job-row")).toHaveLength(0));
    await fireEvent.input(search, { target: { value: "" } });

    // The list's viewport is a new one, at the top: its rows are the first jobs.
    await waitFor(() => expect(screen.getAllByTestId("job-row").length).toBeGreaterThan(0));
    expect(document.querySelector<HTMLElement>(".viewport")!.scrollTop).toBe(0);
    expect(screen.getAllByTestId("job-row")[0]!.dataset.jobId).toBe(many[0]!.id);
  });

  it("paints the first rows the shell has at hand while every job is on its way", async () => {
    let answer: ((jobs: typeof many) => void) | undefined;
    fakeShell({
      first_jobs: { jobs: many.slice(0, 30), total: many.length },
      subscribe_jobs: () => new Promise((resolve) => (answer = resolve)),
      get_settings: settings(),
    });
    render(App);
    await waitFor(() => expect(screen.getAllByTestId("job-row").length).toBeGreaterThan(0));
    expect(screen.getAllByTestId("job-row")[0]!.dataset.jobId).toBe(many[0]!.id);
    expect(screen.getByTestId("job-list-count").textContent).toContain("10,000 jobs");

    const spacerHeight = () => document.querySelector<HTMLElement>(".viewport .spacer")!.style.height;
    expect(spacerHeight()).toBe(`${30 * ROW_HEIGHT}px`);

    await waitFor(() => expect(answer).toBeDefined());
    answer!(many);
    await waitFor(() => expect(spacerHeight()).toBe(`${many.length * ROW_HEIGHT}px`));
    expect(screen.getByTestId("job-list-count").textContent).toContain("10,000 jobs");
  });

  it("gives every row its id and state for end-to-end tests", async () => {
    const one = job({ state: "TRANSIENT_ERROR", settings: { display_name: "only" } });
    fakeShell({ subscribe_jobs: [one], get_settings: settings() });
    render(App);
    const row = await screen.findByTestId("job-row");
    expect(row.dataset.jobId).toBe(one.id);
    expect(row.dataset.state).toBe("TRANSIENT_ERROR");
    expect(row.textContent).toContain("Waiting to retry");
    expect(row.textContent).toContain("0 of 1 kB");
  });

  it("filters by text and state", async () => {
    const a = job({ state: "ERROR", settings: { display_name: "alpha.iso" } });
    const b = job({ state: "QUEUED", settings: { display_name: "beta.iso" } });
    fakeShell({ subscribe_jobs: [a, b], get_settings: settings() });
    render(App);
    await waitFor(() => expect(screen.getAllByTestId("job-row")).toHaveLength(2));

    await fireEvent.input(screen.getByTestId("search-input"), { target: { value: "beta" } });
    expect(screen.getAllByTestId("job-row").map((r) => r.dataset.jobId)).toEqual([b.id]);

    await fireEvent.input(screen.getByTestId("search-input"), { target: { value: "" } });
    await fireEvent.change(screen.getByTestId("state-filter"), { target: { value: "ATTENTION" } });
    expect(screen.getAllByTestId("job-row").map((r) => r.dataset.jobId)).toEqual([a.id]);
  });

  it("shows a helpful empty state", async () => {
    fakeShell({ subscribe_jobs: [], get_settings: settings() });
    render(App);
    expect(await screen.findByText("No transfers yet")).toBeTruthy();
  });
});
