/** Builders of realistic engine values for the tests. */
import type { EngineEvent } from "../src/lib/bindings/EngineEvent";
import type { FileInfo } from "../src/lib/bindings/FileInfo";
import type { JobError } from "../src/lib/bindings/JobError";
import type { JobInfo } from "../src/lib/bindings/JobInfo";
import type { Progress } from "../src/lib/bindings/Progress";
import type { Settings } from "../src/lib/shell-types";

let counter = 0;

/** A job id in GUID form, unique per call. */
export function jobId(): string {
  counter += 1;
  return `00000000-0000-4000-8000-${counter.toString(16).padStart(12, "0")}`;
}

/** A file of a download job. */
export function file(index: number, overrides: Partial<FileInfo> = {}): FileInfo {
  return {
    index,
    remote_url: `http://127.0.0.1:8080/file-${index}.bin`,
    local_path: `/home/user/Downloads/file-${index}.bin`,
    temp_path: `/home/user/Downloads/BIT${index}.tmp`,
    ranges: null,
    bytes_total: 1000,
    bytes_transferred: 0,
    transferred: false,
    completed: false,
    checksum: null,
    sha256: null,
    verification: "NOT_VERIFIED",
    ...overrides,
  };
}

type JobOverrides = Partial<Omit<JobInfo, "settings">> & { settings?: Partial<JobInfo["settings"]> };

/** A job as `subscribe_jobs` sends it; progress follows the files unless given. */
export function job(overrides: JobOverrides = {}): JobInfo {
  const files = overrides.files ?? [file(0)];
  const known = files.every((f) => f.bytes_total !== null);
  const base: JobInfo = {
    id: jobId(),
    job_type: "DOWNLOAD",
    state: "SUSPENDED",
    owner: "user",
    settings: {
      display_name: "job",
      description: "",
      priority: "NORMAL",
      notify_flags: 3,
      notify_command: null,
      minimum_retry_delay_secs: 600,
      no_progress_timeout_secs: 1_209_600,
      maximum_download_time_secs: 7_776_000,
      proxy: { usage: "PRECONFIG" },
      redirect_policy: { mode: "ALLOW_SILENT", allow_https_to_http: false },
      dynamic_content: false,
      reply_file_name: null,
      http_method: null,
      retry_policy: "FIXED",
      connections: 1,
      speed_limit: null,
      auto_complete: false,
    },
    files,
    progress: {
      bytes_total: known ? files.reduce((sum, f) => sum + (f.bytes_total ?? 0), 0) : null,
      bytes_transferred: files.reduce((sum, f) => sum + f.bytes_transferred, 0),
      files_total: files.length,
      files_transferred: files.filter((f) => f.transferred).length,
    },
    reply_progress: null,
    times: { created: 1_700_000_000_000, modified: 1_700_000_000_000, transfer_completed: null },
    error: null,
    error_count: 0,
    credentials_set: [],
    custom_header_names: [],
    retry_in_ms: null,
  };
  const { settings, ...rest } = overrides;
  return { ...base, ...rest, files, settings: { ...base.settings, ...settings } };
}

/** An error as the engine reports it. */
export function jobError(code: number, codeName: string, overrides: Partial<JobError> = {}): JobError {
  return {
    code,
    code_name: codeName,
    context: "REMOTE_FILE",
    description: "the server answered",
    file_index: 0,
    protocol: "http",
    retry_after_secs: null,
    ...overrides,
  };
}

/** The application's default settings. */
export function settings(overrides: Partial<Settings> = {}): Settings {
  return {
    default_folder: "/home/user/Downloads",
    foreground_concurrency: 6,
    notifications_enabled: true,
    notify_on_transferred: true,
    notify_on_error: true,
    notify_on_auto_cancel: true,
    policies: {
      JobInactivityTimeoutSecs: 7_776_000,
      MaxJobsPerUser: 60,
      MaxJobsPerMachine: 300,
      MaxFilesPerJob: 200,
      MaxRangesPerFile: 500,
      MaxInternetBandwidth: { Enabled: false, StartHour: 8, EndHour: 17, InWindowKbps: 1000, OutsideKbps: null },
    },
    start_at_login: false,
    clipboard_offer: false,
    theme: "system",
    language: "en",
    quick_retries: true,
    auto_complete: false,
    connections: 1,
    ...overrides,
  };
}

/**
 * A progress batch about one job: its progress with `changes` applied and, when given, the file
 * being transferred as [index, bytes transferred, bytes total] and the files that finished since
 * the last batch, each as [index, final bytes, total].
 */
export function progressBatch(
  target: JobInfo,
  changes: Partial<Progress>,
  currentFile: [number, number, number | null] | null = null,
  finished: Array<[number, number, number | null]> = [],
): Extract<EngineEvent, { kind: "progress" }> {
  return {
    kind: "progress",
    jobs: [
      {
        id: target.id,
        progress: { ...target.progress, ...changes },
        current_file: currentFile && [currentFile[0], { transferred: currentFile[1], total: currentFile[2] }],
        finished_files: finished.map(([index, transferred, total]) => [index, { transferred, total }]),
        reply_progress: null,
      },
    ],
  };
}
