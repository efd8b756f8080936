import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "../src/App.svelte";
import { S_OK } from "../src/lib/codes";
import type { CompleteOutcome } from "../src/lib/shell-types";
import { file, job, settings } from "./fixtures";
import { fakeShell } from "./ipc-backend";

async function completeThenOpen(path: string, opensAtOnce: boolean) {
  const target = job({ state: "TRANSFERRED", files: [file(0, { transferred: true, local_path: path })] });
  const outcome: CompleteOutcome = { code: S_OK, state: "ACKNOWLEDGED", kept: [path], discarded: [], rename_failures: [] };
  const sent = fakeShell({
    subscribe_jobs: [target],
    get_settings: settings(),
    complete_job: outcome,
    // The shell opens at once unless the file runs programs and the window has not asked.
    open_path: (args: Record<string, unknown>) => opensAtOnce || args.allowPrograms === true,
  });
  render(App);
  await fireEvent.click(await screen.findByTestId("complete-button"));
  const message = await screen.findByTestId("complete-outcome");
  await fireEvent.click(within(message).getByText("Open"));
  return sent;
}

const opens = (sent: Array<{ command: string; args: Record<string, unknown> }>) =>
  sent.filter((s) => s.command === "open_path").map((s) => s.args.allowPrograms);

describe("opening a file that can run programs", () => {
  it("asks first, and opens only when the user says so", async () => {
    const sent = await completeThenOpen("/d/report.sh", false);
    const dialog = await screen.findByTestId("confirm-dialog");
    expect(dialog.textContent).toContain("report.sh can run programs on your computer. Open it anyway?");
    expect(opens(sent)).toEqual([false]);
    await fireEvent.click(screen.getByTestId("confirm-button"));
    await waitFor(() => expect(opens(sent)).toEqual([false, true]));
  });

  it("opens a document without asking", async () => {
    const sent = await completeThenOpen("/d/report.pdf", true);
    await waitFor(() => expect(opens(sent)).toEqual([false]));
    expect(screen.queryByTestId("confirm-dialog")).toBeNull();
  });
});
