/**
 * The window's shared state and the verbs its buttons call: selection, dialogs, confirmations
 * and the messages that report what a verb did. Components read it; only the verbs change it.
 */
import type { Credentials } from "./bindings/Credentials";
import type { JobId } from "./bindings/JobId";
import type { JobInfo } from "./bindings/JobInfo";
import type { Priority } from "./bindings/Priority";
import type { CompleteOutcome, Settings } from "./shell-types";
import * as ipc from "./ipc";
import { CommandError } from "./ipc";
import { JobStore, afterNextPaint } from "./jobs";
import {
  BG_S_PARTIAL_COMPLETE,
  BG_S_UNABLE_TO_DELETE_FILES,
  ERROR_FILE_EXISTS,
  S_OK,
} from "./codes";
import { completeChangedNote, completeQuestion } from "./complete-question";
import { baseName } from "./format";
import {
  canCancel,
  canComplete,
  canResume,
  canSuspend,
  completeNeedsConfirmation,
} from "./rules";
import { applyLanguage, t, tv } from "./i18n";
import { completeAllNotice } from "./queue-limit";
import { applyTheme } from "./theme";
import type { StateFilter } from "./view";
import { rowsAtTop } from "./virtual";

/** The page the window shows. */
export type Page = "transfers" | "history" | "settings";

/** A part of the settings page another page can send the user to. */
export type SettingsPart = "bandwidth";

/** A question the user must answer before a verb runs. */
export type Confirmation = {
  title: string;
  message: string;
  /** Named lists of files, e.g. "Kept" and "Discarded". */
  lists: Array<{ id: string; label: string; items: string[] }>;
  confirmLabel: string;
  /** The button that answers "no". */
  dismissLabel: string;
  danger: boolean;
  run: () => Promise<void>;
  /**
   * Rebuilds the question from the jobs as the window knows them now (its text follows the
   * job); null when it no longer applies. Absent for a question that cannot change.
   */
  follow?: (jobs: ReadonlyMap<JobId, JobInfo>) => Confirmation | null;
  /**
   * Rebuilds the question from the owner's current jobs just before the verb runs; null when
   * it no longer applies. When its `promise` differs from the one shown, the question is asked
   * again instead of acted on.
   */
  recheck?: () => Promise<Confirmation | null>;
  /** What the question promises, compared by `recheck`. */
  promise?: string;
  /** Shown when the question is asked again because its promise changed. */
  changedNote?: string | null;
};

/** A message about something that happened. */
export type Notice = {
  id: number;
  tone: "success" | "warning" | "error" | "info";
  title: string;
  detail: string;
  /** Set for the message that reports a Complete. */
  outcome: CompleteOutcome | null;
  /** Files the user may open or show in their folder. */
  paths: string[];
};

/** Messages shown at once; an older one leaves when a new one would make more. */
export const MAX_NOTICES = 3;
/** How long a success or info message stays before it leaves by itself. */
export const NOTICE_LINGER_MS = 8000;

/** What a Complete did, in words. */
export function describeOutcome(name: string, outcome: CompleteOutcome): Omit<Notice, "id"> {
  const paths = outcome.kept;
  if (outcome.rename_failures.length > 0) {
    const existing = outcome.rename_failures.filter((f) => f.code === ERROR_FILE_EXISTS);
    if (existing.length === outcome.rename_failures.length) {
      const names = existing.map((f) => baseName(f.path)).join(", ");
      return {
        tone: "error",
        title: tv("notices.alreadyExists", { name, names }),
        detail: t("notices.alreadyExistsDetail"),
        outcome,
        paths,
      };
    }
    const failed = outcome.rename_failures.map((f) =>
      tv("notices.fileFailure", { name: baseName(f.path), message: f.message }),
    );
    return {
      tone: "error",
      title: tv("notices.notRenamed", { name, count: outcome.rename_failures.length }),
      detail: tv("notices.notRenamedDetail", { failures: failed.join("; ") }),
      outcome,
      paths,
    };
  }
  if (outcome.code === BG_S_PARTIAL_COMPLETE) {
    const kept = outcome.kept.map(baseName).join(", ") || t("notices.none");
    const discarded = outcome.discarded.map(baseName).join(", ") || t("notices.none");
    return {
      tone: "warning",
      title: tv("notices.partially", { name }),
      detail: tv("notices.partiallyDetail", { kept, discarded }),
      outcome,
      paths,
    };
  }
  const count = outcome.kept.length;
  const leftover = outcome.code === BG_S_UNABLE_TO_DELETE_FILES;
  return {
    tone: outcome.code === S_OK ? "success" : "warning",
    title: tv("notices.completed", { name }),
    detail: tv(leftover ? "notices.filesReadyLeftover" : "notices.filesReady", { count }),
    outcome,
    paths,
  };
}

/** The question before opening a file that can run programs. */
export function runsProgramsQuestion(path: string, run: () => Promise<void>): Confirmation {
  const name = baseName(path);
  return {
    title: tv("openPrograms.title", { name }),
    message: tv("openPrograms.message", { name }),
    lists: [],
    confirmLabel: t("openPrograms.open"),
    dismissLabel: t("openPrograms.dontOpen"),
    danger: true,
    run,
  };
}

/** The window's state. */
export class AppState {
  page = $state<Page>("transfers");
  selectedId = $state<JobId | null>(null);
  /** The job list's state filter. */
  stateFilter = $state<StateFilter>("ALL");
  detailsOpen = $state(false);
  addOpen = $state(false);
  /** URLs dropped on the window, handed to the Add dialog when it opens. */
  addPrefill = $state("");
  confirmation = $state<Confirmation | null>(null);
  notices = $state<Notice[]>([]);
  /** The last Complete of a job whose renames failed (the job stays TRANSFERRED). */
  renameFailures = $state<Record<JobId, CompleteOutcome>>({});
  settings = $state<Settings | null>(null);
  /** The part of the settings page to bring into view when it next opens. */
  settingsFocus = $state<SettingsPart | null>(null);
  /** Grows when a job leaves the queue, so the history page knows to reload. */
  historyVersion = $state(0);
  /** Set when the event stream could not be opened. */
  connectionError = $state<string | null>(null);
  private nextNoticeId = 1;

  constructor(readonly jobs: JobStore) {
    jobs.subscribe((view) => this.followConfirmation(view.byId));
  }

  /** Keeps an open question that follows the jobs true to them. */
  private followConfirmation(jobs: ReadonlyMap<JobId, JobInfo>): void {
    const current = this.confirmation;
    if (!current?.follow) return;
    const next = current.follow(jobs);
    this.confirmation = next && { ...next, changedNote: current.changedNote ?? null };
  }

  /**
   * Opens the event stream and loads the settings. While every job is on its way, the first
   * rows the list can show come first (a preview the snapshot replaces).
   */
  async start(): Promise<void> {
    performance.mark("ferry:list-asked");
    // Only a head start: without it the list waits for the snapshot.
    const first = await ipc.firstJobs(rowsAtTop(window.innerHeight)).catch(() => null);
    if (first) {
      this.jobs.preview(first.jobs, first.total);
      // Let those rows paint before the snapshot (megabytes of JSON) is read.
      await afterNextPaint();
    }
    try {
      const snapshot = await ipc.subscribeJobs((event) => {
        this.jobs.push(event);
        if (event.kind === "job_removed" || event.kind === "job_auto_cancelled") {
          this.historyVersion += 1;
          this.forget(event.id);
        }
        if (event.kind === "job_auto_cancelled") {
          this.notify({
            tone: "info",
            title: tv("notices.autoCancelled", { name: event.display_name }),
            detail: tv("notices.autoCancelledDetail", { days: Number(event.idle_days) }),
            outcome: null,
            paths: [],
          });
        }
      });
      performance.mark("ferry:list-answered");
      this.jobs.load(snapshot);
    } catch (reason) {
      this.connectionError = ipc.toCommandError(reason).message;
    }
    try {
      this.settings = await ipc.getSettings();
      applyTheme(this.settings.theme);
      applyLanguage(this.settings.language);
    } catch (reason) {
      this.report(t("notices.settingsUnreadable"), reason);
    }
  }

  /** Drops what the window held about a job that left the queue. */
  private forget(id: JobId): void {
    if (this.selectedId === id) {
      this.selectedId = null;
      this.detailsOpen = false;
    }
    if (id in this.renameFailures) {
      const failures = { ...this.renameFailures };
      delete failures[id];
      this.renameFailures = failures;
    }
  }

  /** The selected job, if it still exists. */
  selected(): JobInfo | undefined {
    return this.selectedId === null ? undefined : this.jobs.get(this.selectedId);
  }

  /**
   * Adds a message (newest first, at most [`MAX_NOTICES`] at once); returns its id. Success
   * and info messages leave by themselves after [`NOTICE_LINGER_MS`]; warnings and errors stay
   * until dismissed.
   */
  notify(notice: Omit<Notice, "id">): number {
    const id = this.nextNoticeId++;
    this.notices = [{ ...notice, id }, ...this.notices].slice(0, MAX_NOTICES);
    if (notice.tone === "success" || notice.tone === "info") {
      setTimeout(() => this.dismiss(id), NOTICE_LINGER_MS);
    }
    return id;
  }

  /** Removes a message. */
  dismiss(id: number): void {
    if (this.notices.some((notice) => notice.id === id)) {
      this.notices = this.notices.filter((notice) => notice.id !== id);
    }
  }

  /** Reports a failed verb with the engine's code. */
  report(title: string, reason: unknown): void {
    const error = reason instanceof CommandError ? reason : ipc.toCommandError(reason);
    this.notify({
      tone: "error",
      title,
      detail: `${error.message} (${error.name})`,
      outcome: null,
      paths: [],
    });
  }

  /** Runs a verb, reporting its failure. Answers whether it succeeded. */
  async attempt(title: string, verb: () => Promise<unknown>): Promise<boolean> {
    try {
      await verb();
      return true;
    } catch (reason) {
      this.report(title, reason);
      return false;
    }
  }

  /** Opens the Add dialog, optionally with URLs to start from. */
  openAdd(prefill = ""): void {
    this.addPrefill = prefill;
    this.addOpen = true;
  }

  /** Complete, after asking when it would discard files. */
  requestComplete(job: JobInfo): void {
    if (!canComplete(job.job_type, job.state)) return;
    const name = job.settings.display_name;
    if (!completeNeedsConfirmation(job.job_type, job.state)) {
      void this.complete(job.id, name);
      return;
    }
    this.confirmation = this.completeConfirmation(job);
  }

  /** The question before Complete, following the job while it is open. */
  private completeConfirmation(job: JobInfo): Confirmation {
    const question = completeQuestion(job);
    const id = job.id;
    const name = job.settings.display_name;
    const rebuild = (now: JobInfo | undefined) =>
      now && canComplete(now.job_type, now.state) ? this.completeConfirmation(now) : null;
    return {
      title: question.title,
      message: question.message,
      lists: [
        { id: "kept", label: t("notices.kept"), items: question.kept },
        { id: "discarded", label: t("notices.discarded"), items: question.discarded },
      ],
      confirmLabel: t("notices.complete"),
      dismissLabel: t("notices.notNow"),
      danger: question.danger,
      run: () => this.complete(id, name),
      follow: (jobs) => rebuild(jobs.get(id)),
      recheck: async () => rebuild((await ipc.listJobs()).find((candidate) => candidate.id === id)),
      promise: question.promise,
      changedNote: null,
    };
  }

  /** Complete all ready: completes every TRANSFERRED job and says how many. */
  completeAllReady(): Promise<boolean> {
    return this.attempt(t("queueLimit.completeAllFailed"), async () =>
      this.notify(completeAllNotice(await ipc.completeAllReady())),
    );
  }

  /** Shows the jobs that wait for Complete or are in ERROR (closing the Add dialog). */
  showReadyOrFailed(): void {
    this.addOpen = false;
    this.page = "transfers";
    this.stateFilter = "READY_OR_FAILED";
  }

  /** Calls Complete and shows its outcome. */
  async complete(id: JobId, name: string): Promise<void> {
    try {
      const outcome = await ipc.completeJob(id);
      const failures = { ...this.renameFailures };
      if (outcome.rename_failures.length > 0) failures[id] = outcome;
      else delete failures[id];
      this.renameFailures = failures;
      this.notify(describeOutcome(name, outcome));
    } catch (reason) {
      this.report(tv("notices.notCompleted", { name }), reason);
    }
  }

  /** Cancel, after saying that temporary files will be deleted. */
  requestCancel(job: JobInfo): void {
    if (!canCancel(job.state)) return;
    const name = job.settings.display_name;
    const upload = job.job_type !== "DOWNLOAD";
    this.confirmation = {
      title: tv("notices.confirmCancel", { name }),
      message: upload ? t("notices.confirmCancelUpload") : t("notices.confirmCancelDownload"),
      lists: [],
      confirmLabel: t("notices.cancelJob"),
      dismissLabel: t("notices.keepJob"),
      danger: true,
      run: () => this.cancel(job.id, name),
    };
  }

  /** Calls Cancel and reports leftovers. */
  async cancel(id: JobId, name: string): Promise<void> {
    try {
      const code = await ipc.cancelJob(id);
      if (this.selectedId === id) this.detailsOpen = false;
      if (code === BG_S_UNABLE_TO_DELETE_FILES) {
        this.notify({
          tone: "warning",
          title: tv("notices.cancelled", { name }),
          detail: t("notices.cancelLeftover"),
          outcome: null,
          paths: [],
        });
      }
    } catch (reason) {
      this.report(tv("notices.notCancelled", { name }), reason);
    }
  }

  /** Suspends a moving job or resumes a stopped one. */
  async toggleSuspend(job: JobInfo): Promise<void> {
    if (canSuspend(job.state)) await this.suspend(job);
    else if (canResume(job.state, job.progress.files_total)) await this.resume(job);
  }

  /** Suspend. */
  suspend(job: JobInfo): Promise<boolean> {
    return this.attempt(tv("notices.notSuspended", { name: job.settings.display_name }), () =>
      ipc.suspendJob(job.id),
    );
  }

  /** Resume (also "Retry now"). */
  resume(job: JobInfo): Promise<boolean> {
    return this.attempt(tv("notices.notResumed", { name: job.settings.display_name }), () =>
      ipc.resumeJob(job.id),
    );
  }

  /** Shows the settings page, with `part` in view when given. */
  openSettings(part: SettingsPart | null = null): void {
    this.settingsFocus = part;
    this.page = "settings";
  }

  /** Changes a job's priority. */
  setPriority(job: JobInfo, priority: Priority): Promise<boolean> {
    return this.attempt(tv("notices.priorityNotChanged", { name: job.settings.display_name }), () =>
      ipc.setPriority(job.id, priority),
    );
  }

  /** Sets credentials for every scheme asked for. */
  async setCredentials(job: JobInfo, credentials: Credentials[]): Promise<void> {
    for (const entry of credentials) await ipc.setCredentials(job.id, entry);
  }

  /**
   * Opens a file with its application. A file that would run a program (a script, a launcher,
   * an executable) is not opened: the window asks first, as browsers do.
   */
  open(path: string): Promise<boolean> {
    return this.attempt(t("notices.fileNotOpened"), async () => {
      if (await ipc.openPath(path, false)) return;
      this.confirmation = runsProgramsQuestion(path, () =>
        this.attempt(t("notices.fileNotOpened"), () => ipc.openPath(path, true)).then(() => {}),
      );
    });
  }

  /** Shows a file in its folder. */
  reveal(path: string): Promise<boolean> {
    return this.attempt(t("notices.folderNotOpened"), () => ipc.revealPath(path));
  }

  /** Answers the open confirmation. */
  async confirm(): Promise<void> {
    const confirmation = this.confirmation;
    if (!confirmation) return;
    if (confirmation.recheck) {
      let fresh: Confirmation | null;
      try {
        fresh = await confirmation.recheck();
      } catch (reason) {
        this.report(t("openPrograms.recheckFailed"), reason);
        return;
      }
      // The question shown now: it may have followed the job while the owner answered.
      const shown = this.confirmation;
      if (shown === null) return;
      if (fresh === null) {
        this.confirmation = null;
        return;
      }
      if (fresh.promise !== shown.promise) {
        this.confirmation = { ...fresh, changedNote: completeChangedNote() };
        return;
      }
    }
    this.confirmation = null;
    await confirmation.run();
  }

  /** Dismisses the open confirmation. */
  dismissConfirmation(): void {
    this.confirmation = null;
  }

  /** Saves settings and applies the theme. */
  async saveSettings(settings: Settings): Promise<Settings> {
    const saved = await ipc.setSettings(settings);
    this.settings = saved;
    applyTheme(saved.theme);
    applyLanguage(saved.language);
    return saved;
  }
}
