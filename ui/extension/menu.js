// The "Download with Ferry" item on links.

import { downloadWithFerry } from "./ferry.js";
import { api } from "./settings.js";

/** The menu item's id. */
export const MENU_ID = "download-with-ferry";

/** Adds the item to the menu of every link (again after an update; ids are unique). */
export async function createMenu() {
  await api.contextMenus.removeAll();
  api.contextMenus.create({ id: MENU_ID, title: "Download with Ferry", contexts: ["link"] });
}

/** The menu's click: hands the link and the page it was on to Ferry; resolves to Ferry's answer. */
export function onMenuClicked(info, tab) {
  if (info.menuItemId !== MENU_ID || !info.linkUrl) return Promise.resolve(undefined);
  return downloadWithFerry({ url: info.linkUrl, referrer: info.pageUrl ?? tab?.url });
}
