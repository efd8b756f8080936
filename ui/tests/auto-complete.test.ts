import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "../src/App.svelte";
import { job, settings } from "./fixtures";
import { fakeShell } from "./ipc-backend";

async function addWith(globalSetting: boolean, tick: boolean | null) {
  const created = job({ state: "SUSPENDED" });
  const sent = fakeShell({
    subscribe_jobs: [],
    get_settings: settings({ auto_complete: globalSetting }),
    create_job: created,
    resume_job: null,
  });
  render(App);
  await screen.findByText("No transfers yet");
  await fireEvent.click(screen.getByTestId("add-job-button"));
  await screen.findByTestId("add-job-dialog");
  const box = screen.getByTestId("add-auto-complete") as HTMLInputElement;
  expect(box.checked, "the box starts from the setting").toBe(globalSetting);
  if (tick !== null && box.checked !== tick) await fireEvent.click(box);
  await fireEvent.input(screen.getByTestId("add-urls"), { target: { value: "http://127.0.0.1/report.pdf" } });
  await fireEvent.click(screen.getByTestId("add-submit"));
  await waitFor(() => expect(sent.some((s) => s.command === "create_job")).toBe(true));
  const args = sent.find((s) => s.command === "create_job")?.args as { request: Record<string, unknown> };
  return args.request;
}

describe("auto-complete in the Add dialog", () => {
  it("asks for a job that completes by itself when ticked", async () => {
    expect((await addWith(false, true)).auto_complete).toBe(true);
  });

  it("lets one job wait for Complete when the setting is on", async () => {
    expect((await addWith(true, false)).auto_complete).toBe(false);
  });

  it("is a switch of the Settings page", async () => {
    fakeShell({ subscribe_jobs: [], get_settings: settings() });
    render(App);
    await screen.findByText("No transfers yet");
    await fireEvent.click(screen.getByText("Settings"));
    const toggle = (await screen.findByTestId("settings-auto-complete")) as HTMLInputElement;
    expect(toggle.checked, "off by default").toBe(false);
  });
});
