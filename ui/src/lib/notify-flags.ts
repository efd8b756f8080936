/**
 * The BG_NOTIFY_* flags of a job, in words.
 */
import { t } from "./i18n";

/** Each flag and the catalogue id of its name. */
const FLAGS: ReadonlyArray<[number, string]> = [
  [0x01, "notifyFlags.transferred"],
  [0x02, "notifyFlags.error"],
  [0x08, "notifyFlags.modification"],
  [0x10, "notifyFlags.fileTransferred"],
];

/** BG_NOTIFY_DISABLE: all notifications off, other bits ignored. */
const DISABLE = 0x04;

/** What a job will be notified of: `Transferred, Error`, or `None`. */
export function describeNotifyFlags(flags: number): string {
  if ((flags & DISABLE) !== 0) return t("notifyFlags.disabled");
  const names = FLAGS.filter(([bit]) => (flags & bit) !== 0).map(([, name]) => t(name));
  return names.length > 0 ? names.join(", ") : t("notifyFlags.none");
}
