import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "../src/App.svelte";
import { shortcutHelp, shortcutFor, type KeyPress } from "../src/lib/keyboard";
import { file, job, settings } from "./fixtures";
import { fakeShell, names } from "./ipc-backend";

function press(key: string, extra: Partial<KeyPress> = {}): KeyPress {
  return { key, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, inField: false, onControl: false, ...extra };
}

describe("shortcut mapping", () => {
  it("maps the documented shortcuts", () => {
    expect(shortcutFor(press("n", { ctrlKey: true }))).toBe("add-job");
    expect(shortcutFor(press("N", { metaKey: true }))).toBe("add-job");
    expect(shortcutFor(press("f", { ctrlKey: true }))).toBe("search");
    expect(shortcutFor(press("Delete"))).toBe("cancel-selected");
    expect(shortcutFor(press("Enter"))).toBe("open-details");
    expect(shortcutFor(press("Escape"))).toBe("close");
    expect(shortcutFor(press("ArrowDown"))).toBe("select-next");
  });

  it("leaves plain keys to text fields and Enter to buttons", () => {
    expect(shortcutFor(press("Delete", { inField: true }))).toBeNull();
    expect(shortcutFor(press("Enter", { onControl: true }))).toBeNull();
    expect(shortcutFor(press("n", { ctrlKey: true, inField: true }))).toBe("add-job");
    expect(shortcutFor(press("Escape", { inField: true }))).toBe("close");
    expect(shortcutFor(press("x"))).toBeNull();
  });
});

describe("keyboard in the window", () => {
  async function start() {
    const a = job({ state: "TRANSFERRING", settings: { display_name: "first" } });
    const b = job({
      state: "ERROR",
      settings: { display_name: "second" },
      files: [file(0, { transferred: true, bytes_transferred: 1000 }), file(1)],
      times: { created: 1_800_000_000_000, modified: 1_800_000_000_000, transfer_completed: null },
    });
    const sent = fakeShell({ subscribe_jobs: [a, b], get_settings: settings(), cancel_job: 0 });
    render(App);
    await waitFor(() => expect(screen.getAllByTestId("job-row")).toHaveLength(2));
    const grid = screen.getByRole("grid");
    grid.focus();
    return { a, b, sent, grid };
  }

  it("Ctrl+N opens the Add dialog and Escape closes it", async () => {
    await start();
    await fireEvent.keyDown(window, { key: "n", ctrlKey: true });
    const dialog = await screen.findByTestId("add-job-dialog");
    expect(dialog.getAttribute("role")).toBe("dialog");
    await fireEvent.keyDown(dialog, { key: "Escape" });
    expect(screen.queryByTestId("add-job-dialog")).toBeNull();
  });

  it("arrows select, Enter opens details, Escape closes them", async () => {
    const { b, grid } = await start();
    await fireEvent.keyDown(grid, { key: "ArrowDown" });
    await fireEvent.keyDown(grid, { key: "ArrowDown" });
    expect(grid.getAttribute("aria-activedescendant")).toBe(`job-row-${b.id}`);
    await fireEvent.keyDown(grid, { key: "Enter" });
    const details = await screen.findByTestId("job-details");
    expect(details.textContent).toContain("second");
    await fireEvent.keyDown(grid, { key: "Escape" });
    expect(screen.queryByTestId("job-details")).toBeNull();
  });

  it("Delete asks before cancelling, and cancels only on confirm", async () => {
    const { a, sent, grid } = await start();
    await fireEvent.keyDown(grid, { key: "ArrowDown" });
    await fireEvent.keyDown(grid, { key: "Delete" });
    const dialog = await screen.findByTestId("confirm-dialog");
    expect(dialog.textContent).toContain("temporary files will be deleted");
    expect(names(sent)).not.toContain("cancel_job");
    await fireEvent.click(screen.getByTestId("confirm-button"));
    await waitFor(() => expect(sent.find((s) => s.command === "cancel_job")?.args).toEqual({ id: a.id }));
  });

  it("Ctrl+F puts the cursor in the search field", async () => {
    await start();
    await fireEvent.keyDown(window, { key: "f", ctrlKey: true });
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId("search-input")));
  });
});

describe("the shortcuts overlay", () => {
  it("opens on ? and on F1, even from a text field, and not on Alt+F1", () => {
    expect(shortcutFor(press("?", { shiftKey: true }))).toBe("show-shortcuts");
    expect(shortcutFor(press("?", { inField: true }))).toBeNull();
    expect(shortcutFor(press("F1"))).toBe("show-shortcuts");
    expect(shortcutFor(press("F1", { inField: true }))).toBe("show-shortcuts");
    expect(shortcutFor(press("F1", { altKey: true }))).toBeNull();
  });

  it("lists every action the window has a shortcut for", () => {
    const described = shortcutHelp().map((line) => line.does);
    expect(new Set(described).size).toBe(described.length);
    expect(shortcutHelp().flatMap((line) => line.keys)).toEqual(
      expect.arrayContaining(["Ctrl+N", "Ctrl+F", "Ctrl+,", "Enter", "Space", "Delete", "Esc", "?", "F1"]),
    );
  });

  it("shows the overlay on F1 and gives focus back when it closes", async () => {
    fakeShell({ subscribe_jobs: [job({ state: "QUEUED" })], get_settings: settings() });
    render(App);
    const search = await screen.findByTestId("search-input");
    search.focus();
    await fireEvent.keyDown(search, { key: "F1" });
    const dialog = await screen.findByRole("dialog", { name: "Keyboard shortcuts" });
    expect(dialog.textContent).toContain("Pause or resume the selected job");
    await fireEvent.keyDown(dialog, { key: "Escape" });
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(document.activeElement).toBe(search);
  });
});
