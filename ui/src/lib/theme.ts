/**
 * The colour theme: force light or dark, or follow the system's preference. Either way the
 * document carries the resolved choice in `data-theme` ("light" or "dark"), so app.css needs
 * one dark palette.
 */
import type { Theme } from "./shell-types";

/** The system's preference for dark colours, or null where the page cannot ask (no matchMedia). */
export function systemPrefersDark(): MediaQueryList | null {
  return typeof window.matchMedia === "function" ? window.matchMedia("(prefers-color-scheme: dark)") : null;
}

/** Stops following the system's preference, when a "system" theme is applied. */
let stopFollowing: (() => void) | null = null;

/**
 * Applies a theme to the document. "system" resolves to light or dark from `systemDark` and
 * follows its changes until another theme is applied.
 */
export function applyTheme(
  theme: Theme,
  root: HTMLElement = document.documentElement,
  systemDark: MediaQueryList | null = systemPrefersDark(),
): void {
  stopFollowing?.();
  stopFollowing = null;
  if (theme !== "system") {
    root.dataset.theme = theme;
    return;
  }
  const follow = () => {
    root.dataset.theme = systemDark?.matches ? "dark" : "light";
  };
  follow();
  if (!systemDark) return;
  systemDark.addEventListener("change", follow);
  stopFollowing = () => systemDark.removeEventListener("change", follow);
}
