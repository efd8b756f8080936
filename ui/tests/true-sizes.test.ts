import { fireEvent, render, screen, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "../src/App.svelte";
import { jobBytesText } from "../src/lib/job-size";
import { JobStore } from "../src/lib/jobs";
import { file, job, progressBatch, settings } from "./fixtures";
import { fakeShell } from "./ipc-backend";

/** Three files whose sizes are not known until each starts. */
const unsized = () =>
  job({
    state: "TRANSFERRING",
    files: [file(0, { bytes_total: null }), file(1, { bytes_total: null }), file(2, { bytes_total: null })],
  });

describe("true sizes", () => {
  it("gives a file that finished between two batches its real size", () => {
    const store = new JobStore((run) => run(), () => 0);
    const target = unsized();
    store.load([target]);
    store.push(
      progressBatch(target, { bytes_transferred: 12_000_010, files_transferred: 1 }, [1, 10, 40_000_000], [
        [0, 12_000_000, 12_000_000],
      ]),
    );
    const files = store.get(target.id)!.files;
    expect(files[0]).toMatchObject({ transferred: true, bytes_transferred: 12_000_000, bytes_total: 12_000_000 });
    expect(files[1]).toMatchObject({ transferred: false, bytes_transferred: 10, bytes_total: 40_000_000 });
    expect(files[2]!.bytes_total).toBeNull();
  });

  it("totals the known sizes with + ? while some files are not sized yet", () => {
    const target = unsized();
    target.files[0] = { ...target.files[0]!, bytes_total: 12_000_000, bytes_transferred: 12_000_000, transferred: true };
    target.files[1] = { ...target.files[1]!, bytes_total: 28_000_000 };
    target.progress = { ...target.progress, bytes_total: null, bytes_transferred: 12_000_000 };
    expect(jobBytesText(target)).toBe("12 of 40 MB + ?");

    target.files[2] = { ...target.files[2]!, bytes_total: 10_000_000 };
    target.progress = { ...target.progress, bytes_total: 50_000_000 };
    expect(jobBytesText(target)).toBe("12 of 50 MB");

    expect(jobBytesText(unsized())).toBe("0 B of unknown");
  });

  it("shows the partly known total in the row and the details, with no time left", async () => {
    const target = unsized();
    target.files[0] = { ...target.files[0]!, bytes_total: 12_000_000, bytes_transferred: 12_000_000, transferred: true };
    target.files[1] = { ...target.files[1]!, bytes_total: 28_000_000, bytes_transferred: 1_000_000 };
    target.progress = { ...target.progress, bytes_total: null, bytes_transferred: 13_000_000, files_transferred: 1 };
    fakeShell({ subscribe_jobs: [target], get_settings: settings() });
    render(App);
    const row = await screen.findByTestId("job-row");
    expect(row.textContent).toContain("13 of 40 MB + ?");
    await fireEvent.click(row);
    const details = await screen.findByTestId("job-details");
    expect(details.textContent).toContain("13 of 40 MB + ?");
    const finished = within(details).getAllByTestId("job-file")[0]!;
    expect(finished.textContent).toContain("12 of 12 MB");
    expect(finished.textContent).not.toContain("unknown");
  });
});
