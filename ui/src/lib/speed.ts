/**
 * Transfer speed over a sliding window: each job's byte count is sampled as progress arrives,
 * and the speed is the bytes gained across the window divided by the time those samples span.
 * The span ends at the newest sample while samples keep arriving (the clock that asks may tick
 * more slowly than progress arrives, and dividing by a span that ends at an older "now" reads
 * too fast); once none has come for a while it ends at "now", so a stalled transfer slows down
 * to zero instead of showing its last rate.
 */
import type { JobId } from "./bindings/JobId";

type Sample = { at: number; bytes: number };

/** How far back the speed looks, in milliseconds. */
export const SPEED_WINDOW_MS = 5000;
/** Below this span the speed is not yet meaningful. */
const MIN_SPAN_MS = 500;
/**
 * Progress arrives several times a second while bytes move; with no sample for this long the
 * transfer counts as stalled and its speed starts to fall.
 */
export const STALL_MS = 1500;

/** Per-job byte samples and the speed they give. */
export class SpeedMeter {
  private readonly samples = new Map<JobId, Sample[]>();

  constructor(private readonly windowMs: number = SPEED_WINDOW_MS) {}

  /** Notes that `id` had transferred `bytes` at time `at` (milliseconds, monotonic). */
  record(id: JobId, bytes: number, at: number): void {
    const list = this.samples.get(id);
    if (!list) {
      this.samples.set(id, [{ at, bytes }]);
      return;
    }
    const last = list[list.length - 1];
    if (last && bytes < last.bytes) {
      // A file restarted from byte 0: earlier samples no longer describe this transfer.
      list.length = 0;
    }
    list.push({ at, bytes });
    this.prune(list, at);
  }

  /** Bytes per second at time `now`, or null when there are not enough samples yet. */
  rate(id: JobId, now: number): number | null {
    const list = this.samples.get(id);
    if (!list || list.length === 0) return null;
    this.prune(list, now);
    const first = list[0];
    const last = list[list.length - 1];
    if (!first || !last) return null;
    // One sample inside the window is a start, not a measurement; one older than the window
    // means nothing moved since, so the speed is zero.
    if (list.length === 1 && now - first.at < this.windowMs) return null;
    const end = now - last.at > STALL_MS ? now : last.at;
    const span = end - first.at;
    if (span < MIN_SPAN_MS) return null;
    return ((last.bytes - first.bytes) * 1000) / span;
  }

  /**
   * The speed of every job with samples at time `now` (jobs with no speed yet are left out).
   * The window reads it once per tick of its clock, so the speeds it shows change once a
   * second, not with every progress batch.
   */
  rates(now: number): Map<JobId, number> {
    const rates = new Map<JobId, number>();
    for (const id of this.samples.keys()) {
      const rate = this.rate(id, now);
      if (rate !== null) rates.set(id, rate);
    }
    return rates;
  }

  /** Forgets a job (it stopped transferring or left the queue). */
  forget(id: JobId): void {
    this.samples.delete(id);
  }

  /**
   * Drops samples older than the window, keeping the newest of them as the baseline so the
   * window always starts at a real measurement.
   */
  private prune(list: Sample[], now: number): void {
    const start = now - this.windowMs;
    let drop = 0;
    while (drop + 1 < list.length && (list[drop + 1]?.at ?? Infinity) <= start) drop += 1;
    if (drop > 0) list.splice(0, drop);
  }
}
