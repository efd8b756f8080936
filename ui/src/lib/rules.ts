/**
 * Which verbs a job offers in its current state, by the BITS rules (bits-spec.md §1.3, §2).
 * The engine still decides; these only keep the window from offering what it would refuse.
 */
import type { FileInfo } from "./bindings/FileInfo";
import type { JobInfo } from "./bindings/JobInfo";
import type { JobState } from "./bindings/JobState";
import type { JobType } from "./bindings/JobType";

/** ACKNOWLEDGED and CANCELLED: nothing can be done to the job any more. */
export function isFinal(state: JobState): boolean {
  return state === "ACKNOWLEDGED" || state === "CANCELLED";
}

/** Downloads complete in any non-final state; uploads only once TRANSFERRED. */
export function canComplete(jobType: JobType, state: JobState): boolean {
  if (isFinal(state)) return false;
  return jobType === "DOWNLOAD" || state === "TRANSFERRED";
}

/** Completing a download that is not TRANSFERRED keeps only the finished files: ask first. */
export function completeNeedsConfirmation(jobType: JobType, state: JobState): boolean {
  return jobType === "DOWNLOAD" && canComplete(jobType, state) && state !== "TRANSFERRED";
}

/** Cancel works in every non-final state. */
export function canCancel(state: JobState): boolean {
  return !isFinal(state);
}

/** Suspend is offered while the job is waiting, moving, or about to retry. */
export function canSuspend(state: JobState): boolean {
  return (
    state === "QUEUED" ||
    state === "CONNECTING" ||
    state === "TRANSFERRING" ||
    state === "TRANSIENT_ERROR"
  );
}

/** Resume is offered for a suspended or failed job that has files to transfer. */
export function canResume(state: JobState, filesTotal: number): boolean {
  return filesTotal > 0 && (state === "SUSPENDED" || state === "ERROR");
}

/** Setters (priority, names, credentials, ...) work in every non-final state. */
export function canEdit(state: JobState): boolean {
  return !isFinal(state);
}

/** What Complete would do to a download's files right now. */
export type CompletePlan = { kept: FileInfo[]; discarded: FileInfo[] };

/** Fully transferred files are kept; partial and not-started ones are discarded (§2). */
export function completePlan(job: JobInfo): CompletePlan {
  const kept = job.files.filter((file) => file.transferred);
  const discarded = job.files.filter((file) => !file.transferred);
  return { kept, discarded };
}

/** True while bytes may be moving, so speed and ETA mean something. */
export function isMoving(state: JobState): boolean {
  return state === "CONNECTING" || state === "TRANSFERRING";
}
