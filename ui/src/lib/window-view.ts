/**
 * The part of the window's state that a reopened window gets back: the page, the selected job
 * and whether its details are open. Closing the window destroys it (Ferry stays in the tray);
 * the window keeps this view in its URL's fragment, which the shell hands to the next window.
 */
import type { Page } from "./app.svelte";
import type { JobId } from "./bindings/JobId";

/** What a reopened window restores. */
export interface WindowView {
  page: Page;
  selectedId: JobId | null;
  detailsOpen: boolean;
}

const PAGES: ReadonlySet<string> = new Set<Page>(["transfers", "history", "settings"]);
/** Job ids are GUIDs; anything else in a fragment is ignored. */
const JOB_ID = /^[0-9a-f-]{1,64}$/i;

/** The fragment (without "#") for `view`; empty for the view a fresh window has anyway. */
export function viewToFragment(view: WindowView): string {
  const parts: string[] = [];
  if (view.page !== "transfers") parts.push(`page=${view.page}`);
  if (view.selectedId !== null && JOB_ID.test(view.selectedId)) {
    parts.push(`job=${view.selectedId}`);
    if (view.detailsOpen) parts.push("details=1");
  }
  return parts.join("&");
}

/** The view a fragment (with or without "#") describes; what it does not say is left out. */
export function viewFromFragment(fragment: string): Partial<WindowView> {
  const view: Partial<WindowView> = {};
  for (const part of fragment.replace(/^#/, "").split("&")) {
    const [key, value = ""] = part.split("=", 2);
    if (key === "page" && PAGES.has(value)) view.page = value as Page;
    if (key === "job" && JOB_ID.test(value)) view.selectedId = value;
    if (key === "details") view.detailsOpen = value === "1";
  }
  if (view.selectedId === undefined) delete view.detailsOpen;
  else view.detailsOpen ??= false;
  return view;
}
