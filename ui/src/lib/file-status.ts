/**
 * What the details pane says about one file of a job: done, moving, waiting, or waiting to
 * retry with the time left (a file whose failure Ferry retries by itself is not "Failed").
 */
import type { FileInfo } from "./bindings/FileInfo";
import type { JobInfo } from "./bindings/JobInfo";
import { formatDuration } from "./format";
import { t, tv } from "./i18n";
import { isMoving } from "./rules";

/** The file's state in words; `retryInMs` is the live countdown of a job in TRANSIENT_ERROR. */
export function fileStatus(job: JobInfo, file: FileInfo, retryInMs: number | null): string {
  if (file.completed) return t("fileStatus.completed");
  if (file.transferred) return t("fileStatus.transferred");
  if (job.error?.file_index === file.index) {
    if (job.state === "TRANSIENT_ERROR") return waitingToRetry(retryInMs);
    if (job.state === "ERROR") return t("fileStatus.failed");
  }
  if (file.bytes_transferred > 0) return isMoving(job.state) ? t("fileStatus.transferring") : t("fileStatus.partial");
  return t("fileStatus.waiting");
}

function waitingToRetry(retryInMs: number | null): string {
  if (retryInMs === null) return t("fileStatus.waitingToRetry");
  if (retryInMs <= 0) return t("fileStatus.retryingNow");
  return tv("fileStatus.waitingToRetryIn", { time: formatDuration(retryInMs / 1000) });
}

/**
 * How long until Ferry retries job `job` by itself, counted down from when its state arrived
 * (`receivedAt`) to `now`; null when it is not waiting to retry.
 */
export function retryCountdownMs(job: JobInfo, now: number, receivedAt: number): number | null {
  if (job.retry_in_ms === null) return null;
  return Math.max(0, job.retry_in_ms - Math.max(0, now - receivedAt));
}

/** The job list's ETA cell for a job waiting to retry: "in 12 s", then "now". */
export function retryShort(retryInMs: number): string {
  return retryInMs <= 0 ? t("fileStatus.retryNow") : tv("fileStatus.retryIn", { time: formatDuration(retryInMs / 1000) });
}
