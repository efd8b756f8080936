import { afterEach, describe, expect, it } from "vitest";
import { applyTheme } from "../src/lib/theme";

/** A system colour preference that can change, as a MediaQueryList reports it. */
class SystemPreference extends EventTarget {
  constructor(public matches: boolean) {
    super();
  }

  change(matches: boolean): void {
    this.matches = matches;
    this.dispatchEvent(new Event("change"));
  }

  asQuery(): MediaQueryList {
    return this as unknown as MediaQueryList;
  }
}

const root = document.documentElement;

describe("applyTheme", () => {
  afterEach(() => applyTheme("light", root, null));

  it("sets a forced theme as it is", () => {
    const system = new SystemPreference(true);
    applyTheme("light", root, system.asQuery());
    expect(root.dataset.theme).toBe("light");
    applyTheme("dark", root, system.asQuery());
    expect(root.dataset.theme).toBe("dark");
  });

  it("resolves system to the system's preference and follows its changes", () => {
    const system = new SystemPreference(true);
    applyTheme("system", root, system.asQuery());
    expect(root.dataset.theme).toBe("dark");
    system.change(false);
    expect(root.dataset.theme).toBe("light");
    system.change(true);
    expect(root.dataset.theme).toBe("dark");
  });

  it("stops following the system once another theme is chosen", () => {
    const system = new SystemPreference(false);
    applyTheme("system", root, system.asQuery());
    applyTheme("light", root, system.asQuery());
    system.change(true);
    expect(root.dataset.theme).toBe("light");
  });

  it("reads system as light where the preference cannot be asked", () => {
    applyTheme("system", root, null);
    expect(root.dataset.theme).toBe("light");
  });
});
