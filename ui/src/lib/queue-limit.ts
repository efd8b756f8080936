/**
 * How close the queue is to MaxJobsPerUser, the BITS limit on one user's jobs. Jobs nobody
 * completes or cancels stay in the queue until the limit refuses new ones; near the limit the
 * window says how many jobs only wait for Complete or are in ERROR, and offers to complete the
 * ready ones at once. Each message is one whole sentence here.
 */
import type { JobInfo } from "./bindings/JobInfo";
import type { CompleteAllOutcome } from "./bindings/CompleteAllOutcome";
import type { Notice } from "./app.svelte";

/** The queue near or at its limit. */
export type QueueLimit = {
  level: "near" | "reached";
  /** Jobs in the queue. */
  total: number;
  /** MaxJobsPerUser. */
  limit: number;
  /** Jobs waiting for Complete (TRANSFERRED). */
  ready: number;
  /** Jobs in ERROR. */
  failed: number;
};

/** How many jobs below the limit count as near: 10, or a fifth of a small limit. */
export function nearMargin(limit: number): number {
  return Math.min(10, Math.floor(limit / 5));
}

/** The queue's nearness to `limit`, or null while it is far from it (or the limit unknown). */
export function queueLimit(jobs: Iterable<JobInfo>, limit: number | null | undefined): QueueLimit | null {
  if (limit === null || limit === undefined || limit <= 0) return null;
  let total = 0;
  let ready = 0;
  let failed = 0;
  for (const job of jobs) {
    total += 1;
    if (job.state === "TRANSFERRED") ready += 1;
    else if (job.state === "ERROR") failed += 1;
  }
  if (total < limit - nearMargin(limit)) return null;
  return { level: total >= limit ? "reached" : "near", total, limit, ready, failed };
}

/** The status bar's count near the limit: "58 of 60 jobs". */
export function limitCount(limit: QueueLimit): string {
  return `${limit.total} of ${limit.limit} jobs`;
}

/** The banner's first sentence. */
export function limitTitle(limit: QueueLimit): string {
  return limit.level === "reached"
    ? `The queue is full: ${limit.total} of ${limit.limit} jobs (MaxJobsPerUser). New jobs are refused until you complete or cancel some.`
    : `The queue is nearly full: ${limit.total} of ${limit.limit} jobs (MaxJobsPerUser).`;
}

/** The banner's counts. */
export function limitDetail(limit: QueueLimit): string {
  return `Waiting for Complete: ${limit.ready}. In error: ${limit.failed}.`;
}

/** What Complete all ready says it did. */
export function completeAllNotice(outcome: CompleteAllOutcome): Omit<Notice, "id"> {
  const { completed, not_completed: kept } = outcome;
  let title: string;
  if (completed === 0 && kept === 0) title = "Nothing to complete: no job is waiting for Complete.";
  else if (kept === 0) title = completed === 1 ? "Completed 1 job." : `Completed ${completed} jobs.`;
  else if (completed === 0)
    title = kept === 1 ? "1 job could not be completed." : `${kept} jobs could not be completed.`;
  else title = `Completed ${completed} jobs; ${kept} could not be completed.`;
  const detail = kept === 0 ? "" : "Their files could not be put in place. Open each job to see why.";
  return { tone: kept === 0 ? "info" : "warning", title, detail, outcome: null, paths: [] };
}
