/**
 * Which error-resolution prompt a job needs, chosen by the error's code and context (never by
 * its text). Each prompt offers the fix, then Resume; a job held by the bandwidth policy needs
 * no Resume, since the engine releases it as soon as it runs as FOREGROUND.
 */
import type { JobError } from "./bindings/JobError";
import type { JobInfo } from "./bindings/JobInfo";
import type { CompleteOutcome } from "./shell-types";
import {
  BG_E_BLOCKED_BY_POLICY,
  BG_E_INSUFFICIENT_HTTP_SUPPORT,
  BG_E_INSUFFICIENT_RANGE_SUPPORT,
  BG_E_MISSING_FILE_SIZE,
  BG_E_NETWORK_DISCONNECTED,
  E_ACCESSDENIED,
  ERROR_DISK_FULL,
  ERROR_FILE_EXISTS,
  ERROR_PATH_NOT_FOUND,
  ERROR_WINHTTP_CANNOT_CONNECT,
  ERROR_WINHTTP_CONNECTION_ERROR,
  ERROR_WINHTTP_NAME_NOT_RESOLVED,
  ERROR_WINHTTP_SECURE_FAILURE,
  ERROR_WINHTTP_TIMEOUT,
  FERRY_E_CHECKSUM_MISMATCH,
  FERRY_E_WEB_PAGE_INSTEAD_OF_FILE,
  httpStatusOf,
} from "./codes";

/** The prompt to show, with what it needs to know. */
export type Prompt =
  /** 404 / 410: the URL is wrong; edit it, or keep what is done (downloads with a finished file). */
  | { kind: "edit-url"; fileIndex: number; allowComplete: boolean }
  /** 401 / 407: credentials for the server or the proxy. */
  | { kind: "credentials"; target: "SERVER" | "PROXY" }
  /** 403: the URL or the credentials are wrong. */
  | { kind: "edit-url-or-credentials"; fileIndex: number }
  /** The destination folder is missing or not writable. */
  | { kind: "choose-folder" }
  /** The disk is full; `bytesNeeded` is what the unfinished files still need, when known. */
  | { kind: "disk-full"; bytesNeeded: number | null }
  /** The server ignored a range request on resume: start that file again. */
  | { kind: "restart-file"; fileIndex: number }
  /**
   * The server sent a web page instead of the file: open it in the browser, change the URL,
   * restart the file; `firstAnswer` (nothing of the file on disk yet: the page came first) also
   * offers to download the page anyway.
   */
  | { kind: "web-page"; fileIndex: number; firstAnswer: boolean }
  /**
   * The downloaded bytes do not match the expected checksum (the user's or the server's
   * digest): download the file again, or Complete without it. The digests are read from the
   * error's description; null where it does not name them.
   */
  | { kind: "checksum-mismatch"; fileIndex: number; expected: string | null; actual: string | null }
  /** The server sends no size: accept dynamic content. */
  | { kind: "dynamic-content" }
  /** The server's certificate failed: explain, no bypass. */
  | { kind: "certificate" }
  /** The bandwidth policy gives background jobs nothing now: wait, or run it as FOREGROUND. */
  | { kind: "blocked-by-policy" }
  /** A network hiccup, or retries ran out (no-progress timeout): retry now. */
  | { kind: "retry" }
  /** Complete could not rename some files into place: fix the cause, Complete again. */
  | { kind: "retry-complete"; outcome: CompleteOutcome }
  /**
   * Complete found a file under a final name and left it alone: Replace it, Keep both (the
   * download as "name (2).ext") or Choose a name, then Complete again.
   */
  | { kind: "file-exists"; outcome: CompleteOutcome; fileIndex: number; path: string }
  /** Anything else: show what happened, offer Resume. */
  | { kind: "generic" };

/** Codes of failures that go away by themselves (network, server busy). */
const TRANSIENT_CODES: ReadonlySet<number> = new Set([
  BG_E_NETWORK_DISCONNECTED,
  ERROR_WINHTTP_TIMEOUT,
  ERROR_WINHTTP_NAME_NOT_RESOLVED,
  ERROR_WINHTTP_CANNOT_CONNECT,
  ERROR_WINHTTP_CONNECTION_ERROR,
]);

/** The bits-spec §10.13 rule for HTTP statuses that are worth retrying. */
function isTransientHttpStatus(status: number): boolean {
  if (status >= 500) return status !== 501 && status !== 505;
  if (status >= 400) return status === 408 || status === 409 || status === 429;
  return false;
}

function failingFile(error: JobError, job: JobInfo): number {
  if (error.file_index !== null) return error.file_index;
  const unfinished = job.files.find((file) => !file.transferred);
  return unfinished?.index ?? 0;
}

/**
 * The two digests of a checksum mismatch as the engine words it ("… expected sha256:…, got
 * sha256:…; …"); null for one the description does not name.
 */
export function mismatchDigests(description: string): { expected: string | null; actual: string | null } {
  const digest = "([A-Za-z0-9-]+:[0-9a-fA-F]+)";
  return {
    expected: new RegExp(`expected ${digest}`).exec(description)?.[1] ?? null,
    actual: new RegExp(`got ${digest}`).exec(description)?.[1] ?? null,
  };
}

/** Bytes the files not yet transferred still need, or null when a size is unknown. */
export function bytesStillNeeded(job: JobInfo): number | null {
  let needed = 0;
  for (const file of job.files) {
    if (file.transferred) continue;
    if (file.bytes_total === null) return null;
    needed += Math.max(0, file.bytes_total - file.bytes_transferred);
  }
  return needed;
}

/**
 * The prompt for a job, or null when it needs none. A Complete whose renames failed wins over
 * the job's error, since that is what the user just tried.
 */
export function choosePrompt(job: JobInfo, renameFailure: CompleteOutcome | null): Prompt | null {
  if (renameFailure && renameFailure.rename_failures.length > 0 && job.state === "TRANSFERRED") {
    const exists = renameFailure.rename_failures.find((f) => f.code === ERROR_FILE_EXISTS);
    const file = exists && job.files.find((f) => f.local_path === exists.path && !f.completed);
    if (exists && file) {
      return { kind: "file-exists", outcome: renameFailure, fileIndex: file.index, path: exists.path };
    }
    return { kind: "retry-complete", outcome: renameFailure };
  }
  const error = job.error;
  if (!error || (job.state !== "ERROR" && job.state !== "TRANSIENT_ERROR")) return null;
  const code = error.code;
  const status = httpStatusOf(code);

  if (status === 404 || status === 410) {
    return {
      kind: "edit-url",
      fileIndex: failingFile(error, job),
      // Complete keeps only fully transferred files: offered once one is.
      allowComplete: job.job_type === "DOWNLOAD" && job.files.some((file) => file.transferred),
    };
  }
  if (status === 401) return { kind: "credentials", target: "SERVER" };
  if (status === 407) return { kind: "credentials", target: "PROXY" };
  if (status === 403) return { kind: "edit-url-or-credentials", fileIndex: failingFile(error, job) };
  if (code === ERROR_PATH_NOT_FOUND || (code === E_ACCESSDENIED && error.context === "LOCAL_FILE")) {
    return { kind: "choose-folder" };
  }
  if (code === ERROR_DISK_FULL) return { kind: "disk-full", bytesNeeded: bytesStillNeeded(job) };
  if (code === BG_E_INSUFFICIENT_RANGE_SUPPORT) {
    return { kind: "restart-file", fileIndex: failingFile(error, job) };
  }
  if (code === FERRY_E_WEB_PAGE_INSTEAD_OF_FILE) {
    const fileIndex = failingFile(error, job);
    const file = job.files.find((f) => f.index === fileIndex);
    return { kind: "web-page", fileIndex, firstAnswer: (file?.bytes_transferred ?? 0) === 0 };
  }
  if (code === FERRY_E_CHECKSUM_MISMATCH) {
    return { kind: "checksum-mismatch", fileIndex: failingFile(error, job), ...mismatchDigests(error.description) };
  }
  if (code === BG_E_MISSING_FILE_SIZE || code === BG_E_INSUFFICIENT_HTTP_SUPPORT) {
    return { kind: "dynamic-content" };
  }
  if (code === ERROR_WINHTTP_SECURE_FAILURE) return { kind: "certificate" };
  if (code === BG_E_BLOCKED_BY_POLICY) return { kind: "blocked-by-policy" };
  if (
    job.state === "TRANSIENT_ERROR" ||
    TRANSIENT_CODES.has(code) ||
    (status !== null && isTransientHttpStatus(status))
  ) {
    return { kind: "retry" };
  }
  return { kind: "generic" };
}
