/**
 * The queue in a few numbers for the status bar and the window's clock: which jobs move, how
 * many need attention, wait for Complete or wait to retry. Counted again only when a job came,
 * left or changed state, never on a progress batch.
 */
import type { JobId } from "./bindings/JobId";
import type { JobInfo } from "./bindings/JobInfo";
import { isMoving } from "./rules";

/** Counts of the queue by kind of state. */
export type QueueTotals = {
  /** Jobs whose bytes move (CONNECTING, TRANSFERRING), for the combined speed. */
  moving: JobId[];
  /** Jobs in ERROR or TRANSIENT_ERROR. */
  attention: number;
  /** Jobs waiting for Complete (TRANSFERRED). */
  ready: number;
  /** Jobs waiting to retry by themselves (TRANSIENT_ERROR), whose countdowns age. */
  retrying: number;
};

/** The totals of `jobs`. */
export function queueTotals(jobs: Iterable<JobInfo>): QueueTotals {
  const totals: QueueTotals = { moving: [], attention: 0, ready: 0, retrying: 0 };
  for (const job of jobs) {
    if (isMoving(job.state)) totals.moving.push(job.id);
    else if (job.state === "ERROR") totals.attention += 1;
    else if (job.state === "TRANSIENT_ERROR") {
      totals.attention += 1;
      totals.retrying += 1;
    } else if (job.state === "TRANSFERRED") totals.ready += 1;
  }
  return totals;
}

/** Whether anything on screen ages with the clock: a speed, an ETA or a retry countdown. */
export function somethingAges(totals: QueueTotals): boolean {
  return totals.moving.length > 0 || totals.retrying > 0;
}
