// The extension's background: the link menu item and, when turned on, the downloads take-over.
// Listeners are registered at the top level so the browser wakes this worker for them.

import { createMenu, onMenuClicked } from "./menu.js";
import { api } from "./settings.js";
import { onBrowserDownload } from "./takeover.js";

api.runtime.onInstalled.addListener(createMenu);
api.contextMenus.onClicked.addListener(onMenuClicked);
api.downloads.onCreated.addListener(onBrowserDownload);
