/**
 * A job's byte count as its progress line shows it. While some files are not sized yet (their
 * transfer has not begun), the total is the sum of the known sizes followed by "+ ?", so a
 * person sees how much is known without a made-up total: `12 MB of 40 MB + ?`.
 */
import type { JobInfo } from "./bindings/JobInfo";
import { formatProgressBytes } from "./format";

/** The progress line of a job whose total is partly unknown; `{progress}` is the known part. */
const PARTLY_SIZED = "{progress} + ?";

/** The sum of the sizes known so far, and how many files have none yet. */
export function knownSizes(job: JobInfo): { known: number; unsized: number } {
  let known = 0;
  let unsized = 0;
  for (const file of job.files) {
    if (file.bytes_total === null) unsized += 1;
    else known += file.bytes_total;
  }
  return { known, unsized };
}

/** The job's bytes: `12 MB of 40 MB`, `12 MB of 40 MB + ?`, or `3 MB of unknown`. */
export function jobBytesText(job: JobInfo): string {
  const { bytes_transferred: transferred, bytes_total: total } = job.progress;
  if (total !== null) return formatProgressBytes(transferred, total);
  const { known, unsized } = knownSizes(job);
  if (known === 0 || unsized === 0) return formatProgressBytes(transferred, null);
  return PARTLY_SIZED.replace("{progress}", formatProgressBytes(transferred, known));
}
