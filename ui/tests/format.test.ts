import { describe, expect, it } from "vitest";
import {
  baseName,
  etaSeconds,
  formatBytes,
  formatDuration,
  formatProgressBytes,
  formatRetryIn,
  formatSpeed,
  jobFraction,
  progressFraction,
  stateLabel,
} from "../src/lib/format";

describe("byte sizes", () => {
  it("uses decimal units with one decimal below 100", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(999)).toBe("999 B");
    expect(formatBytes(12_345_678)).toBe("12.3 MB");
    expect(formatBytes(80_000_000)).toBe("80 MB");
    expect(formatBytes(123_456_789)).toBe("123 MB");
    expect(formatBytes(1_500_000_000)).toBe("1.5 GB");
  });

  it("shows progress in the unit of the total", () => {
    expect(formatProgressBytes(12_300_000, 80_000_000)).toBe("12.3 of 80 MB");
    expect(formatProgressBytes(0, 2_000)).toBe("0 of 2 kB");
  });

  it("shows movement early in a large file", () => {
    expect(formatProgressBytes(0, 1_100_000_000)).toBe("0 of 1.1 GB");
    expect(formatProgressBytes(20_000_000, 1_100_000_000)).toBe("20 MB of 1.1 GB");
    expect(formatProgressBytes(21_500_000, 1_100_000_000)).toBe("21.5 MB of 1.1 GB");
    expect(formatProgressBytes(1_234_000_000, 4_500_000_000)).toBe("1.23 of 4.5 GB");
    expect(formatProgressBytes(1_240_000_000, 4_500_000_000)).toBe("1.24 of 4.5 GB");
    expect(formatProgressBytes(4_500_000_000, 4_500_000_000)).toBe("4.5 of 4.5 GB");
  });

  it("says unknown when the total is not known", () => {
    expect(formatProgressBytes(12_300_000, null)).toBe("12.3 MB of unknown");
  });
});

describe("progress fraction", () => {
  it("divides only by a known, non-zero total", () => {
    expect(progressFraction(250, 1000, false)).toBe(0.25);
    expect(progressFraction(500, null, false)).toBeNull();
    expect(progressFraction(0, 0, false)).toBe(0);
    expect(progressFraction(0, 0, true)).toBe(1);
    expect(progressFraction(10, null, true)).toBe(1);
  });

  it("never leaves 0..1", () => {
    expect(progressFraction(2000, 1000, false)).toBe(1);
  });

  it("counts a job done once all its files are, even while its size is unknown", () => {
    const job = { bytes_total: null, bytes_transferred: 700, files_total: 2, files_transferred: 1 };
    expect(jobFraction(job)).toBeNull();
    expect(jobFraction({ ...job, files_transferred: 2 })).toBe(1);
    expect(jobFraction({ ...job, bytes_total: 1000 })).toBe(0.7);
    expect(jobFraction({ bytes_total: 0, bytes_transferred: 0, files_total: 0, files_transferred: 0 })).toBe(0);
  });
});

describe("speed and time left", () => {
  it("formats a speed", () => {
    expect(formatSpeed(1_250_000)).toBe("1.3 MB/s");
  });

  it("has no ETA without a total or a speed", () => {
    expect(etaSeconds(100, null, 1000)).toBeNull();
    expect(etaSeconds(100, 1000, null)).toBeNull();
    expect(etaSeconds(100, 1000, 0)).toBeNull();
    expect(etaSeconds(100, 1100, 100)).toBe(10);
  });

  it("formats durations by what matters", () => {
    expect(formatDuration(45)).toBe("45 s");
    expect(formatDuration(7 * 60)).toBe("7 min");
    expect(formatDuration(80 * 60)).toBe("1 h 20 min");
    expect(formatDuration(3 * 86_400 + 4 * 3600)).toBe("3 d 4 h");
  });

  it("counts down the retry", () => {
    expect(formatRetryIn(7 * 60 * 1000)).toBe("retrying in 7 min");
    expect(formatRetryIn(0)).toBe("retrying now");
  });
});

describe("labels", () => {
  it("reads states as words", () => {
    expect(stateLabel("TRANSIENT_ERROR")).toBe("Waiting to retry");
    expect(stateLabel("QUEUED")).toBe("Queued");
  });

  it("takes the last part of a path", () => {
    expect(baseName("/home/user/a.iso")).toBe("a.iso");
    expect(baseName("C:\\Users\\me\\b.zip")).toBe("b.zip");
  });
});
