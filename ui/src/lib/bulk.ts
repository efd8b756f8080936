/**
 * What Pause all and Resume all tell the user: how many jobs they touched, one sentence each.
 * The owner decides which jobs they touch (see PROTOCOL.md).
 */
import type { Notice } from "./app.svelte";

const SENTENCES = {
  pause: {
    none: "Nothing to pause: no job is moving or waiting to move.",
    one: "Paused 1 job.",
    many: "Paused {count} jobs.",
  },
  resume: {
    none: "Nothing to resume: no paused job.",
    one: "Resumed 1 job.",
    many: "Resumed {count} jobs.",
  },
} as const;

/** The message for a Pause all or Resume all that touched `count` jobs. */
export function bulkNotice(verb: "pause" | "resume", count: number): Omit<Notice, "id"> {
  const words = SENTENCES[verb];
  const title = count === 0 ? words.none : count === 1 ? words.one : words.many.replace("{count}", String(count));
  return { tone: "info", title, detail: "", outcome: null, paths: [] };
}
