import { fireEvent, render, screen } from "@testing-library/svelte";
import App from "../src/App.svelte";
import type { Settings } from "../src/lib/shell-types";
import { settings } from "./fixtures";
import { fakeShell, type SentCommand } from "./ipc-backend";

/** Opens the window on the Settings page with `stored` as the saved settings; returns what it sent. */
export async function settingsPage(stored: Settings = settings()): Promise<SentCommand[]> {
  const sent = fakeShell({
    subscribe_jobs: [],
    get_settings: stored,
    set_settings: (args: Record<string, unknown>) => args.settings,
  });
  render(App);
  await fireEvent.click(await screen.findByTestId("nav-settings"));
  await screen.findByTestId("settings-page");
  return sent;
}
