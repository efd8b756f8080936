/**
 * What went wrong, in words a person reads: one sentence per kind of failure, chosen by the
 * error's stable code. The engine's own description (the technical cause) stays in the job's
 * details under its own label.
 */
import type { JobError } from "./bindings/JobError";
import {
  BG_E_BLOCKED_BY_POLICY,
  BG_E_MAXDOWNLOAD_TIMEOUT,
  BG_E_MISSING_FILE_SIZE,
  BG_E_NETWORK_DISCONNECTED,
  ERROR_DISK_FULL,
  ERROR_WINHTTP_CANNOT_CONNECT,
  ERROR_WINHTTP_CONNECTION_ERROR,
  ERROR_WINHTTP_NAME_NOT_RESOLVED,
  ERROR_WINHTTP_SECURE_FAILURE,
  ERROR_WINHTTP_TIMEOUT,
  FERRY_E_CHECKSUM_MISMATCH,
  FERRY_E_WEB_PAGE_INSTEAD_OF_FILE,
  httpStatusOf,
} from "./codes";
import { t, tv } from "./i18n";

/** The catalogue ids of the sentences, by code. */
const BY_CODE: ReadonlyMap<number, string> = new Map([
  [ERROR_WINHTTP_CONNECTION_ERROR, "errorWords.connectionBroke"],
  [ERROR_WINHTTP_TIMEOUT, "errorWords.serverSilent"],
  [ERROR_WINHTTP_CANNOT_CONNECT, "errorWords.cannotConnect"],
  [ERROR_WINHTTP_NAME_NOT_RESOLVED, "errorWords.nameNotFound"],
  [ERROR_WINHTTP_SECURE_FAILURE, "errorWords.certificate"],
  [BG_E_NETWORK_DISCONNECTED, "errorWords.noNetwork"],
  [BG_E_BLOCKED_BY_POLICY, "errorWords.bandwidthPolicy"],
  [BG_E_MAXDOWNLOAD_TIMEOUT, "errorWords.maxTime"],
  [BG_E_MISSING_FILE_SIZE, "errorWords.noSize"],
  [ERROR_DISK_FULL, "errorWords.diskFull"],
  [FERRY_E_CHECKSUM_MISMATCH, "errorWords.checksum"],
  [FERRY_E_WEB_PAGE_INSTEAD_OF_FILE, "errorWords.webPage"],
]);

/** The catalogue ids of the sentences for HTTP statuses; `{status}` is the number. */
const BY_HTTP_STATUS: ReadonlyMap<number, string> = new Map([
  [401, "errorWords.http401"],
  [403, "errorWords.http403"],
  [404, "errorWords.http404"],
  [407, "errorWords.http407"],
  [408, "errorWords.http408"],
  [410, "errorWords.http410"],
  [429, "errorWords.http429"],
  [503, "errorWords.http503"],
]);

const SERVER_TROUBLE = "errorWords.serverTrouble";
const SERVER_REFUSED = "errorWords.serverRefused";

/** What went wrong, as one sentence for people. */
export function errorInWords(error: JobError): string {
  const known = BY_CODE.get(error.code);
  if (known) return t(known);
  const status = httpStatusOf(error.code);
  if (status !== null) {
    const sentence = BY_HTTP_STATUS.get(status) ?? (status >= 500 ? SERVER_TROUBLE : SERVER_REFUSED);
    return tv(sentence, { status });
  }
  return asSentence(error.description);
}

/** The engine's description as a sentence: a capital first letter and a full stop. */
function asSentence(text: string): string {
  const trimmed = text.trim();
  if (trimmed.length === 0) return t("errorWords.stopped");
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/**
 * The error in words under a prompt titled `title`, or null when it would only say the title
 * again ("The file is not on the server" over "The file is not on the server (HTTP 404).").
 */
export function errorUnderTitle(error: JobError, title: string): string | null {
  const sentence = errorInWords(error);
  const plain = (text: string) => text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, " ").trim();
  return plain(sentence).startsWith(plain(title)) ? null : sentence;
}
