/**
 * How the History page words a finished job: its result (a partial Complete says how many files
 * it kept) and the size it kept (discarded bytes are not counted).
 */
import type { HistoryEntry } from "./bindings/HistoryEntry";
import { formatBytes } from "./format";

/** The result of a partial Complete; `{kept}` and `{total}` are file counts. */
const COMPLETED_PARTIALLY = "Completed partially: {kept} of {total} files kept";

/** The job's result: `Completed`, `Completed partially: 1 of 3 files kept`, `Cancelled`. */
export function historyResult(entry: HistoryEntry): string {
  if (entry.state === "ACKNOWLEDGED") {
    if (entry.files_kept >= entry.files_total) return "Completed";
    return COMPLETED_PARTIALLY.replace("{kept}", String(entry.files_kept)).replace(
      "{total}",
      String(entry.files_total),
    );
  }
  return entry.auto_cancelled ? "Cancelled (inactive)" : "Cancelled";
}

/** The size of what the job left you: the kept files' bytes, or a dash when it kept none. */
export function historySize(entry: HistoryEntry): string {
  return entry.files_kept === 0 ? "—" : formatBytes(entry.bytes_kept);
}
