import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "../src/App.svelte";
import { bulkNotice } from "../src/lib/bulk";
import { job, settings } from "./fixtures";
import { fakeShell } from "./ipc-backend";

describe("Pause all and Resume all", () => {
  it("say how many jobs they touched, in one sentence", () => {
    expect(bulkNotice("pause", 0).title).toBe("Nothing to pause: no job is moving or waiting to move.");
    expect(bulkNotice("pause", 1).title).toBe("Paused 1 job.");
    expect(bulkNotice("pause", 3).title).toBe("Paused 3 jobs.");
    expect(bulkNotice("resume", 0).title).toBe("Nothing to resume: no paused job.");
    expect(bulkNotice("resume", 12).title).toBe("Resumed 12 jobs.");
  });

  it("show the owner's count in the window", async () => {
    const sent = fakeShell({
      subscribe_jobs: [job({ state: "TRANSFERRING" })],
      get_settings: settings(),
      suspend_all: 3,
      resume_all: 2,
    });
    render(App);
    await fireEvent.click(await screen.findByTestId("suspend-all-button"));
    await waitFor(() => expect(document.body.textContent).toContain("Paused 3 jobs."));
    await fireEvent.click(screen.getByTestId("resume-all-button"));
    await waitFor(() => expect(document.body.textContent).toContain("Resumed 2 jobs."));
    expect(sent.map((s) => s.command)).toEqual(expect.arrayContaining(["suspend_all", "resume_all"]));
  });
});
