/**
 * The one door to the shell: every Tauri command the window uses, typed. No other module
 * imports `@tauri-apps/api`.
 */
import { Channel, invoke } from "@tauri-apps/api/core";
import type { CompleteAllOutcome } from "./bindings/CompleteAllOutcome";
import type { Credentials } from "./bindings/Credentials";
import type { JobId } from "./bindings/JobId";
import type { JobInfo } from "./bindings/JobInfo";
import type { Priority } from "./bindings/Priority";
import type { ProbeRequest } from "./bindings/ProbeRequest";
import type { ProbeResult } from "./bindings/ProbeResult";
import type {
  CompleteOutcome,
  FirstJobs,
  HistoryEntry,
  IpcError,
  NewJobRequest,
  Settings,
  UiEvent,
} from "./shell-types";
import { E_FAIL } from "./codes";

/** A command failed; `code` and `name` are the engine's stable error code. */
export class CommandError extends Error implements IpcError {
  readonly code: number;
  override readonly name: string;

  constructor(error: IpcError) {
    super(error.message);
    this.code = error.code;
    this.name = error.name;
  }
}

function isIpcError(value: unknown): value is IpcError {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  return typeof record.code === "number" && typeof record.name === "string";
}

/** Turns whatever a rejected command carried into a [`CommandError`]. */
export function toCommandError(reason: unknown): CommandError {
  if (reason instanceof CommandError) return reason;
  if (isIpcError(reason)) {
    const message = typeof reason.message === "string" ? reason.message : reason.name;
    return new CommandError({ code: reason.code, name: reason.name, message });
  }
  const message = reason instanceof Error ? reason.message : String(reason);
  return new CommandError({ code: E_FAIL, name: "E_FAIL", message });
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (reason) {
    throw toCommandError(reason);
  }
}

/**
 * Opens the one event stream: returns the current jobs, then hands every later change
 * (lifecycle events at once, progress in batches) to `onEvent`.
 */
export function subscribeJobs(onEvent: (event: UiEvent) => void): Promise<JobInfo[]> {
  const channel = new Channel<UiEvent>();
  channel.onmessage = onEvent;
  return call<JobInfo[]>("subscribe_jobs", { channel });
}

/**
 * The queue's first `count` jobs (oldest first) and how many it holds, from the list the shell
 * fetched while the window started; null once [`subscribeJobs`] has taken that list.
 */
export const firstJobs = (count: number) => call<FirstJobs | null>("first_jobs", { count });
/** Current jobs, without subscribing. */
export const listJobs = () => call<JobInfo[]>("list_jobs");
/** Creates a job with its files; answers the new job. */
export const createJob = (request: NewJobRequest) => call<JobInfo>("create_job", { request });
/** Asks the servers about URLs before they are added: one answer per URL, in order. */
export const probeUrls = (request: ProbeRequest) => call<ProbeResult[] | null>("probe_urls", { request });
/** Resume (also "Retry now"). */
export const resumeJob = (id: JobId) => call<void>("resume_job", { id });
/** Suspend. */
export const suspendJob = (id: JobId) => call<void>("suspend_job", { id });
/** Cancel; answers S_OK or BG_S_UNABLE_TO_DELETE_FILES. */
export const cancelJob = (id: JobId) => call<number>("cancel_job", { id });
/** Complete: hands over the transferred files. */
export const completeJob = (id: JobId) => call<CompleteOutcome>("complete_job", { id });
/** "Replace": lets Complete replace the existing file under file `fileIndex`'s name. */
export const replaceExistingFile = (id: JobId, fileIndex: number) =>
  call<void>("replace_existing_file", { id, fileIndex });
/** "Keep both": gives the file the first free name like "name (2).ext"; answers it. */
export const keepBothFiles = (id: JobId, fileIndex: number) =>
  call<string>("keep_both_files", { id, fileIndex });
/** "Choose a name": the native save-file picker; answers the path, or null when dismissed. */
export const chooseFileName = (id: JobId, fileIndex: number) =>
  call<string | null>("choose_file_name", { id, fileIndex });
/** Changes the priority. */
export const setPriority = (id: JobId, priority: Priority) =>
  call<void>("set_priority", { id, priority });
/** Points one file at another URL. */
export const setRemoteName = (id: JobId, fileIndex: number, url: string) =>
  call<void>("set_remote_name", { id, fileIndex, url });
/** Moves every file not yet transferred to another folder. */
export const setLocalFolder = (id: JobId, folder: string) =>
  call<void>("set_local_folder", { id, folder });
/** Sets credentials for the server or the proxy. */
export const setCredentials = (id: JobId, credentials: Credentials) =>
  call<void>("set_credentials", { id, credentials });
/** Accepts servers without sizes or ranges. */
export const setDynamicContent = (id: JobId, enabled: boolean) =>
  call<void>("set_dynamic_content", { id, enabled });
/** Sets how many connections one file of a download may use at once (1 to 16). */
export const setConnections = (id: JobId, connections: number) =>
  call<void>("set_connections", { id, connections });
/** Sets the job's own speed limit in bytes per second; null lifts it. */
export const setSpeedLimit = (id: JobId, bytesPerSecond: number | null) =>
  call<void>("set_speed_limit", { id, bytesPerSecond });
/** Discards a file's partial bytes so it downloads again from byte 0. */
export const restartFile = (id: JobId, fileIndex: number) =>
  call<void>("restart_file", { id, fileIndex });
/** Accepts the web page the server sends for a file as its content (the next Resume takes it). */
export const allowWebPage = (id: JobId, fileIndex: number) =>
  call<void>("allow_web_page", { id, fileIndex });
/** Opens a file's http(s) URL in the web browser. */
export const openRemoteUrl = (id: JobId, fileIndex: number) =>
  call<void>("open_remote_url", { id, fileIndex });
/** Pause all: suspends every job that is moving or waiting to move; answers how many. */
export const suspendAll = () => call<number>("suspend_all");
/** Resume all: resumes every job that was paused after it ran; answers how many. */
export const resumeAll = () => call<number>("resume_all");
/** Complete all ready: completes every TRANSFERRED job; how many, and how many were kept. */
export const completeAllReady = () => call<CompleteAllOutcome>("complete_all_ready");
/** Reads the settings. */
export const getSettings = () => call<Settings>("get_settings");
/** Saves the settings; answers what was stored. */
export const setSettings = (settings: Settings) => call<Settings>("set_settings", { settings });
/** Finished jobs, newest first. */
export const history = (limit: number) => call<HistoryEntry[]>("history", { limit });
/** Opens a file with its default application. */
export const openPath = (path: string, allowPrograms = false) =>
  call<boolean>("open_path", { path, allowPrograms });
/** Opens the folder holding a file. */
export const revealPath = (path: string) => call<void>("reveal_path", { path });
/** Native folder picker; null when dismissed. */
export const pickFolder = () => call<string | null>("pick_folder");
/** Native file picker; null when dismissed. */
export const pickFile = () => call<string | null>("pick_file");
