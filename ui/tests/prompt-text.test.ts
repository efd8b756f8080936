import { describe, expect, it } from "vitest";
import * as codes from "../src/lib/codes";
import { promptFileName, promptHint, promptTitle } from "../src/lib/prompt-text";
import { file, job, jobError } from "./fixtures";

describe("what an error prompt says", () => {
  it("words the credentials and retry titles by case", () => {
    const failed = job({ state: "ERROR" });
    const waiting = job({ state: "TRANSIENT_ERROR" });
    expect(promptTitle({ kind: "credentials", target: "SERVER" }, failed)).toBe("The server asks for credentials");
    expect(promptTitle({ kind: "credentials", target: "PROXY" }, failed)).toBe("The proxy asks for credentials");
    expect(promptTitle({ kind: "retry" }, failed)).toBe("The transfer gave up");
    expect(promptTitle({ kind: "retry" }, waiting)).toBe("Waiting to retry");
    expect(promptTitle({ kind: "disk-full", bytesNeeded: null }, failed)).toBe("The disk is full");
  });

  it("names the failing file, or says 'the file' when the job has no such file", () => {
    const target = job({ files: [file(0, { local_path: "/home/me/Downloads/report.pdf" })] });
    expect(promptFileName(target, 0)).toBe("report.pdf");
    expect(promptFileName(target, 7)).toBe("the file");
    expect(promptHint({ kind: "restart-file", fileIndex: 0 }, target, null)?.text).toContain(
      "so report.pdf has to start again from the beginning.",
    );
  });

  it("tells how much space a full disk needs, or that it is not known", () => {
    const target = job({ state: "ERROR" });
    expect(promptHint({ kind: "disk-full", bytesNeeded: 4_000_000 }, target, null)).toEqual({
      text: "The unfinished files need 4 MB more. Free that much space, then retry.",
      testid: "space-needed",
    });
    expect(promptHint({ kind: "disk-full", bytesNeeded: null }, target, null)?.text).toContain(
      "their size is not known yet",
    );
  });

  it("names the protocol of a failed certificate", () => {
    const target = job({
      state: "ERROR",
      error: jobError(codes.ERROR_WINHTTP_SECURE_FAILURE, "ERROR_WINHTTP_SECURE_FAILURE", { protocol: "https" }),
    });
    expect(promptHint({ kind: "certificate" }, target, null)?.text).toContain("fix its certificate (https), then resume.");
  });

  it("counts down to a retry, explains a job that gave up, and says nothing otherwise", () => {
    expect(promptHint({ kind: "retry" }, job({ state: "TRANSIENT_ERROR" }), 7 * 60 * 1000)).toEqual({
      text: "Ferry is retrying in 7 min.",
      testid: "retry-in",
    });
    expect(promptHint({ kind: "retry" }, job({ state: "ERROR" }), null)?.text).toBe(
      "It made no progress for too long (no-progress timeout).",
    );
    expect(promptHint({ kind: "retry" }, job({ state: "TRANSIENT_ERROR" }), null)).toBeNull();
  });

  it("leaves the forms without a hint of their own", () => {
    const target = job({ state: "ERROR" });
    expect(promptHint({ kind: "edit-url", fileIndex: 0, allowComplete: true }, target, null)).toBeNull();
    expect(promptHint({ kind: "credentials", target: "SERVER" }, target, null)).toBeNull();
    expect(promptHint({ kind: "generic" }, target, null)).toBeNull();
  });
});
