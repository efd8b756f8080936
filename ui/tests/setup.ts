import { clearMocks } from "@tauri-apps/api/mocks";
import { afterEach } from "vitest";

afterEach(() => {
  clearMocks();
  delete document.documentElement.dataset.theme;
  // The window keeps its view in the URL fragment; each test starts with a fresh window.
  history.replaceState(null, "", "/");
});
