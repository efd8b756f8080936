// Ferry's tray icon and its menu, used as a person does: click the icon, walk the menu with the
// keyboard.

import { clickCentre, pressKeys, trayIcons, viewableTopLevels } from "./desktop.mjs";
import { waitFor } from "./wait.mjs";

/** The tray menu's items, top to bottom (the keyboard skips its separators). */
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
