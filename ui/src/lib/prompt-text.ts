/**
 * What an error prompt says: its title, and the hint that explains its fix. The buttons and
 * forms that carry out the fix are the prompt component's.
 */
import type { JobInfo } from "./bindings/JobInfo";
import { baseName, formatBytes, formatDuration } from "./format";
import { t, tv } from "./i18n";
import type { Prompt } from "./prompts";

/** A line that explains a fix; `testid` marks the ones tests read. */
export type PromptHint = { text: string; testid?: string };

/** The name of file `fileIndex` of `job`, or "the file" when the job has no such file. */
export function promptFileName(job: JobInfo, fileIndex: number | null): string {
  const file = job.files.find((f) => f.index === fileIndex);
  return file ? baseName(file.local_path) : t("prompt.theFile");
}

/** The catalogue id of each kind's heading; `promptTitle` words two of them by case. */
const TITLES: Record<Prompt["kind"], string> = {
  "edit-url": "prompt.title_editUrl",
  credentials: "prompt.title_credentials",
  "edit-url-or-credentials": "prompt.title_refused",
  "choose-folder": "prompt.title_chooseFolder",
  "disk-full": "prompt.title_diskFull",
  "restart-file": "prompt.title_restartFile",
  "web-page": "prompt.title_webPage",
  "checksum-mismatch": "prompt.title_checksumMismatch",
  "dynamic-content": "prompt.title_dynamicContent",
  certificate: "prompt.title_certificate",
  "blocked-by-policy": "prompt.title_blockedByPolicy",
  retry: "prompt.title_retry",
  "retry-complete": "prompt.title_retryComplete",
  "file-exists": "prompt.title_fileExists",
  generic: "prompt.title_generic",
};

/** The prompt's heading. */
export function promptTitle(prompt: Prompt, job: JobInfo): string {
  if (prompt.kind === "credentials" && prompt.target === "PROXY") return t("prompt.title_proxy");
  if (prompt.kind === "retry" && job.state === "TRANSIENT_ERROR") return t("prompt.title_waiting");
  return t(TITLES[prompt.kind]);
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
          ? t("prompt.diskUnknown")
          : tv("prompt.diskKnown", { size: formatBytes(prompt.bytesNeeded) });
      return { text, testid: "space-needed" };
    }
    case "restart-file":
      return {
        text: tv("prompt.restart", { name: promptFileName(job, prompt.fileIndex) }),
      };
    case "web-page": {
      const name = promptFileName(job, prompt.fileIndex);
      return {
        text: prompt.firstAnswer ? tv("prompt.webPageFirst", { name }) : tv("prompt.webPageLater", { name }),
        testid: "web-page-hint",
      };
    }
    case "checksum-mismatch":
      return {
        text: tv("prompt.checksum", { name: promptFileName(job, prompt.fileIndex) }),
        testid: "checksum-mismatch-hint",
      };
    case "dynamic-content":
      return {
        text: t("prompt.dynamic"),
      };
    case "certificate": {
      const protocol = job.error?.protocol;
      return {
        text: protocol ? tv("prompt.certificateHintProtocol", { protocol }) : t("prompt.certificateHint"),
      };
    }
    case "blocked-by-policy":
      return {
        text: t("prompt.policy"),
      };
    case "retry":
      if (job.state === "TRANSIENT_ERROR" && retryInMs !== null) {
        const text =
          retryInMs <= 0
            ? t("prompt.retryingNow")
            : tv("prompt.retryingIn", { time: formatDuration(retryInMs / 1000) });
        return { text, testid: "retry-in" };
      }
      return job.state === "ERROR" ? { text: t("prompt.noProgress") } : null;
    case "retry-complete":
      return { text: t("prompt.retryComplete") };
    case "file-exists":
      return {
        text: tv("prompt.fileExists", { name: baseName(prompt.path) }),
        testid: "file-exists-hint",
      };
    default:
      return null;
  }
}
