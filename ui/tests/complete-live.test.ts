import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import type { Channel } from "@tauri-apps/api/core";
import { describe, expect, it } from "vitest";
import App from "../src/App.svelte";
import type { JobInfo } from "../src/lib/bindings/JobInfo";
import { S_OK } from "../src/lib/codes";
import type { CompleteOutcome, UiEvent } from "../src/lib/shell-types";
import { file, job, settings } from "./fixtures";
import { fakeShell, names } from "./ipc-backend";

const allKept: CompleteOutcome = {
  code: S_OK,
  state: "ACKNOWLEDGED",
  kept: ["/d/a.bin", "/d/b.bin", "/d/c.bin"],
  discarded: [],
  rename_failures: [],
};

/** A three-file download with `done` files transferred. */
function threeFiles(done: number, base?: JobInfo): JobInfo {
  const files = ["a", "b", "c"].map((name, index) =>
    file(index, {
      local_path: `/d/${name}.bin`,
      transferred: index < done,
      bytes_transferred: index < done ? 1000 : 0,
    }),
  );
  const shape = job({ state: done === 3 ? "TRANSFERRED" : "TRANSFERRING", settings: { display_name: "three" }, files });
  return base ? { ...shape, id: base.id } : shape;
}

function dialogText(): string {
  return screen.getByTestId("confirm-dialog").textContent ?? "";
}

describe("the Complete confirmation follows the job", () => {
  it("its text changes as files finish, and says so when all are kept", async () => {
    const target = threeFiles(1);
    let channel: Channel<UiEvent> | undefined;
    const current = { job: target };
    const sent = fakeShell({
      subscribe_jobs: (args: Record<string, unknown>) => {
        channel = args.channel as Channel<UiEvent>;
        return [target];
      },
      list_jobs: () => [current.job],
      get_settings: settings(),
      complete_job: allKept,
    });
    render(App);
    await fireEvent.click(await screen.findByTestId("complete-button"));
    expect(screen.getByTestId("confirm-list-discarded").querySelectorAll("li")).toHaveLength(2);

    current.job = threeFiles(3, target);
    channel!.onmessage({ kind: "job_transferred", job: current.job });
    await waitFor(() => expect(dialogText()).toContain("keeps all 3 files"));
    expect(screen.queryByTestId("confirm-list-discarded")).toBeNull();

    await fireEvent.click(screen.getByTestId("confirm-button"));
    await waitFor(() => expect(names(sent)).toContain("complete_job"));
  });

  it("asks again instead of acting when what Complete does changed since it was shown", async () => {
    const target = threeFiles(1);
    // The owner already has all three files; the window has not heard yet.
    const sent = fakeShell({
      subscribe_jobs: [target],
      list_jobs: [threeFiles(3, target)],
      get_settings: settings(),
      complete_job: allKept,
    });
    render(App);
    await fireEvent.click(await screen.findByTestId("complete-button"));
    expect(dialogText()).toContain("Only the files that finished transferring will be kept");

    await fireEvent.click(screen.getByTestId("confirm-button"));
    await waitFor(() => expect(screen.getByTestId("confirm-changed")).toBeTruthy());
    expect(dialogText()).toContain("keeps all 3 files");
    expect(names(sent), "a stale promise is not acted on").not.toContain("complete_job");

    await fireEvent.click(screen.getByTestId("confirm-button"));
    await waitFor(() => expect(names(sent)).toContain("complete_job"));
  });

  it("closes when the job leaves the queue while it is open", async () => {
    const target = threeFiles(1);
    let channel: Channel<UiEvent> | undefined;
    fakeShell({
      subscribe_jobs: (args: Record<string, unknown>) => {
        channel = args.channel as Channel<UiEvent>;
        return [target];
      },
      get_settings: settings(),
    });
    render(App);
    await fireEvent.click(await screen.findByTestId("complete-button"));
    channel!.onmessage({ kind: "job_removed", id: target.id, state: "CANCELLED" });
    await waitFor(() => expect(screen.queryByTestId("confirm-dialog")).toBeNull());
  });
});
