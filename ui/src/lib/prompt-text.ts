/**
 * What an error prompt says: its title, and the hint that explains its fix. The buttons and
 * forms that carry out the fix are the prompt component's.
 */
import type { JobInfo } from "./bindings/JobInfo";
import { baseName, formatBytes, formatRetryIn } from "./format";
import type { Prompt } from "./prompts";

/** A line that explains a fix; `testid` marks the ones tests read. */
export type PromptHint = { text: string; testid?: string };

/** The name of file `fileIndex` of `job`, or "the file" when the job has no such file. */
export function promptFileName(job: JobInfo, fileIndex: number | null): string {
  const file = job.files.find((f) => f.index === fileIndex);
  return file ? baseName(file.local_path) : "the file";
}

/** Each kind's heading; `promptTitle` words two of them by case. */
const TITLES: Record<Prompt["kind"], string> = {
  "edit-url": "The file is not on the server",
  credentials: "The server asks for credentials",
  "edit-url-or-credentials": "The server refused access",
  "choose-folder": "The destination folder cannot be written",
  "disk-full": "The disk is full",
  "restart-file": "The server cannot resume this file",
  "web-page": "The server sent a web page instead of the file",
  "checksum-mismatch": "The file does not match its checksum",
  "dynamic-content": "The server does not say how big the file is",
  certificate: "The server's certificate could not be verified",
  "blocked-by-policy": "Held by the bandwidth policy",
  retry: "The transfer gave up",
  "retry-complete": "Some files could not be moved into place",
  "file-exists": "A file with that name already exists",
  generic: "The transfer stopped",
};

/** The prompt's heading. */
export function promptTitle(prompt: Prompt, job: JobInfo): string {
  if (prompt.kind === "credentials" && prompt.target === "PROXY") return "The proxy asks for credentials";
  if (prompt.kind === "retry" && job.state === "TRANSIENT_ERROR") return "Waiting to retry";
  return TITLES[prompt.kind];
}

/**
 * The hint under a prompt's one-step fix, or null when it needs none (the forms explain
 * themselves, and the folder prompt shows the folder itself).
 */
export function promptHint(prompt: Prompt, job: JobInfo, retryInMs: number | null): PromptHint | null {
  switch (prompt.kind) {
    case "disk-full": {
      const text =
        prompt.bytesNeeded === null
          ? "The unfinished files need more space than is free (their size is not known yet). Free some space, then retry."
          : `The unfinished files need ${formatBytes(prompt.bytesNeeded)} more. Free that much space, then retry.`;
      return { text, testid: "space-needed" };
    }
    case "restart-file":
      return {
        text:
          "The server sent the whole file again instead of the missing part. Ferry never mixes two versions " +
          `of a file, so ${promptFileName(job, prompt.fileIndex)} has to start again from the beginning.`,
      };
    case "web-page": {
      const name = promptFileName(job, prompt.fileIndex);
      return {
        text: prompt.firstAnswer
          ? `${name} is not a web page, but the server answered with one: often an error, an expired link or a ` +
            "sign-in page. Open it to see what the server says, change the URL, or download the page anyway."
          : `The part of ${name} already downloaded is kept. Open the page to see what the server says (an ` +
            "expired link, a sign-in page), then change the URL, or restart the file from the beginning.",
        testid: "web-page-hint",
      };
    }
    case "checksum-mismatch":
      return {
        text:
          `${promptFileName(job, prompt.fileIndex)} arrived, but its bytes are not the expected ones: it was ` +
          "damaged on the way or changed on the server, so it was not put in place. Download it again, or " +
          "complete the job without it.",
        testid: "checksum-mismatch-hint",
      };
    case "dynamic-content":
      return {
        text:
          "Allowing dynamic content downloads files whose size the server does not report. If the transfer " +
          "is interrupted it starts again from the first byte.",
      };
    case "certificate": {
      const protocol = job.error?.protocol ? ` (${job.error.protocol})` : "";
      return {
        text:
          "The connection is not safe, so Ferry does not send or receive anything. Ask the server's owner " +
          `to fix its certificate${protocol}, then resume. There is no way to skip this check.`,
      };
    }
    case "blocked-by-policy":
      return {
        text:
          "The bandwidth policy (MaxInternetBandwidth) lets background jobs transfer nothing at this time of " +
          "day. This job resumes by itself when the window ends or the policy changes. FOREGROUND jobs are " +
          "never limited.",
      };
    case "retry":
      if (job.state === "TRANSIENT_ERROR" && retryInMs !== null) {
        return { text: `Ferry is ${formatRetryIn(retryInMs)}.`, testid: "retry-in" };
      }
      return job.state === "ERROR" ? { text: "It made no progress for too long (no-progress timeout)." } : null;
    case "retry-complete":
      return { text: "Close programs that use these files or free their folder, then complete again." };
    case "file-exists":
      return {
        text:
          `${baseName(prompt.path)} is already in its folder and was left as it is. Replace it with the ` +
          "download, keep both (the download gets a numbered name), or choose another name.",
        testid: "file-exists-hint",
      };
    default:
      return null;
  }
}
