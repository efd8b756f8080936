import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import App from "../src/App.svelte";
import type { JobInfo } from "../src/lib/bindings/JobInfo";
import { file, job, settings } from "./fixtures";
import { fakeShell } from "./ipc-backend";

const SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

async function detailsOf(target: JobInfo) {
  fakeShell({ subscribe_jobs: [target], get_settings: settings() });
  render(App);
  await fireEvent.click(await screen.findByTestId("job-row"));
  return screen.findByTestId("job-details");
}

const finished = () =>
  job({
    state: "TRANSFERRED",
    files: [
      file(0, {
        local_path: "/home/me/Downloads/setup.iso",
        bytes_transferred: 1000,
        transferred: true,
        checksum: `sha256:${SHA256}`,
        sha256: SHA256,
        verification: "CHECKSUM",
      }),
    ],
  });

function stubClipboard(writeText: (text: string) => Promise<void>) {
  Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
}

afterEach(() => {
  Object.defineProperty(navigator, "clipboard", { value: undefined, configurable: true });
});

describe("a file's verification in the details", () => {
  it("says it was verified by your checksum and copies its SHA-256", async () => {
    const writeText = vi.fn(() => Promise.resolve());
    stubClipboard(writeText);
    const details = await detailsOf(finished());
    expect(within(details).getByTestId("file-verification").textContent?.trim()).toBe("Verified by your checksum");
    expect(within(details).getByTestId("file-sha256").textContent).toBe(SHA256);
    const copy = within(details).getByRole("button", { name: "Copy the SHA-256 of setup.iso" });
    await fireEvent.click(copy);
    await waitFor(() => expect(within(details).getByTestId("copy-sha256-note").textContent).toBe("Copied"));
    expect(writeText).toHaveBeenCalledWith(SHA256);
  });

  it("selects the value for Ctrl+C when the clipboard is refused, and says so", async () => {
    stubClipboard(() => Promise.reject(new Error("NotAllowedError")));
    const details = await detailsOf(finished());
    await fireEvent.click(within(details).getByTestId("copy-sha256"));
    await waitFor(() =>
      expect(within(details).getByTestId("copy-sha256-note").textContent).toBe(
        "Copying was refused: the value is selected, press Ctrl+C",
      ),
    );
    expect(window.getSelection()?.toString()).toBe(SHA256);
  });

  it("shows the expected checksum while the file downloads, and no SHA-256 yet", async () => {
    const details = await detailsOf(
      job({ state: "TRANSFERRING", files: [file(0, { checksum: `sha256:${SHA256}`, bytes_transferred: 10 })] }),
    );
    expect(within(details).getByTestId("file-verification").textContent?.trim()).toBe(
      `Checksum expected: sha256:${SHA256}`,
    );
    expect(within(details).queryByTestId("file-sha256")).toBeNull();
  });
});
