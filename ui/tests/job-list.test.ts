import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "../src/App.svelte";
import { ROW_HEIGHT } from "../src/components/JobList.svelte";
import { rowWindow } from "../src/lib/virtual";
import { job, settings } from "./fixtures";
import { fakeShell } from "./ipc-backend";

describe("virtual window arithmetic", () => {
  it("covers the viewport plus overscan, clamped to the list", () => {
    expect(rowWindow(0, 400, 40, 10_000, 5)).toEqual({ start: 0, end: 16 });
    expect(rowWindow(40 * 5000, 400, 40, 10_000, 5)).toEqual({ start: 4995, end: 5016 });
    expect(rowWindow(40 * 9999, 400, 40, 10_000, 5)).toEqual({ start: 9994, end: 10_000 });
    expect(rowWindow(0, 400, 40, 0, 5)).toEqual({ start: 0, end: 0 });
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
