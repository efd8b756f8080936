import { render } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import ProgressBar from "../src/components/ProgressBar.svelte";

describe("progress bar", () => {
  it("slides to its subject's new value and jumps to another subject's", async () => {
    const props = { fraction: 0.1, transferred: 10, total: 100, label: "a", subject: "a" };
    const { container, rerender } = render(ProgressBar, props);
    const fill = () => container.querySelector<HTMLElement>(".fill")!;

    await rerender({ ...props, fraction: 0.2 });
    expect(fill().style.transform).toBe("scaleX(0.2)");
    expect(fill().classList.contains("slide")).toBe(true);

    // The row now shows another job: its value is not an animation of the last one's.
    await rerender({ ...props, fraction: 0.9, subject: "b" });
    expect(fill().style.transform).toBe("scaleX(0.9)");
    expect(fill().classList.contains("slide")).toBe(false);

    await rerender({ ...props, fraction: 0.95, subject: "b" });
    expect(fill().classList.contains("slide")).toBe(true);
  });
});
