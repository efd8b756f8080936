/**
 * The engine's stable error codes the window reacts to (same names and numbers as BITS).
 * `BG_E_HTTP_ERROR_nnn` is `0x80190000 + nnn`.
 */

export const S_OK = 0x0000_0000;
export const BG_S_PARTIAL_COMPLETE = 0x0020_0017;
export const BG_S_UNABLE_TO_DELETE_FILES = 0x0020_001a;

export const BG_E_INVALID_STATE = 0x8020_0002;
export const BG_E_EMPTY = 0x8020_0003;
export const BG_E_NETWORK_DISCONNECTED = 0x8020_0010;
export const BG_E_MISSING_FILE_SIZE = 0x8020_0011;
export const BG_E_INSUFFICIENT_HTTP_SUPPORT = 0x8020_0012;
export const BG_E_INSUFFICIENT_RANGE_SUPPORT = 0x8020_0013;
export const BG_E_TOO_MANY_FILES = 0x8020_001c;
export const BG_E_STRING_TOO_LONG = 0x8020_0021;
export const BG_E_USERNAME_TOO_LARGE = 0x8020_0025;
export const BG_E_PASSWORD_TOO_LARGE = 0x8020_0026;
export const BG_E_INVALID_AUTH_TARGET = 0x8020_0027;
export const BG_E_INVALID_AUTH_SCHEME = 0x8020_0028;
export const BG_E_BLOCKED_BY_POLICY = 0x8020_003e;
export const BG_E_INVALID_CREDENTIALS = 0x8020_0040;
export const BG_E_TOO_MANY_JOBS_PER_USER = 0x8020_0049;
export const BG_E_TOO_MANY_JOBS_PER_MACHINE = 0x8020_0050;
export const BG_E_TOO_MANY_FILES_IN_JOB = 0x8020_0051;
export const BG_E_MAXDOWNLOAD_TIMEOUT = 0x8020_0054;

export const E_FAIL = 0x8000_4005;
export const E_ACCESSDENIED = 0x8007_0005;
export const E_INVALIDARG = 0x8007_0057;
export const ERROR_FILE_NOT_FOUND = 0x8007_0002;
export const ERROR_PATH_NOT_FOUND = 0x8007_0003;
export const ERROR_DISK_FULL = 0x8007_0070;
export const ERROR_FILE_EXISTS = 0x8007_0050;
export const FERRY_E_NOT_A_REGULAR_FILE = 0xa0fe_0003;
export const ERROR_WINHTTP_TIMEOUT = 0x8007_2ee2;
export const ERROR_WINHTTP_NAME_NOT_RESOLVED = 0x8007_2ee7;
export const ERROR_WINHTTP_CANNOT_CONNECT = 0x8007_2efd;
export const ERROR_WINHTTP_CONNECTION_ERROR = 0x8007_2efe;
export const ERROR_WINHTTP_SECURE_FAILURE = 0x8007_2f8f;

/** Ferry's own codes (customer bit set). */
export const FERRY_E_WEB_PAGE_INSTEAD_OF_FILE = 0xa0fe_0001;
export const FERRY_E_CONTENT_ENCODED = 0xa0fe_0002;
export const FERRY_E_CHECKSUM_MISMATCH = 0xa0fe_0004;

const HTTP_ERROR_BASE = 0x8019_0000;

/** The code for an HTTP status: `BG_E_HTTP_ERROR_nnn`. */
export function httpErrorCode(status: number): number {
  return HTTP_ERROR_BASE + status;
}

/** The HTTP status a `BG_E_HTTP_ERROR_nnn` code stands for, or null for other codes. */
export function httpStatusOf(code: number): number | null {
  const status = code - HTTP_ERROR_BASE;
  return status >= 100 && status < 600 ? status : null;
}

/** The code as BITS prints it: `0x80190194`. */
export function hexCode(code: number): string {
  return `0x${(code >>> 0).toString(16).toUpperCase().padStart(8, "0")}`;
}
