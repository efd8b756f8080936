import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "../src/App.svelte";
import type { JobInfo } from "../src/lib/bindings/JobInfo";
import type { JobState } from "../src/lib/bindings/JobState";
import { BG_E_TOO_MANY_JOBS_PER_USER } from "../src/lib/codes";
import { queueLimit } from "../src/lib/queue-limit";
import { job, settings } from "./fixtures";
import { fakeShell, ipcError, names } from "./ipc-backend";

function jobsIn(...states: JobState[]): JobInfo[] {
  return states.map((state) => job({ state }));
}

function many(count: number, state: JobState): JobState[] {
  return Array.from({ length: count }, () => state);
}

function withLimit(limit: number) {
  const base = settings();
  return { ...base, policies: { ...base.policies, MaxJobsPerUser: limit } };
}

describe("the queue limit", () => {
  it("is near within 10 jobs of the limit, or within a fifth of a small limit", () => {
    expect(queueLimit(jobsIn(...many(49, "TRANSFERRED")), 60)).toBeNull();
    expect(queueLimit(jobsIn(...many(50, "TRANSFERRED")), 60)?.level).toBe("near");
    expect(queueLimit(jobsIn(...many(60, "TRANSFERRED")), 60)?.level).toBe("reached");
    expect(queueLimit(jobsIn(...many(3, "SUSPENDED")), 5)).toBeNull();
    expect(queueLimit(jobsIn(...many(4, "SUSPENDED")), 5)?.level).toBe("near");
    expect(queueLimit(jobsIn(...many(290, "QUEUED")), 300)?.level).toBe("near");
    expect(queueLimit(jobsIn(...many(289, "QUEUED")), 300)).toBeNull();
  });

  it("counts the jobs waiting for Complete and those in ERROR", () => {
    const limit = queueLimit(
      jobsIn(...many(40, "TRANSFERRED"), ...many(12, "ERROR"), ...many(3, "TRANSIENT_ERROR"), ...many(3, "SUSPENDED")),
      60,
    );
    expect(limit).toEqual({ level: "near", total: 58, limit: 60, ready: 40, failed: 12 });
  });

  it("shows a banner and the status bar count when near, with Complete all ready and the filtered view", async () => {
    const jobs = jobsIn("TRANSFERRED", "TRANSFERRED", "ERROR", "SUSPENDED");
    const sent = fakeShell({
      subscribe_jobs: jobs,
      get_settings: withLimit(5),
      complete_all_ready: { completed: 2, not_completed: 0 },
    });
    render(App);
    const banner = await screen.findByTestId("queue-limit");
    expect(banner.dataset.level).toBe("near");
    expect(banner.textContent).toContain("4 of 5 jobs");
    expect(banner.textContent).toContain("Waiting for Complete: 2. In error: 1.");
    expect(screen.getByTestId("status-limit").textContent).toBe("4 of 5 jobs");

    await fireEvent.click(within(banner).getByTestId("queue-limit-show"));
    await waitFor(() => expect(screen.getAllByTestId("job-row")).toHaveLength(3));
    expect((screen.getByTestId("state-filter") as HTMLSelectElement).value).toBe("READY_OR_FAILED");

    await fireEvent.click(within(banner).getByTestId("queue-limit-complete-all"));
    await waitFor(() => expect(names(sent)).toContain("complete_all_ready"));
    expect(await screen.findByText("Completed 2 jobs.")).toBeTruthy();
  });

  it("shows nothing far from the limit", async () => {
    fakeShell({ subscribe_jobs: jobsIn("TRANSFERRED", "ERROR"), get_settings: withLimit(60) });
    render(App);
    await screen.findAllByTestId("job-row");
    expect(screen.queryByTestId("queue-limit")).toBeNull();
    expect(screen.queryByTestId("status-limit")).toBeNull();
  });
});

describe("the Add dialog at the queue limit", () => {
  it("says how many jobs wait and offers Complete all ready and the view of those jobs", async () => {
    const jobs = jobsIn("TRANSFERRED", "TRANSFERRED", "TRANSFERRED", "ERROR", "SUSPENDED");
    const sent = fakeShell({
      subscribe_jobs: jobs,
      get_settings: withLimit(5),
      create_job: () =>
        ipcError(
          BG_E_TOO_MANY_JOBS_PER_USER,
          "BG_E_TOO_MANY_JOBS_PER_USER",
          "you already have 5 jobs, the most MaxJobsPerUser allows; complete or cancel some first",
        ),
      complete_all_ready: { completed: 3, not_completed: 0 },
    });
    render(App);
    await screen.findAllByTestId("job-row");
    await fireEvent.click(screen.getByTestId("add-job-button"));
    const dialog = await screen.findByTestId("add-job-dialog");
    await fireEvent.input(screen.getByTestId("add-urls"), { target: { value: "http://127.0.0.1/a.bin" } });
    await fireEvent.click(screen.getByTestId("add-submit"));

    const banner = await within(dialog).findByTestId("queue-limit");
    expect(banner.dataset.level).toBe("reached");
    expect(banner.textContent).toContain("The queue is full: 5 of 5 jobs (MaxJobsPerUser).");
    expect(banner.textContent).toContain("Waiting for Complete: 3. In error: 1.");
    await fireEvent.click(within(banner).getByTestId("queue-limit-complete-all"));
    await waitFor(() => expect(names(sent)).toContain("complete_all_ready"));

    await fireEvent.click(within(banner).getByTestId("queue-limit-show"));
    await waitFor(() => expect(screen.queryByTestId("add-job-dialog")).toBeNull());
    expect((screen.getByTestId("state-filter") as HTMLSelectElement).value).toBe("READY_OR_FAILED");
  });
});
