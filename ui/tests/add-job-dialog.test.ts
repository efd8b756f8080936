import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "../src/App.svelte";
import { BG_E_TOO_MANY_FILES_IN_JOB, E_ACCESSDENIED, E_INVALIDARG } from "../src/lib/codes";
import { job, settings } from "./fixtures";
import { fakeShell, ipcError, names } from "./ipc-backend";

async function openDialog(answers: Record<string, unknown>) {
  const sent = fakeShell({ subscribe_jobs: [], get_settings: settings(), ...answers });
  render(App);
  await screen.findByText("No transfers yet");
  await fireEvent.click(screen.getByTestId("add-job-button"));
  await screen.findByTestId("add-job-dialog");
  return sent;
}

describe("Add a job", () => {
  it("starts from the default folder and FOREGROUND priority", async () => {
    await openDialog({});
    expect((screen.getByTestId("add-folder") as HTMLInputElement).value).toBe("/home/user/Downloads");
    expect((screen.getByTestId("add-priority") as HTMLSelectElement).value).toBe("FOREGROUND");
  });

  it("says what is missing without calling the engine", async () => {
    const sent = await openDialog({});
    await fireEvent.click(screen.getByTestId("add-submit"));
    expect(await screen.findByText("Enter at least one URL.")).toBeTruthy();
    expect(names(sent)).not.toContain("create_job");
  });

  it("shows the engine's error next to the field it concerns and creates nothing", async () => {
    const sent = await openDialog({
      create_job: () => ipcError(E_ACCESSDENIED, "E_ACCESSDENIED", "the folder is not writable"),
    });
    await fireEvent.input(screen.getByTestId("add-urls"), { target: { value: "http://127.0.0.1/a.bin" } });
    await fireEvent.click(screen.getByTestId("add-submit"));
    const message = await screen.findByText("the folder is not writable (E_ACCESSDENIED)");
    const folder = screen.getByTestId("add-folder");
    expect(folder.getAttribute("aria-invalid")).toBe("true");
    expect(folder.getAttribute("aria-describedby")).toBe(message.id);
    expect(screen.getByTestId("add-urls").getAttribute("aria-invalid")).toBe("false");
    expect(names(sent)).not.toContain("resume_job");
    expect(screen.getByTestId("add-job-dialog")).toBeTruthy();
  });

  it("never shows the password of a URL the engine refused", async () => {
    await openDialog({
      create_job: () =>
        ipcError(
          E_INVALIDARG,
          "E_INVALIDARG",
          "put credentials in the job's credentials, not in the URL: http://me:s3cret@127.0.0.1/a.bin",
        ),
    });
    await fireEvent.input(screen.getByTestId("add-urls"), { target: { value: "http://me:s3cret@127.0.0.1/a.bin" } });
    await fireEvent.click(screen.getByTestId("add-submit"));
    const message = await screen.findByText(/put credentials in the job's credentials/);
    expect(message.textContent).toContain("http://me:****@127.0.0.1/a.bin");
    expect(message.textContent).not.toContain("s3cret");
  });

  it("puts too many files on the URL field", async () => {
    await openDialog({
      create_job: () => ipcError(BG_E_TOO_MANY_FILES_IN_JOB, "BG_E_TOO_MANY_FILES_IN_JOB", "too many files"),
    });
    await fireEvent.input(screen.getByTestId("add-urls"), { target: { value: "http://127.0.0.1/a\nhttp://127.0.0.1/b" } });
    await fireEvent.click(screen.getByTestId("add-submit"));
    await screen.findByText("too many files (BG_E_TOO_MANY_FILES_IN_JOB)");
    expect(screen.getByTestId("add-urls").getAttribute("aria-invalid")).toBe("true");
  });

  it("creates the job from pasted URLs and starts it", async () => {
    const created = job({ state: "SUSPENDED", settings: { display_name: "a.bin and 1 more" } });
    const sent = await openDialog({ create_job: created, resume_job: null });
    await fireEvent.input(screen.getByTestId("add-urls"), {
      target: { value: "http://127.0.0.1/a.bin\nhttp://127.0.0.1/b.bin" },
    });
    await fireEvent.click(screen.getByTestId("add-submit"));
    await waitFor(() => expect(screen.queryByTestId("add-job-dialog")).toBeNull());
    const request = sent.find((s) => s.command === "create_job")?.args.request;
    expect(request).toEqual({
      display_name: "a.bin and 1 more",
      job_type: "DOWNLOAD",
      priority: "FOREGROUND",
      files: [
        { remote_url: "http://127.0.0.1/a.bin", local_path: "/home/user/Downloads/a.bin" },
        { remote_url: "http://127.0.0.1/b.bin", local_path: "/home/user/Downloads/b.bin" },
      ],
      credentials: null,
      reply_file_name: null,
      unique_names: true,
    });
    expect(sent.find((s) => s.command === "resume_job")?.args).toEqual({ id: created.id });
  });

  it("fills the destination from the native folder picker", async () => {
    await openDialog({ pick_folder: "/mnt/data" });
    await fireEvent.click(screen.getByTestId("add-folder-browse"));
    await waitFor(() => expect((screen.getByTestId("add-folder") as HTMLInputElement).value).toBe("/mnt/data"));
  });

  it("takes links dropped on the URL field", async () => {
    await openDialog({});
    const field = screen.getByTestId("add-urls") as HTMLTextAreaElement;
    const data = {
      types: ["text/uri-list"],
      getData: (type: string) => (type === "text/uri-list" ? "# comment\nhttp://127.0.0.1/x.iso\r\n" : ""),
    };
    await fireEvent.drop(field, { dataTransfer: data });
    expect(field.value).toBe("http://127.0.0.1/x.iso");
  });

  it("opens with the links dropped on the window", async () => {
    fakeShell({ subscribe_jobs: [], get_settings: settings() });
    render(App);
    await screen.findByText("No transfers yet");
    const data = {
      types: ["text/plain"],
      getData: (type: string) => (type === "text/plain" ? "http://127.0.0.1/a.iso http://127.0.0.1/b.iso" : ""),
    };
    await fireEvent.drop(window, { dataTransfer: data });
    const field = (await screen.findByTestId("add-urls")) as HTMLTextAreaElement;
    expect(field.value).toBe("http://127.0.0.1/a.iso\nhttp://127.0.0.1/b.iso");
  });
});

const SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

function paste(field: HTMLElement, text: string) {
  return fireEvent.paste(field, { clipboardData: { getData: (type: string) => (type === "text/plain" ? text : "") } });
}

describe("Add a job with a checksum", () => {
  it("a pasted sha256sum listing fills the field with the file's line and reaches the engine", async () => {
    const created = job({ state: "SUSPENDED" });
    const sent = await openDialog({ create_job: created, resume_job: null });
    await fireEvent.input(screen.getByTestId("add-urls"), { target: { value: "http://127.0.0.1/setup.iso" } });
    const field = screen.getByTestId("add-checksum") as HTMLTextAreaElement;
    await paste(field, `${"0".repeat(64)}  other.iso\n${SHA256} *setup.iso\n`);
    expect(field.value).toBe(`sha256:${SHA256}`);
    expect(screen.getByTestId("add-checksum-note").textContent).toBe(
      "SHA-256 checksum for setup.iso, checked when the download finishes.",
    );
    await fireEvent.click(screen.getByTestId("add-submit"));
    await waitFor(() => expect(screen.queryByTestId("add-job-dialog")).toBeNull());
    const request = sent.find((s) => s.command === "create_job")?.args.request as { checksums?: unknown };
    expect(request.checksums).toEqual([`sha256:${SHA256}`]);
  });

  it("gives each of several URLs the line with its name and counts them", async () => {
    const sent = await openDialog({ create_job: job({ state: "SUSPENDED" }), resume_job: null });
    await fireEvent.input(screen.getByTestId("add-urls"), {
      target: { value: "http://127.0.0.1/a.iso\nhttp://127.0.0.1/b.iso\nhttp://127.0.0.1/c.iso" },
    });
    await paste(screen.getByTestId("add-checksum"), `${SHA256}  a.iso\nMD5 (c.iso) = ${"1".repeat(32)}`);
    expect(screen.getByTestId("add-checksum-note").textContent).toBe(
      "Checksums for 2 of 3 files, checked when each finishes.",
    );
    await fireEvent.click(screen.getByTestId("add-submit"));
    await waitFor(() => expect(names(sent)).toContain("create_job"));
    const request = sent.find((s) => s.command === "create_job")?.args.request as { checksums?: unknown };
    expect(request.checksums).toEqual([`sha256:${SHA256}`, null, `md5:${"1".repeat(32)}`]);
  });

  it("an invalid checksum is said under its field and blocks Add", async () => {
    const sent = await openDialog({});
    await fireEvent.input(screen.getByTestId("add-urls"), { target: { value: "http://127.0.0.1/setup.iso" } });
    await fireEvent.input(screen.getByTestId("add-checksum"), { target: { value: "sha256:1234" } });
    await fireEvent.click(screen.getByTestId("add-submit"));
    const message = await screen.findByTestId("add-checksum-error");
    expect(message.textContent).toBe("A sha256 checksum has 64 hexadecimal digits; this one has 4.");
    expect(screen.getByTestId("add-checksum").getAttribute("aria-describedby")).toBe(message.id);
    expect(screen.getByTestId("add-urls").getAttribute("aria-invalid")).toBe("false");
    expect(names(sent)).not.toContain("create_job");
  });

  it("a checksum the engine refuses is said under the checksum field", async () => {
    await openDialog({
      create_job: () => ipcError(E_INVALIDARG, "E_INVALIDARG", "the checksum value is not base64"),
    });
    await fireEvent.input(screen.getByTestId("add-urls"), { target: { value: "http://127.0.0.1/setup.iso" } });
    await fireEvent.input(screen.getByTestId("add-checksum"), { target: { value: SHA256 } });
    await fireEvent.click(screen.getByTestId("add-submit"));
    expect((await screen.findByTestId("add-checksum-error")).textContent).toBe(
      "the checksum value is not base64 (E_INVALIDARG)",
    );
  });
});
