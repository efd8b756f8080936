import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import App from "../src/App.svelte";
import type { ProbeRequest } from "../src/lib/bindings/ProbeRequest";
import type { ProbeResult } from "../src/lib/bindings/ProbeResult";
import { maskPasswords, Prober, probeRequest, probeRow, PROBE_DEBOUNCE_MS } from "../src/lib/probe";
import { settings } from "./fixtures";
import { fakeShell, names } from "./ipc-backend";

function result(overrides: Partial<ProbeResult> = {}): ProbeResult {
  return {
    url: "http://127.0.0.1/a.iso",
    status: "FOUND",
    file_name: "a.iso",
    size: 1_500_000,
    content_type: "application/x-iso9660-image",
    can_resume: true,
    error: null,
    ...overrides,
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("when the Add dialog asks the servers", () => {
  it("waits for typing to pause and asks once, for the last URLs", async () => {
    vi.useFakeTimers();
    const asked: ProbeRequest[] = [];
    const shown: Array<ProbeResult[] | null> = [];
    const prober = new Prober(
      async (request) => {
        asked.push(request);
        return request.urls.map((url) => result({ url }));
      },
      (results) => shown.push(results),
    );
    for (const text of ["h", "ht", "http://127.0.0.1/a", "http://127.0.0.1/a.iso"]) {
      prober.schedule(probeRequest([text], null));
      await vi.advanceTimersByTimeAsync(PROBE_DEBOUNCE_MS / 5);
    }
    expect(asked).toEqual([]);
    await vi.advanceTimersByTimeAsync(PROBE_DEBOUNCE_MS);
    expect(asked).toEqual([{ urls: ["http://127.0.0.1/a.iso"] }]);
    expect(shown.at(-1)?.map((r) => r.url)).toEqual(["http://127.0.0.1/a.iso"]);
    prober.schedule(probeRequest(["http://127.0.0.1/a.iso"], null));
    await vi.advanceTimersByTimeAsync(PROBE_DEBOUNCE_MS * 2);
    expect(asked.length).toBe(1);
  });

  it("drops the answer of a probe whose URLs changed meanwhile", async () => {
    vi.useFakeTimers();
    let answerFirst: (results: ProbeResult[]) => void = () => {};
    const shown: Array<ProbeResult[] | null> = [];
    const prober = new Prober(
      (request) =>
        request.urls[0] === "http://127.0.0.1/old.bin"
          ? new Promise((resolve) => (answerFirst = resolve))
          : Promise.resolve([result({ url: "http://127.0.0.1/new.bin", file_name: "new.bin" })]),
      (results) => shown.push(results),
    );
    prober.schedule(probeRequest(["http://127.0.0.1/old.bin"], null));
    await vi.advanceTimersByTimeAsync(PROBE_DEBOUNCE_MS);
    prober.schedule(probeRequest(["http://127.0.0.1/new.bin"], null));
    await vi.advanceTimersByTimeAsync(PROBE_DEBOUNCE_MS);
    answerFirst([result({ url: "http://127.0.0.1/old.bin", file_name: "old.bin" })]);
    await vi.advanceTimersByTimeAsync(0);
    expect(shown.filter((r) => r !== null).map((r) => r?.[0]?.file_name)).toEqual(["new.bin"]);
  });

  it("sends server credentials only", () => {
    const server = { target: "SERVER" as const, scheme: "BASIC" as const, user_name: "me", password: "pw" };
    expect(probeRequest(["u"], server)).toEqual({ urls: ["u"], credentials: server });
    expect(probeRequest(["u"], { ...server, target: "PROXY" })).toEqual({ urls: ["u"] });
  });

  it("says name, size, type and resume, or why a URL was not checked", () => {
    expect(probeRow(result())).toMatchObject({
      name: "a.iso",
      size: "1.5 MB",
      type: "application/x-iso9660-image",
      resume: "Can resume",
      note: null,
    });
    expect(probeRow(result({ size: null, content_type: null, can_resume: false }))).toMatchObject({
      size: "Size unknown",
      type: "Type unknown",
      resume: "Cannot resume",
    });
    const failed = probeRow(
      result({ status: "FAILED", error: { code: 0x80190194, message: "the server answered HTTP 404 Not Found" } }),
    );
    expect(failed.note).toBe(
      "Could not check this URL (the server answered HTTP 404 Not Found); you can still add it.",
    );
    expect(probeRow(result({ status: "NOT_CHECKED" })).note).toBe("Not checked: only the first 20 URLs are checked.");
  });

  it("never shows a password that is part of a URL", () => {
    expect(maskPasswords("refused: https://me:s3cret@example.org/a.iso")).toBe(
      "refused: https://me:****@example.org/a.iso",
    );
    expect(maskPasswords("http://host/p@th and mail me@example.org")).toBe("http://host/p@th and mail me@example.org");
  });
});

describe("the Add dialog with probes", () => {
  it("shows what the server said and adds the file under the server's name", async () => {
    const sent = fakeShell({
      subscribe_jobs: [],
      get_settings: settings(),
      probe_urls: (args: Record<string, unknown>) =>
        (args.request as ProbeRequest).urls.map((url) =>
          result({ url, file_name: "Release Notes.pdf", content_type: "application/pdf", size: 2048 }),
        ),
      create_job: () => Promise.reject({ code: 1, name: "E", message: "stop here" }),
    });
    render(App);
    await screen.findByText("No transfers yet");
    await fireEvent.click(screen.getByTestId("add-job-button"));
    await screen.findByTestId("add-job-dialog");

    await fireEvent.input(screen.getByTestId("add-urls"), { target: { value: "http://127.0.0.1/dl?id=4" } });

    expect(await screen.findByTestId("add-probe-name", {}, { timeout: 3000 })).toHaveProperty(
      "textContent",
      "Release Notes.pdf",
    );
    expect(screen.getByTestId("add-probe-size").textContent).toBe("2 kB");
    expect(screen.getByTestId("add-probe-type").textContent).toBe("application/pdf");
    expect(screen.getByTestId("add-probe-resume").textContent).toBe("Can resume");
    expect(names(sent).filter((n) => n === "probe_urls").length).toBe(1);
    await fireEvent.click(screen.getByTestId("add-submit"));
    await waitFor(() => expect(names(sent)).toContain("create_job"));
    const request = sent.find((s) => s.command === "create_job")?.args.request as {
      files: Array<{ local_path: string }>;
      display_name: string;
    };
    expect(request.files[0]?.local_path).toBe("/home/user/Downloads/Release Notes.pdf");
    expect(request.display_name).toBe("Release Notes.pdf");
  });

  it("shows a failed check under the URL and still adds it", async () => {
    const sent = fakeShell({
      subscribe_jobs: [],
      get_settings: settings(),
      probe_urls: (args: Record<string, unknown>) =>
        (args.request as ProbeRequest).urls.map((url) =>
          result({
            url,
            status: "FAILED",
            file_name: "gone.zip",
            size: null,
            content_type: null,
            can_resume: false,
            error: { code: 0x80190194, message: "the server answered HTTP 404 Not Found" },
          }),
        ),
      create_job: () => Promise.reject({ code: 1, name: "E", message: "stop here" }),
    });
    render(App);
    await screen.findByText("No transfers yet");
    await fireEvent.click(screen.getByTestId("add-job-button"));
    await fireEvent.input(await screen.findByTestId("add-urls"), { target: { value: "http://127.0.0.1/gone.zip" } });

    const note = await screen.findByTestId("add-probe-note", {}, { timeout: 3000 });
    expect(note.textContent).toContain("HTTP 404 Not Found");
    await fireEvent.click(screen.getByTestId("add-submit"));
    await waitFor(() => expect(names(sent)).toContain("create_job"));
  });
});
