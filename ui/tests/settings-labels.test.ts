import { fireEvent, screen } from "@testing-library/svelte";
import { afterEach, describe, expect, it } from "vitest";
import { applyLanguage } from "../src/lib/i18n";
import type { Settings } from "../src/lib/shell-types";
import { settingsPage } from "./settings-page-helper";


afterEach(() => applyLanguage("en"));

describe("the Settings page", () => {
  it("labels each policy by what it does, with its BITS name as a hint in its description", async () => {
    await settingsPage();
    const label = screen.getByTestId("policy-label-MaxRangesPerFile");
    expect(label.textContent?.trim()).toBe("Most ranges per file");
    const input = screen.getByTestId("policy-MaxRangesPerFile");
    expect(screen.getByLabelText("Most ranges per file")).toBe(input);
    const description = document.getElementById(input.getAttribute("aria-describedby") ?? "");
    expect(description?.textContent).toContain("Byte ranges one file may have.");
    expect(screen.getByTestId("policy-bits-MaxRangesPerFile").textContent).toBe("BITS: MaxRangesPerFile");
    expect(description?.contains(screen.getByTestId("policy-bits-MaxRangesPerFile"))).toBe(true);
    expect(screen.getByTestId("policy-bits-MaxInternetBandwidth").textContent).toBe("BITS: MaxInternetBandwidth");
  });

  it("keeps Save in a footer that says when there are unsaved changes", async () => {
    await settingsPage();
    const footer = screen.getByTestId("settings-footer");
    expect(footer.contains(screen.getByTestId("settings-save"))).toBe(true);
    expect(screen.queryByTestId("settings-unsaved")).toBeNull();
    await fireEvent.input(screen.getByTestId("policy-MaxFilesPerJob"), { target: { value: "10" } });
    await fireEvent.change(screen.getByTestId("policy-MaxFilesPerJob"), { target: { value: "10" } });
    expect(screen.getByTestId("settings-unsaved").textContent).toBe("Unsaved changes");
    expect((screen.getByTestId("settings-save") as HTMLButtonElement).disabled).toBe(false);
  });

  it("saves the language and speaks it at once", async () => {
    const sent = await settingsPage();
    await fireEvent.click(screen.getByTestId("language-pt-BR"));
    await fireEvent.click(screen.getByTestId("settings-save"));
    await screen.findByText("Configurações", { selector: "h1" });
    const saved = sent.filter((s) => s.command === "set_settings").map((s) => (s.args.settings as Settings).language);
    expect(saved).toEqual(["pt-BR"]);
    expect(screen.getByTestId("policy-label-MaxRangesPerFile").textContent?.trim()).toBe(
      "Máximo de intervalos por arquivo",
    );
    expect(screen.getByTestId("nav-transfers").textContent?.trim()).toBe("Transferências");
  });
});
