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
