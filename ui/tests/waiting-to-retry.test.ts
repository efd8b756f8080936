import { fireEvent, render, screen, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "../src/App.svelte";
import type { JobInfo } from "../src/lib/bindings/JobInfo";
import { ERROR_WINHTTP_CONNECTION_ERROR, httpErrorCode } from "../src/lib/codes";
import { errorInWords, errorUnderTitle } from "../src/lib/error-words";
import { fileStatus, retryCountdownMs, retryShort } from "../src/lib/file-status";
import { file, job, jobError, settings } from "./fixtures";
import { fakeShell } from "./ipc-backend";

const BROKEN = "the connection broke after 4096 bytes (error decoding response body)";

const waiting = () =>
  job({
    state: "TRANSIENT_ERROR",
    files: [file(0, { bytes_transferred: 4096, bytes_total: 10_000 })],
    error: jobError(ERROR_WINHTTP_CONNECTION_ERROR, "ERROR_WINHTTP_CONNECTION_ERROR", { description: BROKEN }),
    retry_in_ms: 12_000,
  });

async function detailsOf(target: JobInfo) {
  fakeShell({ subscribe_jobs: [target], get_settings: settings() });
  render(App);
  await fireEvent.click(await screen.findByTestId("job-row"));
  return screen.findByTestId("job-details");
}

describe("a file waiting to retry", () => {
  it("is labelled with the time left, not Failed", () => {
    const target = waiting();
    expect(fileStatus(target, target.files[0]!, 12_000)).toBe("Waiting to retry (in 12 s)");
    expect(fileStatus(target, target.files[0]!, 0)).toBe("Retrying now");
    expect(fileStatus(target, target.files[0]!, null)).toBe("Waiting to retry");
    const stopped = { ...target, state: "ERROR" as const, retry_in_ms: null };
    expect(fileStatus(stopped, stopped.files[0]!, null)).toBe("Failed");
  });

  it("shows the countdown in the details, with the error in words and its technical cause", async () => {
    const details = await detailsOf(waiting());
    const row = within(details).getAllByTestId("job-file")[0]!;
    expect(row.textContent).toMatch(/Waiting to retry \(in 1[12] s\)/);
    expect(row.textContent).not.toContain("Failed");
    expect(within(details).getByTestId("error-words").textContent).toBe(
      "The connection broke while the file was arriving.",
    );
    expect(within(details).getByTestId("error-cause").textContent).toBe(BROKEN);
    const prompt = within(details).getByTestId("error-prompt");
    expect(prompt.textContent).toContain("The connection broke while the file was arriving.");
    expect(prompt.textContent).not.toContain("error decoding response body");
  });
});

describe("the job list's row of a job waiting to retry", () => {
  it("counts down to the retry in the ETA column", async () => {
    fakeShell({ subscribe_jobs: [waiting()], get_settings: settings() });
    render(App);
    const row = await screen.findByTestId("job-row");
    expect(within(row).getByTestId("row-eta").textContent?.trim()).toMatch(/^in 1[12] s$/);
    expect(retryShort(0)).toBe("now");
    expect(retryCountdownMs(waiting(), 5_000, 1_000)).toBe(8_000);
    expect(retryCountdownMs({ ...waiting(), retry_in_ms: null }, 5_000, 1_000)).toBeNull();
  });
});

describe("errors in words", () => {
  it("names the failure by its code, and HTTP statuses by number", () => {
    const error = (code: number, name: string, description = "x") => jobError(code, name, { description });
    expect(errorInWords(error(httpErrorCode(503), "BG_E_HTTP_ERROR_503"))).toBe(
      "The server is busy or down for maintenance (HTTP 503).",
    );
    expect(errorInWords(error(httpErrorCode(502), "BG_E_HTTP_ERROR_502"))).toBe(
      "The server had a problem (HTTP 502).",
    );
    expect(errorInWords(error(httpErrorCode(418), "BG_E_HTTP_ERROR_418"))).toBe(
      "The server refused the request (HTTP 418).",
    );
  });

  it("makes a sentence of an engine description it has no words for", () => {
    expect(errorInWords(jobError(0x8000_4005, "E_FAIL", { description: "the job's progress cannot be saved" }))).toBe(
      "The job's progress cannot be saved.",
    );
  });

  it("does not say a prompt's title again under it", () => {
    const notFound = jobError(httpErrorCode(404), "BG_E_HTTP_ERROR_404", { description: "x" });
    expect(errorUnderTitle(notFound, "The file is not on the server")).toBeNull();
    const busy = jobError(httpErrorCode(503), "BG_E_HTTP_ERROR_503", { description: "x" });
    expect(errorUnderTitle(busy, "Waiting to retry")).toBe("The server is busy or down for maintenance (HTTP 503).");
  });
});
