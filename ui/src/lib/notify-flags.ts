/**
 * The BG_NOTIFY_* flags of a job, in words.
 */

const FLAGS: ReadonlyArray<[number, string]> = [
  [0x01, "Transferred"],
  [0x02, "Error"],
  [0x08, "Modification"],
  [0x10, "File transferred"],
];

/** BG_NOTIFY_DISABLE: all notifications off, other bits ignored. */
const DISABLE = 0x04;

/** What a job will be notified of: `Transferred, Error`, or `None`. */
export function describeNotifyFlags(flags: number): string {
  if ((flags & DISABLE) !== 0) return "None (disabled)";
  const names = FLAGS.filter(([bit]) => (flags & bit) !== 0).map(([, name]) => name);
  return names.length > 0 ? names.join(", ") : "None";
}
