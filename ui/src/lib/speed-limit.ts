/**
 * A job's own speed limit and its connections per file as the window edits them: a number
 * with a unit (decimal, as the window's sizes: 1 kB/s = 1,000 bytes a second), empty for no
 * limit; connections from 1 to 16.
 */
import type { JobState } from "./bindings/JobState";
import { formatSpeed } from "./format";
import { t } from "./i18n";

/** The units a limit is typed in. */
export type RateUnit = "kB/s" | "MB/s";
/** Every unit, smallest first. */
export const RATE_UNITS: readonly RateUnit[] = ["kB/s", "MB/s"];
const BYTES_PER_UNIT: Record<RateUnit, number> = { "kB/s": 1000, "MB/s": 1_000_000 };

/** The lowest limit the engine accepts, in bytes per second (1 kB/s). */
export const MIN_SPEED_LIMIT = 1000;
/** Most connections one file may use. */
export const MAX_CONNECTIONS = 16;
/** Every choice of connections per file, 1 to 16. */
export const CONNECTION_CHOICES: readonly number[] = Array.from({ length: MAX_CONNECTIONS }, (_, i) => i + 1);

/** A limit as its field shows it: an amount (empty: no limit) and a unit. */
export type LimitField = { amount: string; unit: RateUnit };

/** A limit read from its field: bytes per second or null (no limit), or why it cannot be. */
export type LimitRead = { ok: true; limit: number | null } | { ok: false; error: string };

/** The field for a stored limit: in MB/s when it is a whole number of them, else in kB/s. */
export function limitField(limit: number | null): LimitField {
  if (limit === null) return { amount: "", unit: "MB/s" };
  const unit: RateUnit = limit >= 1_000_000 && limit % 100_000 === 0 ? "MB/s" : "kB/s";
  const amount = limit / BYTES_PER_UNIT[unit];
  return { amount: String(Math.round(amount * 1000) / 1000), unit };
}

/**
 * Reads a limit field: empty is no limit; a positive number (a comma may be the decimal
 * mark, as in Portuguese) of at least 1 kB/s is that many bytes a second.
 */
export function readLimit(field: LimitField): LimitRead {
  const text = field.amount.trim().replace(",", ".");
  if (text.length === 0) return { ok: true, limit: null };
  const amount = /^\d*\.?\d+$|^\d+\.$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(amount) || amount <= 0) return { ok: false, error: t("jobLimits.notANumber") };
  const limit = Math.round(amount * BYTES_PER_UNIT[field.unit]);
  if (limit < MIN_SPEED_LIMIT) return { ok: false, error: t("jobLimits.tooLow") };
  return { ok: true, limit };
}

/** A stored limit for people: `500 kB/s`, or "No limit". */
export function describeLimit(limit: number | null): string {
  return limit === null ? t("jobLimits.noLimit") : formatSpeed(limit);
}

/** Whether the job's limits may still change: until its files are all transferred. */
export function limitsEditable(state: JobState): boolean {
  return state !== "TRANSFERRED" && state !== "ACKNOWLEDGED" && state !== "CANCELLED";
}
