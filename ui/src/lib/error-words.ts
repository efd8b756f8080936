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

const BY_CODE: ReadonlyMap<number, string> = new Map([
  [ERROR_WINHTTP_CONNECTION_ERROR, "The connection broke while the file was arriving."],
  [ERROR_WINHTTP_TIMEOUT, "The server stopped answering."],
  [ERROR_WINHTTP_CANNOT_CONNECT, "Ferry could not connect to the server."],
  [ERROR_WINHTTP_NAME_NOT_RESOLVED, "The server's name could not be found."],
  [ERROR_WINHTTP_SECURE_FAILURE, "The server's certificate could not be verified."],
  [BG_E_NETWORK_DISCONNECTED, "There is no network connection."],
  [BG_E_BLOCKED_BY_POLICY, "The bandwidth policy holds background jobs at this time of day."],
  [BG_E_MAXDOWNLOAD_TIMEOUT, "The job took longer than its maximum download time."],
  [BG_E_MISSING_FILE_SIZE, "The server does not say how big the file is."],
  [ERROR_DISK_FULL, "The disk is full."],
  [FERRY_E_CHECKSUM_MISMATCH, "The file does not match its checksum."],
  [FERRY_E_WEB_PAGE_INSTEAD_OF_FILE, "The server sent a web page instead of the file."],
]);

/** Sentences for HTTP statuses; `{status}` is the number. */
const BY_HTTP_STATUS: ReadonlyMap<number, string> = new Map([
  [401, "The server asks for credentials (HTTP {status})."],
  [403, "The server refused access (HTTP {status})."],
  [404, "The file is not on the server (HTTP {status})."],
  [407, "The proxy asks for credentials (HTTP {status})."],
  [408, "The server gave up waiting for the request (HTTP {status})."],
  [410, "The file is no longer on the server (HTTP {status})."],
  [429, "The server asked Ferry to slow down (HTTP {status})."],
  [503, "The server is busy or down for maintenance (HTTP {status})."],
]);

const SERVER_TROUBLE = "The server had a problem (HTTP {status}).";
const SERVER_REFUSED = "The server refused the request (HTTP {status}).";

/** What went wrong, as one sentence for people. */
export function errorInWords(error: JobError): string {
  const known = BY_CODE.get(error.code);
  if (known) return known;
  const status = httpStatusOf(error.code);
  if (status !== null) {
    const sentence = BY_HTTP_STATUS.get(status) ?? (status >= 500 ? SERVER_TROUBLE : SERVER_REFUSED);
    return sentence.replace("{status}", String(status));
  }
  return asSentence(error.description);
}

/** The engine's description as a sentence: a capital first letter and a full stop. */
function asSentence(text: string): string {
  const trimmed = text.trim();
  if (trimmed.length === 0) return "The transfer stopped.";
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/**
 * The error in words under a prompt titled `title`, or null when it would only say the title
 * again ("The file is not on the server" over "The file is not on the server (HTTP 404).").
 */
export function errorUnderTitle(error: JobError, title: string): string | null {
  const sentence = errorInWords(error);
  const plain = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, " ").trim();
  return plain(sentence).startsWith(plain(title)) ? null : sentence;
}
