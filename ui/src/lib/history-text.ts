/**
 * How the History page words a finished job: its result (a partial Complete says how many files
 * it kept) and the size it kept (discarded bytes are not counted).
 */
import type { HistoryEntry } from "./bindings/HistoryEntry";
import { formatBytes } from "./format";
import { t, tv } from "./i18n";

/** The job's result: `Completed`, `Completed partially: 1 of 3 files kept`, `Cancelled`. */
export function historyResult(entry: HistoryEntry): string {
  if (entry.state === "ACKNOWLEDGED") {
    if (entry.files_kept >= entry.files_total) return t("history.completed");
    return tv("history.completedPartially", { kept: entry.files_kept, total: entry.files_total });
  }
  return entry.auto_cancelled ? t("history.cancelledInactive") : t("history.cancelled");
}

/** The size of what the job left you: the kept files' bytes, or a dash when it kept none. */
export function historySize(entry: HistoryEntry): string {
  return entry.files_kept === 0 ? "—" : formatBytes(entry.bytes_kept);
}
