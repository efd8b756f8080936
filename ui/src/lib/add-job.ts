/**
 * The Add-a-job form's model: what the user typed, the request it makes, and which field an
 * engine error belongs to. The engine validates; the form shows its answer next to the field.
 */
import type { AuthScheme } from "./bindings/AuthScheme";
import type { AuthTarget } from "./bindings/AuthTarget";
import type { JobType } from "./bindings/JobType";
import type { Priority } from "./bindings/Priority";
import type { NewJobRequest } from "./shell-types";
import {
  BG_E_INVALID_AUTH_SCHEME,
  BG_E_INVALID_AUTH_TARGET,
  BG_E_INVALID_CREDENTIALS,
  BG_E_PASSWORD_TOO_LARGE,
  BG_E_STRING_TOO_LONG,
  BG_E_TOO_MANY_FILES,
  BG_E_TOO_MANY_FILES_IN_JOB,
  BG_E_USERNAME_TOO_LARGE,
  E_ACCESSDENIED,
  E_INVALIDARG,
  ERROR_FILE_NOT_FOUND,
  ERROR_PATH_NOT_FOUND,
} from "./codes";
import { checksumsForFiles, type ChecksumFill } from "./checksum";
import { baseName } from "./format";
import { t, tv } from "./i18n";
import { fileNameFromUrl, joinPath, parseUrlList, uniqueNames } from "./paths";
import { limitField, readLimit, type LimitField } from "./speed-limit";

/** Fields of the form that can carry an error. `form` is the form as a whole. */
export type AddJobField =
  | "urls"
  | "folder"
  | "name"
  | "uploadFile"
  | "serverUrl"
  | "replyFile"
  | "user"
  | "password"
  | "checksum"
  | "speedLimit"
  | "form";

/** Longest display name the engine accepts. */
export const MAX_DISPLAY_NAME_CHARS = 256;
/** Longest URL the engine accepts. */
export const MAX_URL_CHARS = 2200;

/** What the user entered. */
export type AddJobForm = {
  jobType: JobType;
  /** Download URLs, one per line. */
  urls: string;
  /** Download destination folder. */
  folder: string;
  /** Expected checksum(s): one value, or pasted `sha256sum`-style lines (downloads). */
  checksum: string;
  /** Upload source file. */
  uploadFile: string;
  /** Upload target URL. */
  serverUrl: string;
  /** Upload-reply: where the reply goes (empty: chosen by the engine). */
  replyFile: string;
  displayName: string;
  priority: Priority;
  useCredentials: boolean;
  authTarget: AuthTarget;
  authScheme: AuthScheme;
  userName: string;
  password: string;
  /** File names the servers gave for the URLs (see `probe.ts`), by URL. */
  probedNames: Record<string, string>;
  /** Advanced: connections one file of a download may use at once (1 to 16). */
  connections: number;
  /** Advanced: the job's own speed limit (an empty amount is no limit). */
  speedLimit: LimitField;
};

/**
 * A fresh form: download, FOREGROUND (a job started by hand), into the default folder, with
 * the settings' connections per file and no speed limit.
 */
export function emptyForm(defaultFolder: string, connections = 1): AddJobForm {
  return {
    jobType: "DOWNLOAD",
    urls: "",
    folder: defaultFolder,
    checksum: "",
    uploadFile: "",
    serverUrl: "",
    replyFile: "",
    displayName: "",
    priority: "FOREGROUND",
    useCredentials: false,
    authTarget: "SERVER",
    authScheme: "BASIC",
    userName: "",
    password: "",
    probedNames: {},
    connections,
    speedLimit: limitField(null),
  };
}

/** Field errors; a field without an entry is fine. */
export type FieldErrors = Partial<Record<AddJobField, string>>;

/** What the form lacks before a request can even be built. */
export function missingFields(form: AddJobForm): FieldErrors {
  const errors: FieldErrors = {};
  if (form.jobType === "DOWNLOAD") {
    if (parseUrlList(form.urls).length === 0) errors.urls = t("addJob.enterUrl");
    if (form.folder.trim().length === 0) errors.folder = t("addJob.chooseFolder");
    const fill = formChecksums(form);
    if (!fill.ok) errors.checksum = fill.error;
  } else {
    if (form.uploadFile.trim().length === 0) errors.uploadFile = t("addJob.chooseUpload");
    if (form.serverUrl.trim().length === 0) errors.serverUrl = t("addJob.enterServerUrl");
  }
  if (form.useCredentials && form.userName.length === 0) errors.user = t("addJob.enterUser");
  const limit = readLimit(form.speedLimit);
  if (!limit.ok) errors.speedLimit = limit.error;
  return errors;
}

/**
 * The file names a download's URLs get, in order (unique within the job): the server's name
 * when a probe gave one, else the URL's.
 */
export function downloadNames(form: AddJobForm): string[] {
  return uniqueNames(parseUrlList(form.urls).map((url) => form.probedNames[url] ?? fileNameFromUrl(url)));
}

/** The checksum field read against the download's files. */
export function formChecksums(form: AddJobForm): ChecksumFill {
  return checksumsForFiles(form.checksum, downloadNames(form));
}

/**
 * What the checksum field will do, said under it: null when it is empty or wrong (its error
 * says why then).
 */
export function checksumNote(form: AddJobForm): string | null {
  const fill = formChecksums(form);
  if (!fill.ok || fill.count === 0) return null;
  const files = fill.checksums.length;
  if (files === 1) {
    const algorithm = (fill.checksums[0] ?? "").split(/[:-]/)[0]?.toUpperCase().replace("SHA", "SHA-");
    const name = downloadNames(form)[0] ?? t("addJob.theFile");
    return tv("addJob.checksumOne", { algorithm: algorithm ?? "", name });
  }
  return tv("addJob.checksumMany", { count: fill.count, files });
}

/** The name a job gets when the user leaves it empty. */
export function defaultDisplayName(form: AddJobForm): string {
  if (form.jobType === "DOWNLOAD") {
    const urls = parseUrlList(form.urls);
    if (urls.length === 0) return "";
    const name = shortened(downloadNames(form)[0] ?? "", MAX_DISPLAY_NAME_CHARS - 20);
    return urls.length > 1 ? `${name} and ${urls.length - 1} more` : name;
  }
  return form.uploadFile.length > 0 ? shortened(baseName(form.uploadFile), MAX_DISPLAY_NAME_CHARS) : "";
}

/** `text` cut to `max` characters (whole code points), ending in "…" when cut. */
function shortened(text: string, max: number): string {
  const characters = [...text];
  return characters.length <= max ? text : `${characters.slice(0, max - 1).join("")}…`;
}

/** The request for `create_job`. Call only when [`missingFields`] is empty. */
export function buildRequest(form: AddJobForm): NewJobRequest {
  const display_name = form.displayName.trim() || defaultDisplayName(form);
  const credentials = form.useCredentials
    ? {
        target: form.authTarget,
        scheme: form.authScheme,
        user_name: form.userName,
        password: form.password,
      }
    : null;
  const limit = readLimit(form.speedLimit);
  const speed_limit = limit.ok && limit.limit !== null ? { speed_limit: limit.limit } : {};
  if (form.jobType === "DOWNLOAD") {
    const urls = parseUrlList(form.urls);
    const names = downloadNames(form);
    const folder = form.folder.trim();
    const fill = formChecksums(form);
    return {
      display_name,
      job_type: "DOWNLOAD",
      priority: form.priority,
      files: urls.map((remote_url, i) => ({
        remote_url,
        local_path: joinPath(folder, names[i] ?? "download"),
      })),
      credentials,
      reply_file_name: null,
      // Ferry chose every name (the server's or the URL's): the owner numbers one that is taken.
      unique_names: true,
      // Left out, a download uses one connection per file, as BITS does.
      ...(form.connections === 1 ? {} : { connections: form.connections }),
      ...speed_limit,
      ...(fill.ok && fill.count > 0 ? { checksums: fill.checksums } : {}),
    };
  }
  const reply = form.replyFile.trim();
  return {
    display_name,
    job_type: form.jobType,
    priority: form.priority,
    files: [{ remote_url: form.serverUrl.trim(), local_path: form.uploadFile.trim() }],
    credentials,
    reply_file_name: form.jobType === "UPLOAD_REPLY" && reply.length > 0 ? reply : null,
    ...speed_limit,
  };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === "http:" || url.protocol === "https:") && text.length <= MAX_URL_CHARS;
  } catch {
    return false;
  }
}

/** `~` or `~/…`: the window makes it the home folder (`~user` is refused there). */
function isHomePath(path: string): boolean {
  return path.startsWith("~");
}

function isAbsolutePath(path: string): boolean {
  return path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith("\\\\");
}

/**
 * The field an engine error concerns. Codes name the field outright where they can; an
 * E_INVALIDARG (which BITS returns for any bad argument) goes to the checksum field when its
 * `message` is about a checksum (the engine's only way to tell), else to the first field whose
 * value the engine would reject.
 */
export function fieldForError(code: number, form: AddJobForm, message = ""): AddJobField {
  const download = form.jobType === "DOWNLOAD";
  const localField: AddJobField = download ? "folder" : "uploadFile";
  const remoteField: AddJobField = download ? "urls" : "serverUrl";
  switch (code) {
    case BG_E_TOO_MANY_FILES_IN_JOB:
    case BG_E_TOO_MANY_FILES:
      return remoteField;
    case E_ACCESSDENIED:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_FILE_NOT_FOUND:
      return localField;
    case BG_E_STRING_TOO_LONG:
      return "name";
    case BG_E_USERNAME_TOO_LARGE:
    case BG_E_INVALID_CREDENTIALS:
    case BG_E_INVALID_AUTH_SCHEME:
    case BG_E_INVALID_AUTH_TARGET:
      return "user";
    case BG_E_PASSWORD_TOO_LARGE:
      return "password";
    case E_INVALIDARG:
      if (download && form.checksum.trim().length > 0 && /checksum/i.test(message)) return "checksum";
      if (/speed limit/i.test(message)) return "speedLimit";
      if (!/\bURL/.test(message) && /local path|folder/i.test(message)) return localField;
      return invalidArgumentField(form);
    default:
      return "form";
  }
}

/** True when `path` has a `..` part (`/a/../b`, `..\\x`), which the engine refuses. */
function climbsUp(path: string): boolean {
  return path.split(/[\\/]/).includes("..");
}

function invalidArgumentField(form: AddJobForm): AddJobField {
  const name = form.displayName.trim() || defaultDisplayName(form);
  if (name.length === 0 || name.length > MAX_DISPLAY_NAME_CHARS) return "name";
  if (form.jobType === "DOWNLOAD") {
    const folder = form.folder.trim();
    if (climbsUp(folder)) return "folder";
    if (!parseUrlList(form.urls).every(isHttpUrl)) return "urls";
    if (!isAbsolutePath(folder) && !isHomePath(folder)) return "folder";
    return "urls";
  }
  if (!isHttpUrl(form.serverUrl.trim())) return "serverUrl";
  if (!isAbsolutePath(form.uploadFile.trim())) return "uploadFile";
  if (form.jobType === "UPLOAD_REPLY" && form.replyFile.trim().length > 0) {
    if (!isAbsolutePath(form.replyFile.trim())) return "replyFile";
  }
  if (form.useCredentials) return "user";
  return "serverUrl";
}
