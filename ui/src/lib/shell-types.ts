/**
 * The types the window exchanges with the shell, in one place for the rest of the window. All
 * are generated from the Rust types into `./bindings/`.
 */
export type { CompleteOutcome } from "./bindings/CompleteOutcome";
export type { FirstJobs } from "./bindings/FirstJobs";
export type { HistoryEntry } from "./bindings/HistoryEntry";
export type { IpcError } from "./bindings/IpcError";
export type { NewJobRequest } from "./bindings/NewJobRequest";
export type { RenameFailure } from "./bindings/RenameFailure";
export type { Settings } from "./bindings/Settings";
export type { ShellEvent } from "./bindings/ShellEvent";
export type { Theme } from "./bindings/Theme";
export type { UiEvent } from "./bindings/UiEvent";
