import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "../src/App.svelte";
import type { JobInfo } from "../src/lib/bindings/JobInfo";
import * as codes from "../src/lib/codes";
import { file, job, jobError, settings } from "./fixtures";
import { fakeShell, ipcError, type SentCommand } from "./ipc-backend";

async function promptFor(target: JobInfo, answers: Record<string, unknown> = {}) {
  const sent = fakeShell({ subscribe_jobs: [target], get_settings: settings(), resume_job: null, ...answers });
  render(App);
  await fireEvent.click(await screen.findByTestId("job-row"));
  const prompt = await screen.findByTestId("error-prompt");
  return { sent, prompt };
}

const after = (sent: SentCommand[], command: string) => sent.filter((s) => s.command === command);

describe("error prompts", () => {
  it("404: edits the failing file's URL, then resumes", async () => {
    const target = job({
      state: "ERROR",
      files: [file(0, { transferred: true, bytes_transferred: 1000 }), file(1, { remote_url: "http://127.0.0.1/old" })],
      error: jobError(codes.httpErrorCode(404), "BG_E_HTTP_ERROR_404", { file_index: 1 }),
    });
    const { sent, prompt } = await promptFor(target, { set_remote_name: null });
    expect(prompt.dataset.code).toBe(String(0x80190194));
    const field = within(prompt).getByTestId("error-prompt-url") as HTMLInputElement;
    expect(field.value).toBe("http://127.0.0.1/old");
    await fireEvent.input(field, { target: { value: "http://127.0.0.1/new" } });
    await fireEvent.click(within(prompt).getByTestId("error-prompt-submit"));
    await waitFor(() => expect(after(sent, "resume_job")).toHaveLength(1));
    expect(after(sent, "set_remote_name")[0]!.args).toEqual({ id: target.id, fileIndex: 1, url: "http://127.0.0.1/new" });
    expect(sent.findIndex((s) => s.command === "set_remote_name")).toBeLessThan(
      sent.findIndex((s) => s.command === "resume_job"),
    );
    expect(within(prompt).getByText("Complete with what is done")).toBeTruthy();
  });

  it("401: sets server credentials for Basic and Digest, then resumes", async () => {
    const target = job({ state: "ERROR", error: jobError(codes.httpErrorCode(401), "BG_E_HTTP_ERROR_401") });
    const { sent, prompt } = await promptFor(target, { set_credentials: null });
    await fireEvent.input(within(prompt).getByTestId("credentials-user"), { target: { value: "me" } });
    await fireEvent.input(within(prompt).getByTestId("credentials-password"), { target: { value: "pw" } });
    await fireEvent.click(within(prompt).getByTestId("credentials-submit"));
    await waitFor(() => expect(after(sent, "resume_job")).toHaveLength(1));
    expect(after(sent, "set_credentials").map((s) => s.args.credentials)).toEqual([
      { target: "SERVER", scheme: "BASIC", user_name: "me", password: "pw" },
      { target: "SERVER", scheme: "DIGEST", user_name: "me", password: "pw" },
    ]);
  });

  it("a missing folder moves the unfinished files to a chosen folder", async () => {
    const target = job({
      state: "ERROR",
      error: jobError(codes.ERROR_PATH_NOT_FOUND, "ERROR_PATH_NOT_FOUND", { context: "LOCAL_FILE" }),
    });
    const { sent, prompt } = await promptFor(target, { pick_folder: "/mnt/other", set_local_folder: null });
    await fireEvent.click(within(prompt).getByTestId("error-prompt-submit"));
    await waitFor(() => expect(after(sent, "resume_job")).toHaveLength(1));
    expect(after(sent, "set_local_folder")[0]!.args).toEqual({ id: target.id, folder: "/mnt/other" });
  });

  it("a full disk shows the space still needed", async () => {
    const target = job({
      state: "ERROR",
      files: [file(0, { bytes_total: 5_000_000, bytes_transferred: 1_000_000 })],
      error: jobError(codes.ERROR_DISK_FULL, "ERROR_DISK_FULL", { context: "LOCAL_FILE" }),
    });
    const { prompt } = await promptFor(target);
    expect(within(prompt).getByTestId("space-needed").textContent).toContain("4 MB");
  });

  it("missing range support restarts the file from the beginning", async () => {
    const target = job({
      state: "ERROR",
      error: jobError(codes.BG_E_INSUFFICIENT_RANGE_SUPPORT, "BG_E_INSUFFICIENT_RANGE_SUPPORT", { file_index: 0 }),
    });
    const { sent, prompt } = await promptFor(target, { restart_file: null });
    await fireEvent.click(within(prompt).getByTestId("error-prompt-submit"));
    await waitFor(() => expect(after(sent, "resume_job")).toHaveLength(1));
    expect(after(sent, "restart_file")[0]!.args).toEqual({ id: target.id, fileIndex: 0 });
  });

  it("a transient error counts down to the retry and offers Retry now", async () => {
    const target = job({
      state: "TRANSIENT_ERROR",
      retry_in_ms: 7 * 60 * 1000,
      error_count: 3,
      error: jobError(codes.httpErrorCode(503), "BG_E_HTTP_ERROR_503"),
    });
    const { sent, prompt } = await promptFor(target);
    expect(within(prompt).getByTestId("retry-in").textContent).toContain("retrying in 7 min");
    expect(screen.getByTestId("error-count").textContent).toBe("3");
    await fireEvent.click(within(prompt).getByTestId("error-prompt-submit"));
    await waitFor(() => expect(after(sent, "resume_job")[0]!.args).toEqual({ id: target.id }));
  });

  it("a job held by the bandwidth policy runs as FOREGROUND without a Resume", async () => {
    const target = job({
      state: "TRANSIENT_ERROR",
      error: jobError(codes.BG_E_BLOCKED_BY_POLICY, "BG_E_BLOCKED_BY_POLICY", {
        context: "GENERAL_QUEUE_MANAGER",
        file_index: null,
      }),
    });
    const { sent, prompt } = await promptFor(target, { set_priority: null });
    expect(prompt.dataset.kind).toBe("blocked-by-policy");
    expect(prompt.textContent).toContain("resumes by itself when the window ends");
    expect(within(prompt).queryByText(/Retry now/)).toBeNull();
    await fireEvent.click(within(prompt).getByRole("button", { name: "Run as Foreground now" }));
    await waitFor(() => expect(after(sent, "set_priority")).toHaveLength(1));
    expect(after(sent, "set_priority")[0]!.args).toEqual({ id: target.id, priority: "FOREGROUND" });
    expect(after(sent, "resume_job")).toHaveLength(0);
  });

  it("a job held by the bandwidth policy leads to the policy in the settings", async () => {
    const target = job({
      state: "TRANSIENT_ERROR",
      error: jobError(codes.BG_E_BLOCKED_BY_POLICY, "BG_E_BLOCKED_BY_POLICY", { context: "GENERAL_QUEUE_MANAGER" }),
    });
    const { prompt } = await promptFor(target);
    await fireEvent.click(within(prompt).getByTestId("error-prompt-open-settings"));
    const enabled = await screen.findByTestId("bandwidth-enabled");
    expect(screen.getByTestId("settings-page")).toBeTruthy();
    await waitFor(() => expect(document.activeElement).toBe(enabled));
  });

  it("shows the engine's answer when the fix itself fails", async () => {
    const target = job({ state: "ERROR", error: jobError(codes.BG_E_MISSING_FILE_SIZE, "BG_E_MISSING_FILE_SIZE") });
    const { sent, prompt } = await promptFor(target, {
      set_dynamic_content: () => ipcError(codes.BG_E_INVALID_STATE, "BG_E_INVALID_STATE", "too late for that"),
    });
    await fireEvent.click(within(prompt).getByTestId("error-prompt-submit"));
    const failure = await within(prompt).findByTestId("error-prompt-failure");
    expect(failure.textContent).toBe("too late for that (BG_E_INVALID_STATE)");
    expect(after(sent, "resume_job")).toHaveLength(0);
  });

  it("a certificate failure offers no way around it", async () => {
    const target = job({
      state: "ERROR",
      error: jobError(codes.ERROR_WINHTTP_SECURE_FAILURE, "ERROR_WINHTTP_SECURE_FAILURE", { context: "GENERAL_TRANSPORT" }),
    });
    const { prompt } = await promptFor(target);
    expect(prompt.dataset.kind).toBe("certificate");
    expect(within(prompt).getAllByRole("button").map((b) => b.textContent?.trim())).toEqual(["Resume"]);
  });

  it("a web page as the first answer opens it, or downloads it anyway, or edits the URL", async () => {
    const target = job({
      state: "ERROR",
      files: [file(0, { local_path: "/home/me/Downloads/setup.iso", remote_url: "http://127.0.0.1/setup.iso" })],
      error: jobError(codes.FERRY_E_WEB_PAGE_INSTEAD_OF_FILE, "FERRY_E_WEB_PAGE_INSTEAD_OF_FILE", { file_index: 0 }),
    });
    const { sent, prompt } = await promptFor(target, { open_remote_url: null, allow_web_page: null });
    expect(prompt.dataset.kind).toBe("web-page");
    expect(within(prompt).getByText("The server sent a web page instead of the file")).toBeTruthy();
    expect(within(prompt).getByTestId("web-page-hint").textContent).toContain("setup.iso is not a web page");
    expect((within(prompt).getByTestId("error-prompt-url") as HTMLInputElement).value).toBe("http://127.0.0.1/setup.iso");

    await fireEvent.click(within(prompt).getByTestId("error-prompt-open-page"));
    await waitFor(() => expect(after(sent, "open_remote_url")).toHaveLength(1));
    expect(after(sent, "open_remote_url")[0]!.args).toEqual({ id: target.id, fileIndex: 0 });
    expect(after(sent, "resume_job")).toHaveLength(0);

    await fireEvent.click(within(prompt).getByTestId("error-prompt-take-page"));
    await waitFor(() => expect(after(sent, "resume_job")).toHaveLength(1));
    expect(after(sent, "allow_web_page")[0]!.args).toEqual({ id: target.id, fileIndex: 0 });
    expect(sent.findIndex((s) => s.command === "allow_web_page")).toBeLessThan(
      sent.findIndex((s) => s.command === "resume_job"),
    );
  });

  it("a web page on resume keeps the partial file and offers a restart, not the page", async () => {
    const target = job({
      state: "ERROR",
      files: [file(0, { bytes_total: 5_000_000, bytes_transferred: 1_000_000 })],
      error: jobError(codes.FERRY_E_WEB_PAGE_INSTEAD_OF_FILE, "FERRY_E_WEB_PAGE_INSTEAD_OF_FILE", { file_index: 0 }),
    });
    const { sent, prompt } = await promptFor(target, { restart_file: null });
    expect(within(prompt).getByTestId("web-page-hint").textContent).toContain("already downloaded is kept");
    expect(within(prompt).queryByTestId("error-prompt-take-page")).toBeNull();
    await fireEvent.click(within(prompt).getByTestId("error-prompt-restart"));
    await waitFor(() => expect(after(sent, "resume_job")).toHaveLength(1));
    expect(after(sent, "restart_file")[0]!.args).toEqual({ id: target.id, fileIndex: 0 });
  });

  it("a checksum mismatch shows both digests, downloads the file again or completes without it", async () => {
    const expected = `sha256:${"a".repeat(64)}`;
    const actual = `sha256:${"b".repeat(64)}`;
    const target = job({
      state: "ERROR",
      files: [file(0, { local_path: "/home/me/Downloads/setup.iso", bytes_transferred: 1000 })],
      error: jobError(codes.FERRY_E_CHECKSUM_MISMATCH, "FERRY_E_CHECKSUM_MISMATCH", {
        context: "LOCAL_FILE",
        file_index: 0,
        description: `the downloaded bytes do not match your checksum: expected ${expected}, got ${actual}; the file was not put under its final name`,
      }),
    });
    const { sent, prompt } = await promptFor(target, { restart_file: null });
    expect(prompt.dataset.kind).toBe("checksum-mismatch");
    expect(within(prompt).getByText("The file does not match its checksum")).toBeTruthy();
    expect(within(prompt).getByTestId("checksum-expected").textContent).toBe(expected);
    expect(within(prompt).getByTestId("checksum-actual").textContent).toBe(actual);
    expect(within(prompt).getByTestId("checksum-mismatch-hint").textContent).toContain("setup.iso arrived");
    expect(within(prompt).getAllByRole("button").map((b) => b.textContent?.trim())).toEqual([
      "Download this file again",
      "Complete without it",
    ]);

    await fireEvent.click(within(prompt).getByTestId("error-prompt-submit"));
    await waitFor(() => expect(after(sent, "resume_job")).toHaveLength(1));
    expect(after(sent, "restart_file")[0]!.args).toEqual({ id: target.id, fileIndex: 0 });
    expect(sent.findIndex((s) => s.command === "restart_file")).toBeLessThan(
      sent.findIndex((s) => s.command === "resume_job"),
    );

    const completeWithout = within(prompt).getByTestId("error-prompt-complete-without") as HTMLButtonElement;
    await waitFor(() => expect(completeWithout.disabled).toBe(false));
    await fireEvent.click(completeWithout);
    await screen.findByTestId("confirm-dialog");
    expect(screen.getByTestId("confirm-list-discarded").textContent).toContain("/home/me/Downloads/setup.iso");
  });
});
