/**
 * Sorting and filtering of the job list. Pure functions of the jobs and the user's choices.
 */
import type { JobInfo } from "./bindings/JobInfo";
import type { JobState } from "./bindings/JobState";
import type { Priority } from "./bindings/Priority";
import { progressFraction } from "./format";

/** A state filter: every job, a group of states, or one state. */
export type StateFilter = "ALL" | "ACTIVE" | "ATTENTION" | "READY_OR_FAILED" | JobState;

/** The state filters offered, in menu order, with the catalogue ids of their labels. */
export const STATE_FILTERS: ReadonlyArray<{ value: StateFilter; label: string }> = [
  { value: "ALL", label: "stateFilter.ALL" },
  { value: "ACTIVE", label: "stateFilter.ACTIVE" },
  { value: "ATTENTION", label: "stateFilter.ATTENTION" },
  { value: "READY_OR_FAILED", label: "stateFilter.READY_OR_FAILED" },
  { value: "QUEUED", label: "stateFilter.QUEUED" },
  { value: "CONNECTING", label: "stateFilter.CONNECTING" },
  { value: "TRANSFERRING", label: "stateFilter.TRANSFERRING" },
  { value: "SUSPENDED", label: "stateFilter.SUSPENDED" },
  { value: "TRANSIENT_ERROR", label: "stateFilter.TRANSIENT_ERROR" },
  { value: "ERROR", label: "stateFilter.ERROR" },
  { value: "TRANSFERRED", label: "stateFilter.TRANSFERRED" },
];

const ACTIVE: ReadonlySet<JobState> = new Set(["QUEUED", "CONNECTING", "TRANSFERRING"]);
const ATTENTION: ReadonlySet<JobState> = new Set(["ERROR", "TRANSIENT_ERROR", "TRANSFERRED"]);

/** Whether a job passes the state filter. */
export function matchesState(job: JobInfo, filter: StateFilter): boolean {
  if (filter === "ALL") return true;
  if (filter === "ACTIVE") return ACTIVE.has(job.state);
  if (filter === "ATTENTION") return ATTENTION.has(job.state);
  if (filter === "READY_OR_FAILED") return job.state === "TRANSFERRED" || job.state === "ERROR";
  return job.state === filter;
}

/** Whether a job matches the search text (name, description, URLs, local paths; any case). */
export function matchesText(job: JobInfo, text: string): boolean {
  const needle = text.trim().toLowerCase();
  if (needle.length === 0) return true;
  if (job.settings.display_name.toLowerCase().includes(needle)) return true;
  if (job.settings.description.toLowerCase().includes(needle)) return true;
  return job.files.some(
    (file) =>
      file.remote_url.toLowerCase().includes(needle) ||
      file.local_path.toLowerCase().includes(needle),
  );
}

/** Columns the list can be sorted by. */
export type SortKey = "name" | "type" | "state" | "progress" | "size" | "priority" | "created";

/** A sort: column and direction. */
export type Sort = { key: SortKey; ascending: boolean };

const STATE_ORDER: Record<JobState, number> = {
  ERROR: 0,
  TRANSIENT_ERROR: 1,
  TRANSFERRING: 2,
  CONNECTING: 3,
  QUEUED: 4,
  SUSPENDED: 5,
  TRANSFERRED: 6,
  ACKNOWLEDGED: 7,
  CANCELLED: 8,
};

const PRIORITY_ORDER: Record<Priority, number> = { FOREGROUND: 0, HIGH: 1, NORMAL: 2, LOW: 3 };

function fractionOf(job: JobInfo): number {
  const done = job.progress.files_total > 0 && job.progress.files_transferred === job.progress.files_total;
  return progressFraction(job.progress.bytes_transferred, job.progress.bytes_total, done) ?? -1;
}

function compare(a: JobInfo, b: JobInfo, key: SortKey): number {
  switch (key) {
    case "name":
      return a.settings.display_name.localeCompare(b.settings.display_name, undefined, {
        sensitivity: "base",
        numeric: true,
      });
    case "type":
      return a.job_type.localeCompare(b.job_type);
    case "state":
      return STATE_ORDER[a.state] - STATE_ORDER[b.state];
    case "progress":
      return fractionOf(a) - fractionOf(b);
    case "size":
      return (a.progress.bytes_total ?? -1) - (b.progress.bytes_total ?? -1);
    case "priority":
      return PRIORITY_ORDER[a.settings.priority] - PRIORITY_ORDER[b.settings.priority];
    case "created":
      return a.times.created - b.times.created;
  }
}

/**
 * The jobs to show: filtered by state and text, then sorted. Ties fall back to creation time,
 * then id, so rows never swap places on equal keys.
 */
export function visibleJobs(
  jobs: Iterable<JobInfo>,
  state: StateFilter,
  text: string,
  sort: Sort,
): JobInfo[] {
  const shown: JobInfo[] = [];
  for (const job of jobs) {
    if (matchesState(job, state) && matchesText(job, text)) shown.push(job);
  }
  const direction = sort.ascending ? 1 : -1;
  shown.sort(
    (a, b) =>
      direction * compare(a, b, sort.key) ||
      a.times.created - b.times.created ||
      a.id.localeCompare(b.id),
  );
  return shown;
}

/** The next sort when a column header is chosen: same column flips, a new one starts ascending. */
export function toggleSort(current: Sort, key: SortKey): Sort {
  return current.key === key ? { key, ascending: !current.ascending } : { key, ascending: true };
}
