import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import type { Channel } from "@tauri-apps/api/core";
import { describe, expect, it } from "vitest";
import App from "../src/App.svelte";
import type { UiEvent } from "../src/lib/shell-types";
import { file, job, progressBatch, settings } from "./fixtures";
import { fakeShell, names } from "./ipc-backend";

describe("live updates", () => {
  it("follow the one channel, with no polling", async () => {
    const target = job({
      state: "TRANSFERRING",
      files: [file(0, { bytes_total: 80_000_000, bytes_transferred: 0 })],
    });
    let channel: Channel<UiEvent> | undefined;
    const sent = fakeShell({
      subscribe_jobs: (args: Record<string, unknown>) => {
        channel = args.channel as Channel<UiEvent>;
        return [target];
      },
      get_settings: settings(),
    });
    render(App);
    const row = await screen.findByTestId("job-row");
    expect(row.textContent).toContain("0 of 80 MB");
    expect(screen.getByTestId("status-bar").textContent).toContain("1 transferring");

    channel!.onmessage(progressBatch(target, { bytes_transferred: 12_300_000 }, [0, 12_300_000, 80_000_000]));
    await waitFor(() => expect(screen.getByTestId("job-row").textContent).toContain("12.3 of 80 MB"));

    channel!.onmessage({ kind: "state_changed", job: { ...target, state: "SUSPENDED" }, from: "TRANSFERRING" });
    await waitFor(() => expect(screen.getByTestId("job-row").dataset.state).toBe("SUSPENDED"));
    expect(screen.getByTestId("status-bar").textContent).toContain("0 transferring");

    await fireEvent.click(screen.getByTestId("job-row"));
    expect(screen.getByTestId("job-details")).toBeTruthy();
    channel!.onmessage({ kind: "job_removed", id: target.id, state: "CANCELLED" });
    await waitFor(() => expect(screen.queryByTestId("job-row")).toBeNull());
    expect(screen.queryByTestId("job-details"), "the details of a removed job close").toBeNull();

    expect(names(sent)).toEqual(["first_jobs", "subscribe_jobs", "get_settings"]);
  });
});
