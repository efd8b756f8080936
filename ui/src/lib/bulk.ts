/**
 * What Pause all and Resume all tell the user: how many jobs they touched, one sentence each.
 * The owner decides which jobs they touch (see PROTOCOL.md).
 */
import type { Notice } from "./app.svelte";
import { tv } from "./i18n";

/** The message for a Pause all or Resume all that touched `count` jobs. */
export function bulkNotice(verb: "pause" | "resume", count: number): Omit<Notice, "id"> {
  const title = tv(`bulk.${verb}`, { count });
  return { tone: "info", title, detail: "", outcome: null, paths: [] };
}
