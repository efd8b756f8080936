import { describe, expect, it } from "vitest";
import type { ErrorContext } from "../src/lib/bindings/ErrorContext";
import type { JobState } from "../src/lib/bindings/JobState";
import type { JobType } from "../src/lib/bindings/JobType";
import * as codes from "../src/lib/codes";
import { choosePrompt, mismatchDigests, type Prompt } from "../src/lib/prompts";
import { file, job, jobError } from "./fixtures";

function promptFor(
  code: number,
  options: { context?: ErrorContext; state?: JobState; jobType?: JobType; fileIndex?: number | null } = {},
): Prompt | null {
  const files = [file(0, { transferred: true, bytes_transferred: 1000 }), file(1, { bytes_total: 5000, bytes_transferred: 1000 })];
  return choosePrompt(
    job({
      state: options.state ?? "ERROR",
      job_type: options.jobType ?? "DOWNLOAD",
      files,
      error: jobError(code, "X", {
        context: options.context ?? "REMOTE_FILE",
        file_index: options.fileIndex === undefined ? 1 : options.fileIndex,
      }),
    }),
    null,
  );
}

describe("error prompt chosen by code and context", () => {
  it("HTTP codes are 0x80190000 + status", () => {
    expect(codes.httpErrorCode(404)).toBe(0x80190194);
    expect(codes.httpStatusOf(0x80190197)).toBe(407);
    expect(codes.httpStatusOf(codes.E_ACCESSDENIED)).toBeNull();
  });

  it("404 and 410 edit the failing file's URL, or Complete a download with what is done", () => {
    expect(promptFor(codes.httpErrorCode(404))).toEqual({ kind: "edit-url", fileIndex: 1, allowComplete: true });
    expect(promptFor(codes.httpErrorCode(410))?.kind).toBe("edit-url");
    expect(promptFor(codes.httpErrorCode(404), { jobType: "UPLOAD" })).toMatchObject({ allowComplete: false });
  });

  it("offers Complete with what is done only once a file is done", () => {
    const nothingDone = job({
      state: "ERROR",
      files: [file(0, { bytes_total: 5000, bytes_transferred: 1000 }), file(1)],
      error: jobError(codes.httpErrorCode(404), "X", { context: "REMOTE_FILE", file_index: 0 }),
    });
    expect(choosePrompt(nothingDone, null)).toEqual({ kind: "edit-url", fileIndex: 0, allowComplete: false });
  });

  it("401 asks for server credentials and 407 for proxy credentials", () => {
    expect(promptFor(codes.httpErrorCode(401))).toEqual({ kind: "credentials", target: "SERVER" });
    expect(promptFor(codes.httpErrorCode(407))).toEqual({ kind: "credentials", target: "PROXY" });
  });

  it("403 offers the URL or credentials", () => {
    expect(promptFor(codes.httpErrorCode(403))?.kind).toBe("edit-url-or-credentials");
  });

  it("a missing or unwritable local folder asks for another folder", () => {
    expect(promptFor(codes.ERROR_PATH_NOT_FOUND, { context: "LOCAL_FILE" })?.kind).toBe("choose-folder");
    expect(promptFor(codes.E_ACCESSDENIED, { context: "LOCAL_FILE" })?.kind).toBe("choose-folder");
    expect(promptFor(codes.E_ACCESSDENIED, { context: "REMOTE_FILE" })?.kind).toBe("generic");
  });

  it("a full disk shows the bytes the unfinished files still need", () => {
    expect(promptFor(codes.ERROR_DISK_FULL, { context: "LOCAL_FILE" })).toEqual({
      kind: "disk-full",
      bytesNeeded: 4000,
    });
  });

  it("missing range support restarts the file; a missing size allows dynamic content", () => {
    expect(promptFor(codes.BG_E_INSUFFICIENT_RANGE_SUPPORT)).toEqual({ kind: "restart-file", fileIndex: 1 });
    expect(promptFor(codes.BG_E_MISSING_FILE_SIZE)?.kind).toBe("dynamic-content");
  });

  it("a certificate failure is explained, never bypassed", () => {
    expect(promptFor(codes.ERROR_WINHTTP_SECURE_FAILURE, { context: "GENERAL_TRANSPORT" })?.kind).toBe("certificate");
  });

  it("transient errors and timed-out retries offer Retry now", () => {
    expect(promptFor(codes.httpErrorCode(503), { state: "TRANSIENT_ERROR" })?.kind).toBe("retry");
    expect(promptFor(codes.ERROR_WINHTTP_CANNOT_CONNECT, { state: "ERROR" })?.kind).toBe("retry");
    expect(promptFor(codes.httpErrorCode(500), { state: "ERROR" })?.kind).toBe("retry");
    expect(promptFor(codes.httpErrorCode(501), { state: "ERROR" })?.kind).toBe("generic");
  });

  it("a job held by the bandwidth policy gets its own prompt, not Retry now", () => {
    const held = { state: "TRANSIENT_ERROR" as const, context: "GENERAL_QUEUE_MANAGER" as const, fileIndex: null };
    expect(promptFor(codes.BG_E_BLOCKED_BY_POLICY, held)).toEqual({ kind: "blocked-by-policy" });
  });

  it("uses the first unfinished file when the error names none", () => {
    expect(promptFor(codes.httpErrorCode(404), { fileIndex: null })).toMatchObject({ fileIndex: 1 });
  });

  it("shows nothing for a job without an error", () => {
    expect(choosePrompt(job({ state: "TRANSFERRING" }), null)).toBeNull();
  });

  it("a Complete whose renames failed offers to complete again", () => {
    const outcome = {
      code: codes.S_OK,
      state: "TRANSFERRED" as const,
      kept: [],
      discarded: [],
      rename_failures: [{ path: "/d/a.bin", code: codes.E_ACCESSDENIED, message: "access denied" }],
    };
    expect(choosePrompt(job({ state: "TRANSFERRED" }), outcome)).toEqual({ kind: "retry-complete", outcome });
  });

  it("a Complete that found a file under the final name asks what to do with that file", () => {
    const outcome = {
      code: codes.ERROR_FILE_EXISTS,
      state: "TRANSFERRED" as const,
      kept: [],
      discarded: [],
      rename_failures: [{ path: "/d/mydoc", code: codes.ERROR_FILE_EXISTS, message: "exists" }],
    };
    const target = job({
      state: "TRANSFERRED",
      files: [file(0, { transferred: true }), file(1, { local_path: "/d/mydoc", transferred: true })],
    });
    expect(choosePrompt(target, outcome)).toEqual({ kind: "file-exists", outcome, fileIndex: 1, path: "/d/mydoc" });
  });

  it("a checksum mismatch offers to download the file again, with both digests", () => {
    const description =
      "the downloaded bytes do not match your checksum: expected sha256:aa11, got sha256:bb22; the file was not put under its final name";
    const target = job({
      state: "ERROR",
      files: [file(0), file(1, { bytes_total: 5000, bytes_transferred: 5000 })],
      error: jobError(codes.FERRY_E_CHECKSUM_MISMATCH, "FERRY_E_CHECKSUM_MISMATCH", {
        context: "LOCAL_FILE",
        file_index: 1,
        description,
      }),
    });
    expect(choosePrompt(target, null)).toEqual({
      kind: "checksum-mismatch",
      fileIndex: 1,
      expected: "sha256:aa11",
      actual: "sha256:bb22",
    });
    expect(mismatchDigests("something else")).toEqual({ expected: null, actual: null });
  });
});
