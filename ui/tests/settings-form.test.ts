import { describe, expect, it } from "vitest";
import type { BandwidthPolicy } from "../src/lib/bindings/BandwidthPolicy";
import {
  DEFAULT_BANDWIDTH_POLICY,
  MAX_KBPS,
  bandwidthForm,
  describeCap,
  describeWindow,
  parseBandwidthForm,
  type BandwidthForm,
} from "../src/lib/settings-form";

const wholeDayBlock: BandwidthPolicy = {
  Enabled: true,
  StartHour: 9,
  EndHour: 9,
  InWindowKbps: 0,
  OutsideKbps: null,
};

function formWith(changes: Partial<BandwidthForm>): BandwidthForm {
  return { ...bandwidthForm(wholeDayBlock), ...changes };
}

describe("MaxInternetBandwidth form", () => {
  it("reads back the policy it shows", () => {
    for (const policy of [DEFAULT_BANDWIDTH_POLICY, wholeDayBlock, { ...wholeDayBlock, OutsideKbps: 64 }]) {
      expect(parseBandwidthForm(bandwidthForm(policy))).toEqual({ ok: true, policy });
    }
  });

  it("shows no limit as a choice with a number ready for when it is switched on", () => {
    const form = bandwidthForm(DEFAULT_BANDWIDTH_POLICY);
    expect(form.outside).toEqual({ limited: false, kbps: "1000" });
    expect(form.inWindow).toEqual({ limited: true, kbps: "1000" });
  });

  it("builds the policy from typed text: hours, a cap of 0, and no limit", () => {
    const form: BandwidthForm = {
      enabled: true,
      startHour: " 22 ",
      endHour: "6",
      inWindow: { limited: true, kbps: "0" },
      outside: { limited: false, kbps: "not read while there is no limit" },
    };
    expect(parseBandwidthForm(form)).toEqual({
      ok: true,
      policy: { Enabled: true, StartHour: 22, EndHour: 6, InWindowKbps: 0, OutsideKbps: null },
    });
  });

  it("refuses hours outside 0–23 and hours that are not whole numbers", () => {
    for (const bad of ["24", "-1", "7.5", "", "seven", "1e1"]) {
      const parsed = parseBandwidthForm(formWith({ endHour: bad }));
      expect(parsed, `end hour ${JSON.stringify(bad)}`).toEqual({
        ok: false,
        errors: { endHour: "Enter an hour from 0 to 23." },
      });
    }
    expect(parseBandwidthForm(formWith({ startHour: "0", endHour: "23" })).ok).toBe(true);
  });

  it("refuses caps that are not whole Kbps, or too large to store", () => {
    const cap = (kbps: string) => ({ limited: true, kbps });
    expect(parseBandwidthForm(formWith({ inWindow: cap("-5"), outside: cap("2.5") }))).toEqual({
      ok: false,
      errors: {
        inWindow: "Enter a whole number of Kbps, 0 or more.",
        outside: "Enter a whole number of Kbps, 0 or more.",
      },
    });
    expect(parseBandwidthForm(formWith({ inWindow: cap(String(MAX_KBPS + 1)) })).ok).toBe(false);
    expect(parseBandwidthForm(formWith({ inWindow: cap(String(MAX_KBPS)) })).ok).toBe(true);
  });

  it("names every field that is wrong at once", () => {
    const parsed = parseBandwidthForm(
      formWith({ startHour: "25", endHour: "x", outside: { limited: true, kbps: "" } }),
    );
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? [] : Object.keys(parsed.errors).sort()).toEqual(["endHour", "outside", "startHour"]);
  });

  it("describes the window: the whole day when the hours are equal, past midnight when the end is earlier", () => {
    expect(describeWindow(wholeDayBlock)).toBe("All day: the start and end hours are the same.");
    expect(describeWindow(DEFAULT_BANDWIDTH_POLICY)).toBe("Every day from 08:00 to 17:00 (local time).");
    expect(describeWindow({ ...wholeDayBlock, StartHour: 22, EndHour: 6 })).toBe(
      "Every day from 22:00 to 06:00 the next day (local time).",
    );
  });

  it("describes a cap: none, held, the 2 Kbps floor, a rate", () => {
    expect(describeCap(null)).toBe("Background jobs use all the bandwidth.");
    expect(describeCap(0)).toMatch(/held/);
    expect(describeCap(1)).toMatch(/2 Kbps/);
    expect(describeCap(64)).toBe("Background jobs share 64 Kbps.");
  });
});
