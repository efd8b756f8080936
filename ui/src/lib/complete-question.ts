/**
 * The question the window asks before Completing a download that is not TRANSFERRED, built
 * from the job as it is now. The dialog rebuilds it whenever the job changes, and the answer
 * is checked against the owner's current job before Complete runs: a question whose promise
 * (which files are kept) no longer holds is asked again instead of acted on.
 */
import type { JobInfo } from "./bindings/JobInfo";
import { t, tv } from "./i18n";
import { completePlan } from "./rules";

/** What the Complete question shows and promises. */
export type CompleteQuestion = {
  title: string;
  message: string;
  kept: string[];
  discarded: string[];
  /** Whether files would be lost. */
  danger: boolean;
  /** Which files Complete keeps, as a comparable key: equal keys make the same promise. */
  promise: string;
};

/** The sentence shown when the promise changed between showing the question and the answer. */
export function completeChangedNote(): string {
  return t("notices.confirmCompleteChanged");
}

/** The Complete question for `job` as it is now. */
export function completeQuestion(job: JobInfo): CompleteQuestion {
  const name = job.settings.display_name;
  const plan = completePlan(job);
  const total = job.files.length;
  let message: string;
  if (plan.discarded.length === 0 && total === 1) {
    message = t("notices.confirmCompleteOne");
  } else if (plan.discarded.length === 0) {
    message = tv("notices.confirmCompleteAll", { total });
  } else if (plan.kept.length === 0) {
    message = t("notices.confirmCompleteNothing");
  } else {
    message = t("notices.confirmCompleteSome");
  }
  return {
    title: tv("notices.confirmComplete", { name }),
    message,
    kept: plan.kept.map((file) => file.local_path),
    discarded: plan.discarded.map((file) => file.local_path),
    danger: plan.discarded.length > 0,
    promise: `${total}:${plan.kept.map((file) => file.index).join(",")}`,
  };
}
