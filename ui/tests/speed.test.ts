import { describe, expect, it } from "vitest";
import { SpeedMeter } from "../src/lib/speed";

describe("sliding-window speed", () => {
  it("is unknown until the samples span enough time", () => {
    const meter = new SpeedMeter(5000);
    meter.record("a", 0, 0);
    expect(meter.rate("a", 100)).toBeNull();
    expect(meter.rate("unknown", 100)).toBeNull();
    expect(meter.rate("a", 2000), "one sample is a start, not a speed").toBeNull();
  });

  it("averages over the window only", () => {
    const meter = new SpeedMeter(5000);
    // 10 kB/s for 10 s, then 100 kB/s for 5 s: the window sees only the fast part.
    for (let t = 0; t <= 10; t += 1) meter.record("a", t * 10_000, t * 1000);
    for (let t = 11; t <= 15; t += 1) meter.record("a", 100_000 + (t - 10) * 100_000, t * 1000);
    expect(meter.rate("a", 15_000)).toBeCloseTo(100_000, -3);
  });

  it("falls to zero when bytes stop arriving", () => {
    const meter = new SpeedMeter(5000);
    meter.record("a", 0, 0);
    meter.record("a", 50_000, 1000);
    expect(meter.rate("a", 1000)).toBeCloseTo(50_000, 0);
    expect(meter.rate("a", 20_000)).toBe(0);
  });

  it("starts over when a file restarts from zero", () => {
    const meter = new SpeedMeter(5000);
    meter.record("a", 0, 0);
    meter.record("a", 900_000, 1000);
    meter.record("a", 0, 2000);
    meter.record("a", 20_000, 3000);
    expect(meter.rate("a", 3000)).toBeCloseTo(20_000, 0);
  });
});
