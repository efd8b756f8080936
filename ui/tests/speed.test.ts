import { describe, expect, it } from "vitest";
import { etaSeconds } from "../src/lib/format";
import { SpeedMeter, STALL_MS } from "../src/lib/speed";

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

  it("gives every job's speed at one time, leaving out jobs without one yet", () => {
    const meter = new SpeedMeter(5000);
    meter.record("a", 0, 0);
    meter.record("a", 50_000, 1000);
    meter.record("b", 0, 900);
    const rates = meter.rates(1000);
    expect([...rates.keys()]).toEqual(["a"]);
    expect(rates.get("a")).toBeCloseTo(50_000, 0);
    meter.record("a", 60_000, 1250);
    expect(rates.get("a"), "read once, the speeds keep their values").toBeCloseTo(50_000, 0);
  });

  it("starts over when a file restarts from zero", () => {
    const meter = new SpeedMeter(5000);
    meter.record("a", 0, 0);
    meter.record("a", 900_000, 1000);
    meter.record("a", 0, 2000);
    meter.record("a", 20_000, 3000);
    expect(meter.rate("a", 3000)).toBeCloseTo(20_000, 0);
  });

  it("reads a steady rate exactly although the clock that asks ticks once a second", () => {
    // A server sending exactly 131,072 B/s on each of 21 connections; progress every 250 ms,
    // read by a window whose clock ticks once a second (so "now" lags the newest sample).
    const rate = 131_072;
    const jobs = Array.from({ length: 21 }, (_, i) => `job-${i}`);
    const total = 1_000_000_000;
    const meter = new SpeedMeter(5000);
    let tick = 0;
    const readings: number[] = [];
    for (let at = 0; at <= 60_000; at += 250) {
      if (at >= tick + 1000) tick += 1000;
      for (const id of jobs) meter.record(id, (rate * at) / 1000, at);
      if (at < 2000) continue;
      const job = meter.rate("job-0", tick);
      expect(job, `at ${at} ms`).not.toBeNull();
      readings.push(job ?? 0);
      const sum = jobs.reduce((all, id) => all + (meter.rate(id, tick) ?? 0), 0);
      expect(Math.abs(sum / (rate * jobs.length) - 1), `all jobs at ${at} ms`).toBeLessThan(0.01);
      const eta = etaSeconds((rate * at) / 1000, total, job);
      const truth = (total - (rate * at) / 1000) / rate;
      expect(Math.abs((eta ?? 0) / truth - 1), `time left at ${at} ms`).toBeLessThan(0.01);
    }
    expect(Math.max(...readings) / rate).toBeLessThan(1.01);
    expect(Math.min(...readings) / rate).toBeGreaterThan(0.99);
  });

  it("keeps the last rate through a short gap and falls once the transfer stalls", () => {
    const meter = new SpeedMeter(5000);
    for (let at = 0; at <= 4000; at += 250) meter.record("a", at * 100, at);
    expect(meter.rate("a", 4000 + STALL_MS)).toBeCloseTo(100_000, -2);
    const later = meter.rate("a", 4000 + STALL_MS + 1000) ?? 0;
    expect(later).toBeLessThan(100_000);
    expect(later).toBeGreaterThan(0);
    expect(meter.rate("a", 4000 + 5000 + 1)).toBe(0);
  });
});
