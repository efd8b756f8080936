import { fireEvent, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import type { Settings } from "../src/lib/shell-types";
import { settings } from "./fixtures";
import { settingsPage } from "./settings-page-helper";
import type { SentCommand } from "./ipc-backend";


const field = (testId: string) => screen.getByTestId(testId) as HTMLInputElement;
const saved = (sent: SentCommand[]) =>
  sent.filter((s) => s.command === "set_settings").map((s) => (s.args.settings as Settings).policies);

describe("the MaxInternetBandwidth settings", () => {
  it("saves a whole-day window that holds background jobs", async () => {
    const sent = await settingsPage();
    expect(field("bandwidth-startHour").disabled).toBe(true);

    await fireEvent.click(field("bandwidth-enabled"));
    await fireEvent.input(field("bandwidth-startHour"), { target: { value: "10" } });
    await fireEvent.input(field("bandwidth-endHour"), { target: { value: "10" } });
    await fireEvent.input(field("bandwidth-inWindow-kbps"), { target: { value: "0" } });
    expect(screen.getByTestId("bandwidth-window").textContent).toMatch(/All day/);
    await fireEvent.click(screen.getByTestId("settings-save"));

    await screen.findByText("Settings saved.");
    expect(saved(sent)).toEqual([
      {
        ...settings().policies,
        MaxInternetBandwidth: { Enabled: true, StartHour: 10, EndHour: 10, InWindowKbps: 0, OutsideKbps: null },
      },
    ]);
  });

  it("switches a cap between no limit and a number of Kbps", async () => {
    const sent = await settingsPage();
    await fireEvent.click(field("bandwidth-enabled"));
    await fireEvent.click(field("bandwidth-outside-limited"));
    await fireEvent.input(field("bandwidth-outside-kbps"), { target: { value: "64" } });
    await fireEvent.click(field("bandwidth-inWindow-unlimited"));
    expect(field("bandwidth-inWindow-kbps").disabled).toBe(true);
    await fireEvent.click(screen.getByTestId("settings-save"));

    await screen.findByText("Settings saved.");
    expect(saved(sent)[0]!.MaxInternetBandwidth).toMatchObject({ InWindowKbps: null, OutsideKbps: 64 });
  });

  it("names a bad hour next to its field and saves nothing until it is fixed", async () => {
    const sent = await settingsPage();
    await fireEvent.click(field("bandwidth-enabled"));
    await fireEvent.input(field("bandwidth-endHour"), { target: { value: "24" } });

    expect(screen.getByRole("alert").textContent).toBe("Enter an hour from 0 to 23.");
    expect(field("bandwidth-endHour").getAttribute("aria-invalid")).toBe("true");
    expect((screen.getByTestId("settings-save") as HTMLButtonElement).disabled).toBe(true);

    await fireEvent.input(field("bandwidth-endHour"), { target: { value: "23" } });
    expect(screen.queryByRole("alert")).toBeNull();
    await fireEvent.click(screen.getByTestId("settings-save"));
    await screen.findByText("Settings saved.");
    expect(saved(sent)[0]!.MaxInternetBandwidth.EndHour).toBe(23);
  });

  it("Revert and Restore defaults bring the policy back", async () => {
    const stored = settings();
    stored.policies.MaxInternetBandwidth = { Enabled: true, StartHour: 1, EndHour: 2, InWindowKbps: 5, OutsideKbps: 6 };
    await settingsPage(stored);

    await fireEvent.input(field("bandwidth-startHour"), { target: { value: "x" } });
    await fireEvent.click(screen.getByRole("button", { name: "Revert" }));
    expect(field("bandwidth-startHour").value).toBe("1");

    await fireEvent.click(screen.getByRole("button", { name: "Restore defaults" }));
    expect(field("bandwidth-enabled").checked).toBe(false);
    expect(field("bandwidth-startHour").value).toBe("8");
    expect(field("bandwidth-endHour").value).toBe("17");
    expect(field("bandwidth-inWindow-kbps").value).toBe("1000");
    expect(field("bandwidth-outside-unlimited").checked).toBe(true);
  });
});

describe("the theme on the settings page", () => {
  it("previews a theme and drops the preview when the page is left unsaved", async () => {
    await settingsPage(settings());
    await fireEvent.click(field("theme-dark"));
    expect(document.documentElement.dataset.theme).toBe("dark");

    await fireEvent.click(screen.getByTestId("nav-transfers"));
    await waitFor(() => expect(screen.queryByTestId("settings-page")).toBeNull());
    expect(document.documentElement.dataset.theme).not.toBe("dark");
  });
});

describe("quick retries on the settings page", () => {
  it("is on by default and saves off when switched off", async () => {
    const sent = await settingsPage(settings());
    const toggle = screen.getByTestId("settings-quick-retries") as HTMLInputElement;
    expect(toggle.checked).toBe(true);
    await fireEvent.click(toggle);
    await fireEvent.click(screen.getByTestId("settings-save"));
    await waitFor(() =>
      expect(
        sent.filter((s) => s.command === "set_settings").map((s) => (s.args.settings as Settings).quick_retries),
      ).toEqual([false]),
    );
  });
});

describe("the clipboard offer setting", () => {
  it("is off until switched on, and Save sends it to the owner", async () => {
    const sent = await settingsPage();
    expect(field("clipboard-offer").checked).toBe(false);
    await fireEvent.click(field("clipboard-offer"));
    await fireEvent.click(screen.getByTestId("settings-save"));

    await screen.findByText("Settings saved.");
    const saves = sent.filter((s) => s.command === "set_settings").map((s) => s.args.settings as Settings);
    expect(saves).toHaveLength(1);
    expect(saves[0]!.clipboard_offer).toBe(true);
  });
});
