/**
 * Sorting and filtering of the job list. Pure functions of the jobs and the user's choices.
 */
import type { JobId } from "./bindings/JobId";
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

/**
 * What the search looks in, lower-cased once per job snapshot: a job that changes is a new
 * object, so its text is made again, and typing over 10,000 jobs lower-cases nothing.
 */
const searchTexts = new WeakMap<JobInfo, string[]>();

function searchTextOf(job: JobInfo): string[] {
  let texts = searchTexts.get(job);
  if (!texts) {
    texts = [job.settings.display_name, job.settings.description];
    for (const file of job.files) texts.push(file.remote_url, file.local_path);
    texts = texts.map((text) => text.toLowerCase());
    searchTexts.set(job, texts);
  }
  return texts;
}

/** Whether a job matches the search text (name, description, URLs, local paths; any case). */
export function matchesText(job: JobInfo, text: string): boolean {
  const needle = text.trim().toLowerCase();
  if (needle.length === 0) return true;
  return searchTextOf(job).some((candidate) => candidate.includes(needle));
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
 * Every job in the order of `sort`. Ties fall back to creation time, then id, so rows never
 * swap places on equal keys.
 */
export function sortJobs(jobs: Iterable<JobInfo>, sort: Sort): JobInfo[] {
  const sorted = [...jobs];
  const direction = sort.ascending ? 1 : -1;
  sorted.sort(
    (a, b) =>
      direction * compare(a, b, sort.key) ||
      a.times.created - b.times.created ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  return sorted;
}

/** Whether the order of `sort` follows the jobs' progress (so a progress batch can change it). */
export function sortFollowsProgress(sort: Sort): boolean {
  return sort.key === "progress" || sort.key === "size";
}

/** The ids of the jobs of `sorted` that pass the state filter and the search text, in order. */
export function filterJobs(sorted: readonly JobInfo[], state: StateFilter, text: string): JobId[] {
  const shown: JobId[] = [];
  const searching = text.trim().length > 0;
  for (const job of sorted) {
    if (matchesState(job, state) && (!searching || matchesText(job, text))) shown.push(job.id);
  }
  return shown;
}

/** The jobs to show: filtered by state and text, then sorted (see [`sortJobs`]). */
export function visibleJobs(
  jobs: Iterable<JobInfo>,
  state: StateFilter,
  text: string,
  sort: Sort,
): JobInfo[] {
  return sortJobs(jobs, sort).filter((job) => matchesState(job, state) && matchesText(job, text));
}

/** The next sort when a column header is chosen: same column flips, a new one starts ascending. */
export function toggleSort(current: Sort, key: SortKey): Sort {
  return current.key === key ? { key, ascending: !current.ascending } : { key, ascending: true };
}
