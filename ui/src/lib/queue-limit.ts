/**
 * How close the queue is to MaxJobsPerUser, the BITS limit on one user's jobs. Jobs nobody
 * completes or cancels stay in the queue until the limit refuses new ones; near the limit the
 * window says how many jobs only wait for Complete or are in ERROR, and offers to complete the
 * ready ones at once. Each message is one whole sentence here.
 */
import type { JobInfo } from "./bindings/JobInfo";
import type { CompleteAllOutcome } from "./bindings/CompleteAllOutcome";
import type { Notice } from "./app.svelte";
import { t, tv } from "./i18n";

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
  return tv("queueLimit.count", { total: limit.total, limit: limit.limit });
}

/** The banner's first sentence. */
export function limitTitle(limit: QueueLimit): string {
  const values = { total: limit.total, limit: limit.limit };
  return tv(limit.level === "reached" ? "queueLimit.full" : "queueLimit.nearlyFull", values);
}

/** The banner's counts. */
export function limitDetail(limit: QueueLimit): string {
  return tv("queueLimit.detail", { ready: limit.ready, failed: limit.failed });
}

/** What Complete all ready says it did. */
export function completeAllNotice(outcome: CompleteAllOutcome): Omit<Notice, "id"> {
  const { completed, not_completed: kept } = outcome;
  let title: string;
  if (completed === 0 && kept === 0) title = t("queueLimit.nothing");
  else if (kept === 0) title = tv("queueLimit.completed", { count: completed });
  else if (completed === 0) title = tv("queueLimit.notCompleted", { count: kept });
  else title = tv("queueLimit.someNotCompleted", { completed, kept });
  const detail = kept === 0 ? "" : t("queueLimit.notCompletedDetail");
  return { tone: kept === 0 ? "info" : "warning", title, detail, outcome: null, paths: [] };
}
