import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "../src/App.svelte";
import type { JobInfo } from "../src/lib/bindings/JobInfo";
import { describeLimit, limitField, limitsEditable, readLimit } from "../src/lib/speed-limit";
import { job, settings } from "./fixtures";
import { fakeShell, type SentCommand } from "./ipc-backend";
import { settingsPage } from "./settings-page-helper";

const argsOf = (sent: SentCommand[], command: string) =>
  sent.filter((s) => s.command === command).map((s) => s.args);

describe("a speed limit field", () => {
  it("reads an amount in kB/s or MB/s, and empty as no limit", () => {
    expect(readLimit({ amount: "", unit: "MB/s" })).toEqual({ ok: true, limit: null });
    expect(readLimit({ amount: " 500 ", unit: "kB/s" })).toEqual({ ok: true, limit: 500_000 });
    expect(readLimit({ amount: "1.5", unit: "MB/s" })).toEqual({ ok: true, limit: 1_500_000 });
    expect(readLimit({ amount: "1,5", unit: "MB/s" }), "a decimal comma").toEqual({ ok: true, limit: 1_500_000 });
  });

  it("refuses what is not a positive number, and limits under 1 kB/s", () => {
    expect(readLimit({ amount: "fast", unit: "kB/s" })).toEqual({
      ok: false,
      error: "Enter a number, or leave the field empty for no limit.",
    });
    expect(readLimit({ amount: "-3", unit: "kB/s" }).ok).toBe(false);
    expect(readLimit({ amount: "0", unit: "MB/s" }).ok).toBe(false);
    expect(readLimit({ amount: "0.5", unit: "kB/s" })).toEqual({ ok: false, error: "The lowest limit is 1 kB/s." });
  });

  it("shows a stored limit in the unit it reads best in", () => {
    expect(limitField(null)).toEqual({ amount: "", unit: "MB/s" });
    expect(limitField(2_000_000)).toEqual({ amount: "2", unit: "MB/s" });
    expect(limitField(1_500_000)).toEqual({ amount: "1.5", unit: "MB/s" });
    expect(limitField(500_000)).toEqual({ amount: "500", unit: "kB/s" });
    expect(limitField(1_234_567)).toEqual({ amount: "1234.567", unit: "kB/s" });
    expect(describeLimit(null)).toBe("No limit");
    expect(describeLimit(500_000)).toBe("500 kB/s");
  });

  it("can change until the files are transferred", () => {
    expect(limitsEditable("TRANSFERRING")).toBe(true);
    expect(limitsEditable("SUSPENDED")).toBe(true);
    expect(limitsEditable("ERROR")).toBe(true);
    expect(limitsEditable("TRANSFERRED")).toBe(false);
  });
});

async function details(target: JobInfo) {
  const sent = fakeShell({
    subscribe_jobs: [target],
    get_settings: settings(),
    set_speed_limit: null,
    set_connections: null,
  });
  render(App);
  await fireEvent.click(await screen.findByTestId("job-row"));
  const pane = await screen.findByTestId("job-details");
  return { sent, pane };
}

describe("the job details", () => {
  it("show No limit by default and set a limit in bytes per second", async () => {
    const { sent, pane } = await details(job({ state: "TRANSFERRING" }));
    const amount = within(pane).getByTestId("details-speed-limit-amount") as HTMLInputElement;
    expect(amount.value).toBe("");
    expect(amount.placeholder).toBe("No limit");
    await fireEvent.input(amount, { target: { value: "250" } });
    await fireEvent.change(within(pane).getByTestId("details-speed-limit-unit"), { target: { value: "kB/s" } });
    await fireEvent.click(within(pane).getByTestId("details-speed-limit-set"));
    await waitFor(() => expect(argsOf(sent, "set_speed_limit")).toHaveLength(1));
    expect(argsOf(sent, "set_speed_limit")[0]).toMatchObject({ bytesPerSecond: 250_000 });
  });

  it("lift a limit when the field is emptied, and say what is wrong without calling the owner", async () => {
    const { sent, pane } = await details(job({ state: "TRANSFERRING", settings: { speed_limit: 2_000_000 } }));
    const amount = within(pane).getByTestId("details-speed-limit-amount") as HTMLInputElement;
    expect(amount.value).toBe("2");
    await fireEvent.input(amount, { target: { value: "5 parsecs" } });
    await fireEvent.click(within(pane).getByTestId("details-speed-limit-set"));
    expect(await within(pane).findByTestId("details-speed-limit-error")).toBeTruthy();
    expect(argsOf(sent, "set_speed_limit")).toHaveLength(0);
    await fireEvent.input(amount, { target: { value: "" } });
    await fireEvent.click(within(pane).getByTestId("details-speed-limit-set"));
    await waitFor(() => expect(argsOf(sent, "set_speed_limit")).toHaveLength(1));
    expect(argsOf(sent, "set_speed_limit")[0]).toMatchObject({ bytesPerSecond: null });
  });

  it("change a download's connections per file until it is transferred", async () => {
    const { sent, pane } = await details(job({ state: "SUSPENDED" }));
    const connections = within(pane).getByTestId("details-connections") as HTMLSelectElement;
    expect(connections.value).toBe("1");
    await fireEvent.change(connections, { target: { value: "8" } });
    await waitFor(() => expect(argsOf(sent, "set_connections")).toHaveLength(1));
    expect(argsOf(sent, "set_connections")[0]).toMatchObject({ connections: 8 });
    expect(within(pane).getByText("Some servers limit each connection; more connections can be faster.")).toBeTruthy();
  });

  it("keep a transferred job's limits as they are", async () => {
    const { pane } = await details(job({ state: "TRANSFERRED" }));
    expect((within(pane).getByTestId("details-connections") as HTMLSelectElement).disabled).toBe(true);
    expect((within(pane).getByTestId("details-speed-limit-amount") as HTMLInputElement).disabled).toBe(true);
  });
});

describe("the job row", () => {
  it("has a quiet mark naming the limit only when the job has one", async () => {
    const limited = job({ settings: { display_name: "limited", speed_limit: 500_000 } });
    const free = job({ settings: { display_name: "free" } });
    fakeShell({ subscribe_jobs: [limited, free], get_settings: settings() });
    render(App);
    await waitFor(() => expect(screen.getAllByTestId("job-row")).toHaveLength(2));
    const marks = screen.getAllByTestId("row-speed-limit");
    expect(marks).toHaveLength(1);
    expect(marks[0]?.getAttribute("aria-label")).toBe("Speed limit: 500 kB/s");
    expect(marks[0]?.closest("[data-testid='job-row']")?.getAttribute("data-job-id")).toBe(limited.id);
  });
});

describe("the Add dialog's advanced options", () => {
  async function add(connectionsSetting: number, fill: (dialog: HTMLElement) => Promise<void>) {
    const sent = fakeShell({
      subscribe_jobs: [],
      get_settings: settings({ connections: connectionsSetting }),
      create_job: job({ state: "SUSPENDED" }),
      resume_job: null,
    });
    render(App);
    await screen.findByText("No transfers yet");
    await fireEvent.click(screen.getByTestId("add-job-button"));
    const dialog = await screen.findByTestId("add-job-dialog");
    await fireEvent.input(screen.getByTestId("add-urls"), { target: { value: "http://127.0.0.1/big.iso" } });
    await fill(dialog);
    await fireEvent.click(screen.getByTestId("add-submit"));
    return sent;
  }

  const request = (sent: SentCommand[]) => (argsOf(sent, "create_job")[0] as { request: Record<string, unknown> }).request;

  it("start from the connections setting and no limit", async () => {
    const sent = await add(4, async () => {
      expect((screen.getByTestId("add-connections") as HTMLSelectElement).value).toBe("4");
      expect((screen.getByTestId("add-speed-limit") as HTMLInputElement).placeholder).toBe("No limit");
    });
    await waitFor(() => expect(argsOf(sent, "create_job")).toHaveLength(1));
    expect(request(sent).connections).toBe(4);
    expect(request(sent)).not.toHaveProperty("speed_limit");
  });

  it("ask for the connections and the limit chosen", async () => {
    const sent = await add(1, async () => {
      await fireEvent.change(screen.getByTestId("add-connections"), { target: { value: "6" } });
      await fireEvent.input(screen.getByTestId("add-speed-limit"), { target: { value: "1.5" } });
    });
    await waitFor(() => expect(argsOf(sent, "create_job")).toHaveLength(1));
    expect(request(sent)).toMatchObject({ connections: 6, speed_limit: 1_500_000 });
  });

  it("open to show a limit that cannot be read, and create nothing", async () => {
    const sent = await add(1, async () => {
      await fireEvent.input(screen.getByTestId("add-speed-limit"), { target: { value: "fast" } });
    });
    expect(await screen.findByText("Enter a number, or leave the field empty for no limit.")).toBeTruthy();
    expect((screen.getByTestId("add-advanced") as HTMLDetailsElement).open).toBe(true);
    expect(argsOf(sent, "create_job")).toHaveLength(0);
  });
});

describe("the Settings page", () => {
  it("saves the connections per file of new downloads", async () => {
    const sent = await settingsPage(settings({ connections: 1 }));
    const select = screen.getByTestId("settings-connections") as HTMLSelectElement;
    expect(select.value).toBe("1");
    await fireEvent.change(select, { target: { value: "8" } });
    await fireEvent.submit(screen.getByTestId("settings-page"));
    await waitFor(() => expect(argsOf(sent, "set_settings")).toHaveLength(1));
    expect((argsOf(sent, "set_settings")[0] as { settings: { connections: number } }).settings.connections).toBe(8);
  });
});
