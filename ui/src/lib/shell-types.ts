/**
 * Types of the shell's own commands and events (crate `ferry`), field for field as its `ts`
 * feature exports them; the engine's types come from `./bindings/`.
 */
import type { Credentials } from "./bindings/Credentials";
import type { EngineEvent } from "./bindings/EngineEvent";
import type { ErrorCode } from "./bindings/ErrorCode";
import type { FileSpec } from "./bindings/FileSpec";
import type { JobId } from "./bindings/JobId";
import type { JobInfo } from "./bindings/JobInfo";
import type { JobState } from "./bindings/JobState";
import type { JobType } from "./bindings/JobType";
import type { Policies } from "./bindings/Policies";
import type { Priority } from "./bindings/Priority";

/** Everything `create_job` needs; the engine validates it and leaves nothing behind on error. */
export type NewJobRequest = {
  display_name: string;
  job_type: JobType;
  priority: Priority;
  files: Array<FileSpec>;
  credentials: Credentials | null;
  reply_file_name: string | null;
};

/** A file whose temporary copy could not be renamed into place by Complete. */
export type RenameFailure = {
  path: string;
  code: ErrorCode;
  message: string;
};

/** What `complete_job` did. */
export type CompleteOutcome = {
  /** S_OK, BG_S_PARTIAL_COMPLETE or BG_S_UNABLE_TO_DELETE_FILES. */
  code: ErrorCode;
  /** ACKNOWLEDGED, or TRANSFERRED when a rename failed and the job stays. */
  state: JobState;
  kept: Array<string>;
  discarded: Array<string>;
  rename_failures: Array<RenameFailure>;
};

/** A finished job, for the history view. */
export type HistoryEntry = {
  id: JobId;
  display_name: string;
  job_type: JobType;
  /** ACKNOWLEDGED or CANCELLED. */
  state: JobState;
  /** UTC milliseconds. */
  finished_at: number;
  /** Files handed to the user (empty when cancelled). */
  files: Array<string>;
  bytes: number;
  /** Whether the inactivity policy cancelled it. */
  auto_cancelled: boolean;
};

/** The colour theme: follow the system, or force one. */
export type Theme = "light" | "dark" | "system";

/** The application's settings. */
export type Settings = {
  default_folder: string;
  foreground_concurrency: number;
  notifications_enabled: boolean;
  notify_on_transferred: boolean;
  notify_on_error: boolean;
  notify_on_auto_cancel: boolean;
  policies: Policies;
  start_at_login: boolean;
  theme: Theme;
};

/** How every command error crosses to the UI. The UI switches on `code` or `name`. */
export type IpcError = {
  code: number;
  name: string;
  message: string;
};

/** Events the shell adds to the engine's on the window's channel. */
export type ShellEvent = {
  /**
   * The stream skipped events because the window fell behind: these are all the jobs now,
   * and they replace whatever the window held.
   */
  kind: "snapshot";
  jobs: Array<JobInfo>;
};

/** What the window receives on its channel: every engine event, plus the shell's own. */
export type UiEvent = EngineEvent | ShellEvent;
