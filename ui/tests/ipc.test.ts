import { Channel } from "@tauri-apps/api/core";
import { describe, expect, it } from "vitest";
import type { UiEvent } from "../src/lib/shell-types";
import { CommandError, completeJob, setRemoteName, subscribeJobs } from "../src/lib/ipc";
import { job } from "./fixtures";
import { fakeShell, ipcError } from "./ipc-backend";

describe("ipc", () => {
  it("subscribes with a channel and returns the snapshot", async () => {
    const snapshot = [job()];
    let channel: Channel<UiEvent> | undefined;
    fakeShell({
      subscribe_jobs: (args: Record<string, unknown>) => {
        channel = args.channel as Channel<UiEvent>;
        return snapshot;
      },
    });
    const events: UiEvent[] = [];
    const jobs = await subscribeJobs((event) => events.push(event));
    expect(jobs).toEqual(snapshot);
    expect(channel).toBeInstanceOf(Channel);
    channel!.onmessage({ kind: "job_removed", id: snapshot[0]!.id, state: "CANCELLED" });
    expect(events).toEqual([{ kind: "job_removed", id: snapshot[0]!.id, state: "CANCELLED" }]);
  });

  it("sends camelCase arguments", async () => {
    const sent = fakeShell({ set_remote_name: null });
    await setRemoteName("id-1", 2, "http://127.0.0.1/new");
    expect(sent).toEqual([
      { command: "set_remote_name", args: { id: "id-1", fileIndex: 2, url: "http://127.0.0.1/new" } },
    ]);
  });

  it("turns a shell error into a CommandError with the engine's code", async () => {
    fakeShell({ complete_job: () => ipcError(0x80200002, "BG_E_INVALID_STATE", "the job's state does not allow this") });
    const failure = await completeJob("id-1").catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(CommandError);
    expect(failure).toMatchObject({ code: 0x80200002, name: "BG_E_INVALID_STATE" });
  });
});
