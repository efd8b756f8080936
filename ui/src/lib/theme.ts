/**
 * The colour theme: follow the system (prefers-color-scheme) or force light or dark.
 */
import type { Theme } from "./shell-types";

/** Applies a theme to the document; "system" leaves the choice to the OS. */
export function applyTheme(theme: Theme, root: HTMLElement = document.documentElement): void {
  if (theme === "system") delete root.dataset.theme;
  else root.dataset.theme = theme;
}
