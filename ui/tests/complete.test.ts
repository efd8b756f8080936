import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "../src/App.svelte";
import { BG_S_PARTIAL_COMPLETE, E_ACCESSDENIED, ERROR_FILE_EXISTS, S_OK } from "../src/lib/codes";
import type { CompleteOutcome } from "../src/lib/shell-types";
import { file, job, settings } from "./fixtures";
import { fakeShell, names } from "./ipc-backend";

async function showJob(
  target: ReturnType<typeof job>,
  outcome: CompleteOutcome,
  answers: Record<string, unknown> = {},
) {
  const sent = fakeShell({
    subscribe_jobs: [target],
    list_jobs: [target],
    get_settings: settings(),
    complete_job: outcome,
    ...answers,
  });
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

  it("a file that exists is kept: Replace, Keep both or Choose a name, then Complete again", async () => {
    const target = job({
      state: "TRANSFERRED",
      settings: { display_name: "mine" },
      files: [file(0, { transferred: true, bytes_transferred: 1000, local_path: "/d/mydoc" })],
    });
    const outcome: CompleteOutcome = {
      code: ERROR_FILE_EXISTS,
      state: "TRANSFERRED",
      kept: [],
      discarded: [],
      rename_failures: [{ path: "/d/mydoc", code: ERROR_FILE_EXISTS, message: "exists" }],
    };
    const { sent, row } = await showJob(target, outcome, { keep_both_files: "/d/mydoc (2)", choose_file_name: null });
    await fireEvent.click(within(row).getByTestId("complete-button"));
    const message = await screen.findByTestId("complete-outcome");
    expect(message.textContent).toContain("Nothing was replaced");
    await fireEvent.click(row);
    const prompt = await screen.findByTestId("error-prompt");
    expect(prompt.dataset.kind).toBe("file-exists");
    expect(prompt.textContent).toContain("/d/mydoc");

    await fireEvent.click(within(prompt).getByTestId("file-exists-choose"));
    await waitFor(() => expect(names(sent)).toContain("choose_file_name"));
    expect(names(sent).filter((n) => n === "complete_job"), "a dismissed picker completes nothing").toHaveLength(1);

    await fireEvent.click(within(await screen.findByTestId("error-prompt")).getByTestId("file-exists-keep-both"));
    await waitFor(() => expect(names(sent).filter((n) => n === "complete_job")).toHaveLength(2));
    const keep = sent.find((s) => s.command === "keep_both_files");
    expect(keep?.args).toMatchObject({ id: target.id, fileIndex: 0 });

    const again = await screen.findByTestId("error-prompt");
    await waitFor(() => expect((within(again).getByTestId("file-exists-replace") as HTMLButtonElement).disabled).toBe(false));
    await fireEvent.click(within(again).getByTestId("file-exists-replace"));
    await waitFor(() => expect(names(sent).filter((n) => n === "complete_job")).toHaveLength(3));
    expect(names(sent)).toContain("replace_existing_file");
  });
});
