import { fireEvent, render, screen } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "../src/App.svelte";
import type { HistoryEntry } from "../src/lib/bindings/HistoryEntry";
import { historyResult, historySize } from "../src/lib/history-text";
import { jobId, settings } from "./fixtures";
import { fakeShell } from "./ipc-backend";

function entry(overrides: Partial<HistoryEntry> = {}): HistoryEntry {
  return {
    id: jobId(),
    display_name: "three files",
    job_type: "DOWNLOAD",
    state: "ACKNOWLEDGED",
    finished_at: 1_700_000_000_000,
    files: ["/home/user/Downloads/a.bin"],
    bytes: 677_000,
    files_total: 3,
    files_kept: 1,
    bytes_kept: 50_000,
    auto_cancelled: false,
    ...overrides,
  };
}

describe("the history of a partial Complete", () => {
  it("says how many files were kept and counts only their bytes", () => {
    const partial = entry();
    expect(historyResult(partial)).toBe("Completed partially: 1 of 3 files kept");
    expect(historySize(partial)).toBe("50 kB");
    const whole = entry({ files_total: 1, files_kept: 1, bytes: 50_000 });
    expect(historyResult(whole)).toBe("Completed");
    const cancelled = entry({ state: "CANCELLED", files: [], files_kept: 0, bytes_kept: 0 });
    expect(historyResult(cancelled)).toBe("Cancelled");
    expect(historySize(cancelled)).toBe("—");
  });

  it("shows it on the History page", async () => {
    fakeShell({ subscribe_jobs: [], get_settings: settings(), history: [entry()] });
    render(App);
    await fireEvent.click(await screen.findByTestId("nav-history"));
    const row = await screen.findByTestId("history-row");
    expect(row.textContent).toContain("Completed partially: 1 of 3 files kept");
    expect(screen.getByTestId("history-size").textContent).toBe("50 kB");
    expect(row.textContent).not.toContain("677");
  });
});
