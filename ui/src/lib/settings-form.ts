/**
 * The settings page's model: BITS policy names, their defaults, and the conversions between
 * what the page shows (days) and what is stored (seconds).
 */
import type { Policies } from "./bindings/Policies";

/** Seconds in a day. */
const DAY = 86_400;

/** The BITS defaults (group-policy defaults of Windows). */
export const DEFAULT_POLICIES: Policies = {
  JobInactivityTimeoutSecs: 90 * DAY,
  MaxJobsPerUser: 60,
  MaxJobsPerMachine: 300,
  MaxFilesPerJob: 200,
  MaxRangesPerFile: 500,
};

/** One policy as the page lists it. */
export type PolicyField = {
  key: keyof Policies;
  /** The BITS name. */
  name: string;
  /** What it limits. */
  help: string;
  /** Unit the page shows. */
  unit: "days" | "count";
};

/** Every policy, in the order the page lists them. */
export const POLICY_FIELDS: readonly PolicyField[] = [
  {
    key: "JobInactivityTimeoutSecs",
    name: "JobInactivityTimeout",
    help: "A job untouched this long is cancelled.",
    unit: "days",
  },
  { key: "MaxJobsPerUser", name: "MaxJobsPerUser", help: "Jobs you may have in the queue.", unit: "count" },
  {
    key: "MaxJobsPerMachine",
    name: "MaxJobsPerMachine",
    help: "Jobs this computer may have in the queue.",
    unit: "count",
  },
  { key: "MaxFilesPerJob", name: "MaxFilesPerJob", help: "Files one job may hold.", unit: "count" },
  { key: "MaxRangesPerFile", name: "MaxRangesPerFile", help: "Byte ranges one file may have.", unit: "count" },
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
  return field.unit === "days" ? `${value} days` : String(value);
}
