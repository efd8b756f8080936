// Ferry's tray icon and its menu, used as a person does: click the icon, walk the menu with the
// keyboard.

import { execFileSync } from "node:child_process";

import { clickCentre, pressKeys, trayIcons, viewableTopLevels } from "./desktop.mjs";
import { waitFor } from "./wait.mjs";

/**
 * The tray menu's items, top to bottom, that the keyboard reaches: it skips the separators and
 * the status line at the top (a disabled item).
 */
export const TRAY_MENU = ["Show Ferry", "Pause all", "Resume all", "Quit"];

/** Waits for the icon docked in the tray and returns it (see trayIcons). */
export async function waitForTrayIcon() {
  const [icon] = await waitFor("Ferry's tray icon", () => trayIcons().length > 0 && trayIcons());
  return icon;
}

/** Clicks the tray icon `icon` and waits until its menu is on screen. */
export async function openTrayMenu(icon) {
  const before = new Set(viewableTopLevels());
  clickCentre(icon);
  await waitFor("the tray menu to open", () => viewableTopLevels().some((id) => !before.has(id)));
}

/** Chooses `item` in the open tray menu: Down to it from the top, then Return. */
export function chooseTrayMenuItem(item) {
  const index = TRAY_MENU.indexOf(item);
  if (index < 0) throw new Error(`the tray menu has no item "${item}"`);
  pressKeys(...Array(index + 1).fill("Down"), "Return");
}

/**
 * How many of the docked icon's pixels are the attention icon's red badge: the icon's socket
 * window captured by ImageMagick, read pixel by pixel.
 */
export function redPixelsOf(icon) {
  return redPixelsIn(execFileSync("import", ["-window", icon.id, "-depth", "8", "txt:-"], { encoding: "utf8" }));
}

/** The red pixels in ImageMagick's `txt:` listing of an 8-bit image. */
export function redPixelsIn(listing) {
  let red = 0;
  for (const line of listing.split("\n")) {
    const match = /:\s*\((\d+),(\d+),(\d+)/.exec(line);
    if (!match) continue;
    const [r, g, b] = match.slice(1, 4).map(Number);
    if (r > 180 && g < 100 && b < 100) red += 1;
  }
  return red;
}
