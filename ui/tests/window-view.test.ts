import { fireEvent, render, screen } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "../src/App.svelte";
import { viewFromFragment, viewToFragment } from "../src/lib/window-view";
import { settings } from "./fixtures";
import { fakeShell } from "./ipc-backend";

const id = "0b7c6f1e-2a4d-4c1b-9a53-1d2e3f405162";

describe("the window's view in its URL fragment", () => {
  it("is empty for a fresh window's view", () => {
    expect(viewToFragment({ page: "transfers", selectedId: null, detailsOpen: false })).toBe("");
    expect(viewFromFragment("")).toEqual({});
  });

  it("round-trips the page, the selection and the details", () => {
    const view = { page: "history" as const, selectedId: id, detailsOpen: true };
    const fragment = viewToFragment(view);
    expect(fragment).toBe(`page=history&job=${id}&details=1`);
    expect(viewFromFragment(`#${fragment}`)).toEqual(view);
    expect(viewFromFragment(`job=${id}`)).toEqual({ selectedId: id, detailsOpen: false });
  });

  it("ignores what the UI never writes", () => {
    expect(viewFromFragment("page=admin&job=<script>&details=1&x=y")).toEqual({});
    expect(viewToFragment({ page: "transfers", selectedId: "a b", detailsOpen: true })).toBe("");
  });
});

describe("a reopened window", () => {
  it("comes back on the page the closed one showed, and keeps the fragment current", async () => {
    fakeShell({ subscribe_jobs: [], get_settings: settings(), history: [] });
    history.replaceState(null, "", "/#page=settings");

    render(App);
    await screen.findByTestId("settings-page");
    await fireEvent.click(await screen.findByTestId("nav-history"));
    expect(location.hash).toBe("#page=history");
  });
});
