/**
 * Every job by id, as the job store publishes it: the jobs as of the last change of the list
 * (`base`), with the few whose progress moved since laid over them (`moved`). A progress batch
 * then copies the few moved jobs, not a map of 10,000, and a published map never changes.
 */
import type { JobId } from "./bindings/JobId";
import type { JobInfo } from "./bindings/JobInfo";

export class JobsById implements ReadonlyMap<JobId, JobInfo> {
  /** `moved` holds only ids that `base` holds. */
  constructor(
    private readonly base: ReadonlyMap<JobId, JobInfo>,
    private readonly moved: ReadonlyMap<JobId, JobInfo>,
  ) {}

  get size(): number {
    return this.base.size;
  }

  get(id: JobId): JobInfo | undefined {
    return this.moved.get(id) ?? this.base.get(id);
  }

  has(id: JobId): boolean {
    return this.base.has(id);
  }

  /** Ids in the order the jobs were first seen. */
  keys(): MapIterator<JobId> {
    return this.base.keys();
  }

  /** Jobs in the order they were first seen. */
  values(): MapIterator<JobInfo> {
    if (this.moved.size === 0) return this.base.values();
    return this.valuesMoved();
  }

  *entries(): MapIterator<[JobId, JobInfo]> {
    for (const [id, job] of this.base) yield [id, this.moved.get(id) ?? job];
  }

  [Symbol.iterator](): MapIterator<[JobId, JobInfo]> {
    return this.entries();
  }

  forEach(run: (job: JobInfo, id: JobId, map: ReadonlyMap<JobId, JobInfo>) => void): void {
    for (const [id, job] of this.entries()) run(job, id, this);
  }

  private *valuesMoved(): MapIterator<JobInfo> {
    for (const job of this.base.values()) yield this.moved.get(job.id) ?? job;
  }
}
