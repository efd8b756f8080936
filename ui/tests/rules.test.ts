import { describe, expect, it } from "vitest";
import type { JobState } from "../src/lib/bindings/JobState";
import {
  canCancel,
  canComplete,
  canResume,
  canSuspend,
  completeNeedsConfirmation,
  completePlan,
} from "../src/lib/rules";
import { file, job } from "./fixtures";

const NON_FINAL: JobState[] = [
  "QUEUED",
  "CONNECTING",
  "TRANSFERRING",
  "SUSPENDED",
  "ERROR",
  "TRANSIENT_ERROR",
  "TRANSFERRED",
];
const FINAL: JobState[] = ["ACKNOWLEDGED", "CANCELLED"];

describe("Complete enablement (bits-spec §2)", () => {
  it("is offered for downloads in every non-final state", () => {
    for (const state of NON_FINAL) expect(canComplete("DOWNLOAD", state), state).toBe(true);
  });

  it("is offered for uploads and upload-replies only when TRANSFERRED", () => {
    for (const jobType of ["UPLOAD", "UPLOAD_REPLY"] as const) {
      for (const state of NON_FINAL) {
        expect(canComplete(jobType, state), `${jobType} ${state}`).toBe(state === "TRANSFERRED");
      }
    }
  });

  it("is never offered in a final state", () => {
    for (const state of FINAL) {
      expect(canComplete("DOWNLOAD", state)).toBe(false);
      expect(canComplete("UPLOAD", state)).toBe(false);
    }
  });

  it("asks first only for a download that has not transferred everything", () => {
    expect(completeNeedsConfirmation("DOWNLOAD", "ERROR")).toBe(true);
    expect(completeNeedsConfirmation("DOWNLOAD", "TRANSFERRING")).toBe(true);
    expect(completeNeedsConfirmation("DOWNLOAD", "TRANSFERRED")).toBe(false);
    expect(completeNeedsConfirmation("UPLOAD", "TRANSFERRED")).toBe(false);
  });

  it("keeps the transferred files and discards the rest", () => {
    const plan = completePlan(
      job({ files: [file(0, { transferred: true, bytes_transferred: 1000 }), file(1, { bytes_transferred: 300 })] }),
    );
    expect(plan.kept.map((f) => f.index)).toEqual([0]);
    expect(plan.discarded.map((f) => f.index)).toEqual([1]);
  });
});

describe("other verbs", () => {
  it("cancels in any non-final state", () => {
    for (const state of NON_FINAL) expect(canCancel(state)).toBe(true);
    for (const state of FINAL) expect(canCancel(state)).toBe(false);
  });

  it("suspends moving or waiting jobs and resumes stopped ones with files", () => {
    expect(canSuspend("TRANSFERRING")).toBe(true);
    expect(canSuspend("SUSPENDED")).toBe(false);
    expect(canResume("SUSPENDED", 1)).toBe(true);
    expect(canResume("ERROR", 2)).toBe(true);
    expect(canResume("SUSPENDED", 0)).toBe(false);
    expect(canResume("TRANSFERRING", 1)).toBe(false);
  });
});
