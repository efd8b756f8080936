/**
 * The shell's types, in one place for the rest of the window. Those the shell (crate `ferry`)
 * exports are re-exported from `./bindings/`; the engine's Complete outcome and history entry
 * are spelled out here, field for field as ts-rs writes them, until their generated files are
 * committed beside the others.
 */
import type { ErrorCode } from "./bindings/ErrorCode";
import type { JobId } from "./bindings/JobId";
import type { JobState } from "./bindings/JobState";
import type { JobType } from "./bindings/JobType";

export type { IpcError } from "./bindings/IpcError";
export type { NewJobRequest } from "./bindings/NewJobRequest";
export type { Settings } from "./bindings/Settings";
export type { ShellEvent } from "./bindings/ShellEvent";
export type { Theme } from "./bindings/Theme";
export type { UiEvent } from "./bindings/UiEvent";

/** A file whose temporary copy could not be renamed into place by Complete. */
export type RenameFailure = {
  path: string;
  code: ErrorCode;
  message: string;
};

/** What `complete_job` did. */
export type CompleteOutcome = {
  /** S_OK, BG_S_PARTIAL_COMPLETE, BG_S_UNABLE_TO_DELETE_FILES, or the first failed rename's code. */
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
