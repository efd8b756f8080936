/**
 * The job store: the snapshot from `subscribe_jobs`, kept current by the engine's events.
 *
 * Events are queued as they arrive and applied together once per animation frame, so a burst of
 * lifecycle events and progress batches costs one update of the window. Jobs are keyed by id;
 * a removed job is gone, progress for a job the store does not know is ignored, and a resent
 * snapshot (after the window fell behind) replaces everything. The store
 * follows Svelte's store contract (`subscribe`), so components read it as `$jobs`.
 *
 * Each view says what kind of change it brings: `listVersion` grows when a job came, left or
 * changed anything but its progress (what the list's order and filters read), `progressVersion`
 * when only bytes moved. So the window sorts and filters 10,000 jobs again only when their
 * order or membership can have changed, not on every progress batch.
 *
 * Before the snapshot, a preview may show the queue's first jobs (`preview`), so the list
 * paints its first rows while every job is on its way; the snapshot replaces it.
 */
import type { FileBytes } from "./bindings/FileBytes";
import type { FileInfo } from "./bindings/FileInfo";
import type { JobId } from "./bindings/JobId";
import type { JobInfo } from "./bindings/JobInfo";
import type { ProgressEntry } from "./bindings/ProgressEntry";
import type { UiEvent } from "./shell-types";
import { JobsById } from "./jobs-by-id";
import { isMoving } from "./rules";
import { SpeedMeter } from "./speed";

/** What subscribers see: every job by id, plus when each was last heard of. */
export type JobsView = {
  /** Jobs by id, in the order they were first seen. */
  readonly byId: ReadonlyMap<JobId, JobInfo>;
  /** Local clock reading (ms) when each job's snapshot arrived; for countdowns like retry_in_ms. */
  readonly receivedAt: ReadonlyMap<JobId, number>;
  /** Whether the first snapshot has arrived (before it, `byId` holds at most a preview). */
  readonly loaded: boolean;
  /** How many jobs the queue holds: `byId.size` once loaded, the announced count in a preview. */
  readonly total: number;
  /** Grows by one with every applied change. */
  readonly version: number;
  /** Grows when a job was added or removed or changed anything but its progress. */
  readonly listVersion: number;
  /** Grows when a job's progress changed. */
  readonly progressVersion: number;
};

/** Schedules a callback before the next repaint; returns nothing. */
export type FrameScheduler = (callback: () => void) => void;

/** The default frame scheduler: the browser's animation frame, or a macrotask without one. */
export const nextFrame: FrameScheduler = (callback) => {
  if (typeof requestAnimationFrame === "function") requestAnimationFrame(() => callback());
  else setTimeout(callback, 16);
};

/** Resolves once the next frame has been painted. */
export function afterNextPaint(): Promise<void> {
  return new Promise((resolve) => nextFrame(() => setTimeout(resolve, 0)));
}

/** Moved jobs kept apart from the others at most; more are folded in (one copy of them all). */
const MAX_MOVED = 256;

/** A monotonic clock in milliseconds. */
export type Clock = () => number;

const monotonic: Clock = () => performance.now();

/** Live jobs: snapshot + deltas keyed by job id, coalesced per animation frame. */
export class JobStore {
  /** Every job as of the last change of the list. */
  private jobs = new Map<JobId, JobInfo>();
  /** Jobs whose progress moved since, by id (see [`JobsById`]). */
  private moved = new Map<JobId, JobInfo>();
  private received = new Map<JobId, number>();
  private loaded = false;
  /** The queue's size a preview announced, until the snapshot arrives. */
  private previewTotal = 0;
  private version = 0;
  private listVersion = 0;
  private progressVersion = 0;
  /** Changes since the last publish, by kind. */
  private listChanged = false;
  private progressChanged = false;
  /** True while the maps are those of the published view: the next write copies them first. */
  private jobsShared = false;
  private movedShared = false;
  private receivedShared = false;
  private pending: UiEvent[] = [];
  private frameRequested = false;
  private readonly subscribers = new Set<(view: JobsView) => void>();
  private view: JobsView;
  /** Speed of each job over a sliding window, fed by progress events. */
  readonly speed = new SpeedMeter();

  constructor(
    private readonly schedule: FrameScheduler = nextFrame,
    private readonly clock: Clock = monotonic,
  ) {
    this.view = this.makeView();
  }

  /** Svelte store contract: calls `run` now and after every applied change. */
  subscribe(run: (view: JobsView) => void): () => void {
    this.subscribers.add(run);
    run(this.view);
    return () => {
      this.subscribers.delete(run);
    };
  }

  /** The current view. */
  current(): JobsView {
    return this.view;
  }

  /** One job, if the store knows it. */
  get(id: JobId): JobInfo | undefined {
    return this.moved.get(id) ?? this.jobs.get(id);
  }

  /**
   * Replaces everything with a snapshot, then applies the events that arrived before it
   * (they describe changes at least as new as the snapshot).
   */
  load(snapshot: readonly JobInfo[]): void {
    const now = this.clock();
    this.jobs = new Map();
    this.moved = new Map();
    this.received = new Map();
    for (const job of snapshot) {
      this.jobs.set(job.id, job);
      this.received.set(job.id, now);
      if (isMoving(job.state)) this.speed.record(job.id, job.progress.bytes_transferred, now);
    }
    this.jobsShared = false;
    this.movedShared = false;
    this.receivedShared = false;
    this.listChanged = true;
    this.loaded = true;
    const queued = this.pending;
    this.pending = [];
    for (const event of queued) this.apply(event, now);
    this.publish();
  }

  /**
   * Shows the queue's first jobs until the snapshot arrives; `total` is how many jobs the
   * queue holds. Does nothing once the snapshot is loaded. Events wait for the snapshot.
   */
  preview(first: readonly JobInfo[], total: number): void {
    if (this.loaded) return;
    const now = this.clock();
    this.jobs = new Map(first.map((job) => [job.id, job]));
    this.moved = new Map();
    this.received = new Map(first.map((job) => [job.id, now]));
    this.jobsShared = false;
    this.movedShared = false;
    this.receivedShared = false;
    this.previewTotal = total;
    this.listChanged = true;
    this.publish();
  }

  /** Queues an event; it is applied with the others at the next frame. */
  push(event: UiEvent): void {
    this.pending.push(event);
    if (!this.loaded || this.frameRequested) return;
    this.frameRequested = true;
    this.schedule(() => this.flush());
  }

  /** Applies every queued event now and tells subscribers once. */
  flush(): void {
    this.frameRequested = false;
    if (!this.loaded || this.pending.length === 0) return;
    const now = this.clock();
    const queued = this.pending;
    this.pending = [];
    for (const event of queued) this.apply(event, now);
    this.publish();
  }

  private apply(event: UiEvent, now: number): void {
    switch (event.kind) {
      case "snapshot":
        this.replaceAll(event.jobs, now);
        break;
      case "job_created":
      case "state_changed":
      case "job_modified":
      case "job_transferred":
        this.put(event.job, now);
        break;
      case "job_error":
        this.put({ ...event.job, error: event.job.error ?? event.error }, now);
        break;
      case "file_transferred":
        this.markFileTransferred(event.id, event.file_index);
        break;
      case "job_removed":
      case "job_auto_cancelled":
        this.remove(event.id);
        break;
      case "progress":
        for (const entry of event.jobs) this.applyProgress(entry, now);
        break;
    }
  }

  /** The shell resent every job (the window fell behind): forget what is not in it. */
  private replaceAll(jobs: readonly JobInfo[], now: number): void {
    const present = new Set(jobs.map((job) => job.id));
    for (const id of this.jobs.keys()) if (!present.has(id)) this.speed.forget(id);
    this.jobs = new Map();
    this.moved = new Map();
    this.received = new Map();
    this.jobsShared = false;
    this.movedShared = false;
    this.receivedShared = false;
    for (const job of jobs) this.put(job, now);
  }

  /**
   * The jobs map, safe to change (copied first when a published view holds it), with the
   * moved jobs folded in: a change of the list copies every job at most once per frame.
   */
  private writableJobs(): Map<JobId, JobInfo> {
    if (this.jobsShared) {
      this.jobs = new Map(this.jobs);
      this.jobsShared = false;
    }
    if (this.moved.size > 0) {
      for (const [id, job] of this.moved) this.jobs.set(id, job);
      this.moved = new Map();
      this.movedShared = false;
    }
    return this.jobs;
  }

  /**
   * Records a job whose progress moved: in the few moved jobs, copied first when a published
   * view holds them, or folded into every job when they are many.
   */
  private setMoved(job: JobInfo): void {
    if (this.moved.size >= MAX_MOVED) {
      this.writableJobs().set(job.id, job);
      return;
    }
    if (this.movedShared) {
      this.moved = new Map(this.moved);
      this.movedShared = false;
    }
    this.moved.set(job.id, job);
  }

  /** The arrival times, safe to change (copied first when a published view holds them). */
  private writableReceived(): Map<JobId, number> {
    if (this.receivedShared) {
      this.received = new Map(this.received);
      this.receivedShared = false;
    }
    return this.received;
  }

  private put(job: JobInfo, now: number): void {
    const previous = this.get(job.id);
    this.writableJobs().set(job.id, job);
    this.writableReceived().set(job.id, now);
    this.listChanged = true;
    if (previous && previous.state !== job.state && job.state !== "TRANSFERRING") {
      this.speed.forget(job.id);
    }
    if (isMoving(job.state)) this.speed.record(job.id, job.progress.bytes_transferred, now);
  }

  private remove(id: JobId): void {
    if (!this.jobs.has(id)) return;
    this.writableJobs().delete(id);
    this.writableReceived().delete(id);
    this.listChanged = true;
    this.speed.forget(id);
  }

  private markFileTransferred(id: JobId, index: number): void {
    const job = this.get(id);
    if (!job) return;
    const files = job.files.map((file) =>
      file.index === index
        ? { ...file, transferred: true, bytes_transferred: file.bytes_total ?? file.bytes_transferred }
        : file,
    );
    this.setMoved({ ...job, files });
    this.progressChanged = true;
  }

  private applyProgress(entry: ProgressEntry, now: number): void {
    const job = this.get(entry.id);
    if (!job) return;
    let files: FileInfo[] = job.files;
    // Files that finished since the last batch come with their final bytes (a small file can
    // start and finish between two batches), the file in flight with its bytes so far.
    const sized = new Map<number, FileBytes>(entry.finished_files);
    if (entry.current_file) sized.set(entry.current_file[0], entry.current_file[1]);
    if (sized.size > 0) {
      files = job.files.map((file) => {
        const bytes = sized.get(file.index);
        if (!bytes) return file;
        const finished = entry.finished_files.some(([index]) => index === file.index);
        return {
          ...file,
          bytes_transferred: bytes.transferred,
          bytes_total: bytes.total,
          transferred: file.transferred || finished,
        };
      });
    }
    // FILE_TRANSFERRED events follow the job's notify flags, so progress is what always tells
    // that a file finished: files transfer one after another in order, so the first
    // `files_transferred` files are the transferred ones.
    const done = entry.progress.files_transferred;
    if (files.some((file, position) => position < done && !file.transferred)) {
      files = files.map((file, position) =>
        position < done && !file.transferred
          ? { ...file, transferred: true, bytes_transferred: file.bytes_total ?? file.bytes_transferred }
          : file,
      );
    }
    this.progressChanged = true;
    this.setMoved({
      ...job,
      progress: entry.progress,
      reply_progress: entry.reply_progress ?? job.reply_progress,
      files,
    });
    this.speed.record(entry.id, entry.progress.bytes_transferred, now);
  }

  private makeView(): JobsView {
    return {
      byId: new JobsById(this.jobs, this.moved),
      receivedAt: this.received,
      loaded: this.loaded,
      total: this.loaded ? this.jobs.size : this.previewTotal,
      version: this.version,
      listVersion: this.listVersion,
      progressVersion: this.progressVersion,
    };
  }

  private publish(): void {
    this.version += 1;
    if (this.listChanged) this.listVersion += 1;
    if (this.progressChanged) this.progressVersion += 1;
    this.listChanged = false;
    this.progressChanged = false;
    this.view = this.makeView();
    // Later changes go to copies, so a published view never changes under its readers.
    this.jobsShared = true;
    this.movedShared = true;
    this.receivedShared = true;
    for (const run of this.subscribers) run(this.view);
  }
}
