/**
 * Numbers for people: byte sizes, progress, speed, remaining time and dates.
 * Sizes use decimal units (1 kB = 1,000 bytes), as desktop file managers do.
 */
import type { JobState } from "./bindings/JobState";
import type { JobType } from "./bindings/JobType";
import type { Priority } from "./bindings/Priority";
import type { Progress } from "./bindings/Progress";
import { currentLocale, t, tv } from "./i18n";

const UNITS = ["B", "kB", "MB", "GB", "TB", "PB"] as const;

/** The unit a size reads best in, as a power of 1,000. */
function unitIndex(bytes: number): number {
  let index = 0;
  let value = Math.abs(bytes);
  while (value >= 1000 && index < UNITS.length - 1) {
    value /= 1000;
    index += 1;
  }
  return index;
}

/** A number in a unit: one decimal below 100 (dropped when it is zero), none above. */
function scaled(bytes: number, index: number): string {
  const value = bytes / 1000 ** index;
  if (index === 0) return String(Math.round(value));
  return fixed(value, value >= 100 ? 0 : 1);
}

/** A size: `512 B`, `12.3 MB`, `1.5 GB` (in pt-BR `1,5 GB`). */
export function formatBytes(bytes: number): string {
  const index = unitIndex(bytes);
  return `${scaled(bytes, index)} ${UNITS[index]}`;
}

/**
 * Transferred bytes against the total: in the total's unit when both share it (`12.3 of 80 MB`),
 * each in its own unit otherwise (`20 MB of 1.1 GB`), so bytes that move always show movement;
 * from gigabytes up the transferred part has two decimals (`1.23 of 4.5 GB`). With no known
 * total: `12.3 MB of unknown`.
 */
export function formatProgressBytes(transferred: number, total: number | null): string {
  if (total === null) return tv("format.ofUnknown", { done: formatBytes(transferred) });
  const index = unitIndex(Math.max(total, transferred));
  const own = unitIndex(transferred);
  if (own < index && transferred > 0) return tv("format.of", { done: formatBytes(transferred), total: formatBytes(total) });
  const done = index >= 3 ? fixed(transferred / 1000 ** index, 2) : scaled(transferred, index);
  return tv("format.ofUnit", { done, total: scaled(total, index), unit: UNITS[index] ?? "" });
}

/** Number formats by locale and decimals, made once each. */
const NUMBER_FORMATS = new Map<string, Intl.NumberFormat>();

/** `value` with at most `digits` decimals in the window's language (`1.5`, `1,5`). */
function fixed(value: number, digits: number): string {
  const locale = currentLocale();
  const key = `${locale}/${digits}`;
  let format = NUMBER_FORMATS.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, { maximumFractionDigits: digits, useGrouping: false });
    NUMBER_FORMATS.set(key, format);
  }
  return format.format(value);
}

/**
 * The finished fraction (0..1), or null when it cannot be known. Never divides by an unknown
 * or zero total: a zero-byte job is done when all its files are.
 */
export function progressFraction(
  transferred: number,
  total: number | null,
  filesDone: boolean,
): number | null {
  if (total === null) return filesDone ? 1 : null;
  if (total <= 0) return filesDone ? 1 : 0;
  return Math.min(1, Math.max(0, transferred / total));
}

/** How far a whole job is (0..1), or null when it cannot be known; done once all its files are. */
export function jobFraction(progress: Progress): number | null {
  const allFilesDone = progress.files_total > 0 && progress.files_transferred === progress.files_total;
  return progressFraction(progress.bytes_transferred, progress.bytes_total, allFilesDone);
}

/** A transfer rate: `1.2 MB/s`. */
export function formatSpeed(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** Seconds left at this speed, or null when the total or the speed is unknown or zero. */
export function etaSeconds(
  transferred: number,
  total: number | null,
  bytesPerSecond: number | null,
): number | null {
  if (total === null || bytesPerSecond === null || bytesPerSecond <= 0) return null;
  const remaining = total - transferred;
  if (remaining <= 0) return 0;
  return remaining / bytesPerSecond;
}

/** A duration, rounded up to what matters: `45 s`, `7 min`, `1 h 20 min`, `3 d 4 h`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.ceil(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(s / 3600);
  const restMinutes = Math.round((s - hours * 3600) / 60);
  if (hours < 24) {
    if (restMinutes === 60) return `${hours + 1} h`;
    return restMinutes === 0 ? `${hours} h` : `${hours} h ${restMinutes} min`;
  }
  const days = Math.floor(s / 86_400);
  const restHours = Math.round((s - days * 86_400) / 3600);
  if (restHours === 24) return `${days + 1} d`;
  return restHours === 0 ? `${days} d` : `${days} d ${restHours} h`;
}

/** The retry countdown of a job in TRANSIENT_ERROR: `retrying in 7 min`, or `retrying now`. */
export function formatRetryIn(milliseconds: number): string {
  if (milliseconds <= 0) return t("format.retryingNow");
  return tv("format.retryingIn", { time: formatDuration(milliseconds / 1000) });
}

/** A whole-second count as BITS settings show it: `600 s (10 min)`. */
export function formatSettingSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  return `${seconds.toLocaleString(currentLocale())} s (${formatDuration(seconds)})`;
}

/** A wall-clock time (UTC milliseconds) in the user's locale. */
export function formatTime(millis: number): string {
  return new Date(millis).toLocaleString(currentLocale(), {
    dateStyle: "medium",
    timeStyle: "short",
  });
}

/** A state as people read it: `Waiting to retry` (BITS: TRANSIENT_ERROR). */
export function stateLabel(state: JobState): string {
  return t(`state.${state}`);
}

/** A job type as people read it. */
export function typeLabel(jobType: JobType): string {
  return t(`jobType.${jobType}`);
}

/** A priority as people read it. */
export function priorityLabel(priority: Priority): string {
  return t(`priority.${priority}`);
}

/** Every priority, highest first. */
export const PRIORITIES: readonly Priority[] = ["FOREGROUND", "HIGH", "NORMAL", "LOW"];

/** The last part of a path or URL path: the file's name. */
export function baseName(path: string): string {
  const trimmed = path.replace(/[\\/]+$/, "");
  const cut = Math.max(trimmed.lastIndexOf("/"), trimmed.lastIndexOf("\\"));
  return cut >= 0 ? trimmed.slice(cut + 1) : trimmed;
}
