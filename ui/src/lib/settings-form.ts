/**
 * The settings page's model: BITS policy names, their defaults, the conversions between what
 * the page shows (days) and what is stored (seconds), and the MaxInternetBandwidth form (what
 * the user typed, checked and turned into the policy the shell stores).
 */
import type { BandwidthPolicy } from "./bindings/BandwidthPolicy";
import type { Policies } from "./bindings/Policies";
import { t, tv } from "./i18n";

/** Seconds in a day. */
const DAY = 86_400;

/** The MaxInternetBandwidth default: off; when turned on, 1000 Kbps from 8:00 to 17:00. */
export const DEFAULT_BANDWIDTH_POLICY: BandwidthPolicy = {
  Enabled: false,
  StartHour: 8,
  EndHour: 17,
  InWindowKbps: 1000,
  OutsideKbps: null,
};

/** The BITS defaults (group-policy defaults of Windows). */
export const DEFAULT_POLICIES: Policies = {
  JobInactivityTimeoutSecs: 90 * DAY,
  MaxJobsPerUser: 60,
  MaxJobsPerMachine: 300,
  MaxFilesPerJob: 200,
  MaxRangesPerFile: 500,
  MaxInternetBandwidth: DEFAULT_BANDWIDTH_POLICY,
};

/** The policies that are one number each (all but MaxInternetBandwidth). */
export type NumericPolicy = {
  [K in keyof Policies]: Policies[K] extends number ? K : never;
}[keyof Policies];

/**
 * One policy as the page lists it; its label and what it limits are the catalogue's
 * `settingsPage.<key>Label` and `settingsPage.<key>Help`.
 */
export type PolicyField = {
  key: NumericPolicy;
  /** The BITS name, shown as a hint. */
  name: string;
  /** Unit the page shows. */
  unit: "days" | "count";
};

/** Every policy, in the order the page lists them. */
export const POLICY_FIELDS: readonly PolicyField[] = [
  {
    key: "JobInactivityTimeoutSecs",
    name: "JobInactivityTimeout",
    unit: "days",
  },
  { key: "MaxJobsPerUser", name: "MaxJobsPerUser", unit: "count" },
  {
    key: "MaxJobsPerMachine",
    name: "MaxJobsPerMachine",
    unit: "count",
  },
  { key: "MaxFilesPerJob", name: "MaxFilesPerJob", unit: "count" },
  { key: "MaxRangesPerFile", name: "MaxRangesPerFile", unit: "count" },
];

/** The value the page shows for a policy. */
export function shownValue(field: PolicyField, policies: Policies): number {
  const value = policies[field.key];
  return field.unit === "days" ? Math.round((value / DAY) * 100) / 100 : value;
}

/** The stored value for what the page shows. */
export function storedValue(field: PolicyField, shown: number): number {
  return field.unit === "days" ? Math.round(shown * DAY) : Math.round(shown);
}

/** The default, as the page shows it: `90 days`, `60`. */
export function shownDefault(field: PolicyField): string {
  const value = shownValue(field, DEFAULT_POLICIES);
  return field.unit === "days" ? tv("format.days", { value }) : String(value);
}

/** Largest cap the policy can hold, in Kbps. */
export const MAX_KBPS = 4_294_967_295;

/** Cap offered when the user switches a cap from "No limit" to a number (the BITS default). */
const SUGGESTED_KBPS = DEFAULT_BANDWIDTH_POLICY.InWindowKbps ?? 1000;

/** One cap as the form holds it: no limit, or the number of Kbps as typed. */
export type CapForm = { limited: boolean; kbps: string };

/** The MaxInternetBandwidth section as the form holds it (numbers as typed). */
export type BandwidthForm = {
  enabled: boolean;
  startHour: string;
  endHour: string;
  inWindow: CapForm;
  outside: CapForm;
};

/** Fields of the bandwidth form that can carry an error. */
export type BandwidthField = "startHour" | "endHour" | "inWindow" | "outside";

/** Field errors; a field without an entry is fine. */
export type BandwidthErrors = Partial<Record<BandwidthField, string>>;

/** What the form makes of the user's input: the policy, or what is wrong with it. */
export type BandwidthParse = { ok: true; policy: BandwidthPolicy } | { ok: false; errors: BandwidthErrors };

/** The form of one cap; "No limit" keeps a suggested number ready for when it is switched. */
function capForm(kbps: number | null): CapForm {
  return kbps === null ? { limited: false, kbps: String(SUGGESTED_KBPS) } : { limited: true, kbps: String(kbps) };
}

/** The form showing `policy`. */
export function bandwidthForm(policy: BandwidthPolicy): BandwidthForm {
  return {
    enabled: policy.Enabled,
    startHour: String(policy.StartHour),
    endHour: String(policy.EndHour),
    inWindow: capForm(policy.InWindowKbps),
    outside: capForm(policy.OutsideKbps),
  };
}

/** A value read from the form, or why it cannot be read. */
type Read<T> = { value: T } | { error: string };

/** A whole number from `text` within `max`, or null when it is not one. */
function wholeNumber(text: string, max: number): number | null {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return null;
  const value = Number(trimmed);
  return value <= max ? value : null;
}

function readHour(text: string): Read<number> {
  const hour = wholeNumber(text, 23);
  return hour === null ? { error: t("bandwidth.hourError") } : { value: hour };
}

function readCap(cap: CapForm): Read<number | null> {
  if (!cap.limited) return { value: null };
  const kbps = wholeNumber(cap.kbps, MAX_KBPS);
  return kbps === null ? { error: t("bandwidth.kbpsError") } : { value: kbps };
}

/** Checks the form and builds the policy it describes: hours 0–23, caps whole Kbps or none. */
export function parseBandwidthForm(form: BandwidthForm): BandwidthParse {
  const read = {
    startHour: readHour(form.startHour),
    endHour: readHour(form.endHour),
    inWindow: readCap(form.inWindow),
    outside: readCap(form.outside),
  };
  const { startHour, endHour, inWindow, outside } = read;
  if ("error" in startHour || "error" in endHour || "error" in inWindow || "error" in outside) {
    const errors: BandwidthErrors = {};
    for (const [field, value] of Object.entries(read) as Array<[BandwidthField, Read<unknown>]>) {
      if ("error" in value) errors[field] = value.error;
    }
    return { ok: false, errors };
  }
  return {
    ok: true,
    policy: {
      Enabled: form.enabled,
      StartHour: startHour.value,
      EndHour: endHour.value,
      InWindowKbps: inWindow.value,
      OutsideKbps: outside.value,
    },
  };
}

const clock = (hour: number) => `${String(hour).padStart(2, "0")}:00`;

/** The window in words: `Every day from 08:00 to 17:00`, or the whole day when the hours match. */
export function describeWindow(policy: BandwidthPolicy): string {
  const { StartHour: start, EndHour: end } = policy;
  if (start === end) return t("bandwidth.allDay");
  const words = end < start ? "bandwidth.windowOvernight" : "bandwidth.window";
  return tv(words, { start: clock(start), end: clock(end) });
}

/** What a cap does to background jobs. */
export function describeCap(kbps: number | null): string {
  if (kbps === null) return t("bandwidth.capAll");
  if (kbps === 0) return t("bandwidth.capHeld");
  if (kbps < 2) return t("bandwidth.capSmallest");
  return tv("bandwidth.cap", { kbps });
}
