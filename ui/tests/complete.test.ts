import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "../src/App.svelte";
import { BG_S_PARTIAL_COMPLETE, E_ACCESSDENIED, S_OK } from "../src/lib/codes";
import type { CompleteOutcome } from "../src/lib/shell-types";
import { file, job, settings } from "./fixtures";
import { fakeShell, names } from "./ipc-backend";

async function showJob(target: ReturnType<typeof job>, outcome: CompleteOutcome) {
  const sent = fakeShell({ subscribe_jobs: [target], get_settings: settings(), complete_job: outcome });
  render(App);
  const row = await screen.findByTestId("job-row");
  return { sent, row };
}

describe("Complete", () => {
  it("asks before completing an unfinished download, naming kept and discarded files", async () => {
    const target = job({
      state: "ERROR",
      settings: { display_name: "two files" },
      files: [
        file(0, { transferred: true, bytes_transferred: 1000, local_path: "/d/kept.bin" }),
        file(1, { bytes_transferred: 10, local_path: "/d/partial.bin" }),
      ],
    });
    const outcome: CompleteOutcome = {
      code: BG_S_PARTIAL_COMPLETE,
      state: "ACKNOWLEDGED",
      kept: ["/d/kept.bin"],
      discarded: ["/d/partial.bin"],
      rename_failures: [],
    };
    const { sent, row } = await showJob(target, outcome);

    await fireEvent.click(within(row).getByTestId("complete-button"));
    expect(within(screen.getByTestId("confirm-list-kept")).getByText("/d/kept.bin")).toBeTruthy();
    expect(within(screen.getByTestId("confirm-list-discarded")).getByText("/d/partial.bin")).toBeTruthy();
    expect(names(sent)).not.toContain("complete_job");

    await fireEvent.click(screen.getByTestId("confirm-button"));
    const message = await screen.findByTestId("complete-outcome");
    expect(message.textContent).toContain("completed partially");
    expect(message.textContent).toContain("Kept: kept.bin");
    expect(message.textContent).toContain("Discarded: partial.bin");
  });

  it("completes a transferred job at once and offers its files", async () => {
    const target = job({ state: "TRANSFERRED", settings: { display_name: "done" } });
    const outcome: CompleteOutcome = {
      code: S_OK,
      state: "ACKNOWLEDGED",
      kept: ["/d/file-0.bin"],
      discarded: [],
      rename_failures: [],
    };
    const { sent, row } = await showJob(target, outcome);
    await fireEvent.click(within(row).getByTestId("complete-button"));
    const message = await screen.findByTestId("complete-outcome");
    expect(screen.queryByTestId("confirm-dialog")).toBeNull();
    expect(screen.queryByTestId("job-details"), "a row button does not open the details").toBeNull();
    expect(message.dataset.code).toBe(String(S_OK));
    expect(message.textContent).toContain("1 file is ready");
    await fireEvent.click(within(message).getByText("Show in folder"));
    await waitFor(() => expect(sent.at(-1)).toEqual({ command: "reveal_path", args: { path: "/d/file-0.bin" } }));
  });

  it("is disabled for an upload that has not transferred", async () => {
    const target = job({ job_type: "UPLOAD", state: "TRANSFERRING" });
    const { row } = await showJob(target, { code: S_OK, state: "ACKNOWLEDGED", kept: [], discarded: [], rename_failures: [] });
    expect((within(row).getByTestId("complete-button") as HTMLButtonElement).disabled).toBe(true);
  });

  it("reports files that could not be renamed and offers to complete again", async () => {
    const target = job({ state: "TRANSFERRED", settings: { display_name: "locked" } });
    const outcome: CompleteOutcome = {
      code: S_OK,
      state: "TRANSFERRED",
      kept: [],
      discarded: [],
      rename_failures: [{ path: "/d/file-0.bin", code: E_ACCESSDENIED, message: "access denied" }],
    };
    const { sent, row } = await showJob(target, outcome);
    await fireEvent.click(within(row).getByTestId("complete-button"));
    const message = await screen.findByTestId("complete-outcome");
    expect(message.textContent).toContain("could not be renamed");

    await fireEvent.click(row);
    const prompt = await screen.findByTestId("error-prompt");
    expect(prompt.dataset.kind).toBe("retry-complete");
    expect(prompt.textContent).toContain("/d/file-0.bin");
    await fireEvent.click(within(prompt).getByTestId("error-prompt-submit"));
    await waitFor(() => expect(names(sent).filter((n) => n === "complete_job")).toHaveLength(2));
  });
});
