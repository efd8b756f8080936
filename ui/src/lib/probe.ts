/**
 * The Add dialog's look at its URLs before they are added: the engine asks each server (see
 * `probe_urls`), this module decides when to ask and what to show. Typing does not send a
 * request per keystroke: a probe starts once the URLs have not changed for
 * [`PROBE_DEBOUNCE_MS`], and the answer of a probe whose URLs have changed since is dropped.
 * A probe is advisory: its failure is a line under the URL and never blocks Add.
 */
import type { Credentials } from "./bindings/Credentials";
import type { ProbeRequest } from "./bindings/ProbeRequest";
import type { ProbeResult } from "./bindings/ProbeResult";
import { formatBytes } from "./format";
import { t, tv } from "./i18n";

/** How long the URLs must stay unchanged before they are probed. */
export const PROBE_DEBOUNCE_MS = 500;

/** How many URLs the engine checks; the rest are shown as not checked. */
export const MAX_PROBED_URLS = 20;

/** What one URL's row says, each part a whole phrase of its own. */
export type ProbeRow = {
  url: string;
  name: string;
  /** "12.3 MB", or the phrase for an unknown size. */
  size: string;
  /** The media type, or the phrase for an unknown type. */
  type: string;
  /** Whether it can resume, said in words. */
  resume: string;
  canResume: boolean;
  /** A short line under the URL when it could not be checked. */
  note: string | null;
};

/** The words of one probe answer. */
export function probeRow(result: ProbeResult): ProbeRow {
  const base = {
    url: result.url,
    name: result.file_name,
    size: result.size === null ? t("probe.sizeUnknown") : formatBytes(result.size),
    type: result.content_type ?? t("probe.typeUnknown"),
    canResume: result.can_resume,
    resume: result.can_resume ? t("probe.canResume") : t("probe.cannotResume"),
  };
  switch (result.status) {
    case "FOUND":
      return { ...base, note: null };
    case "FAILED":
      return { ...base, resume: t("probe.notChecked"), note: probeFailureNote(result.error?.message ?? "") };
    case "NOT_CHECKED":
      return { ...base, resume: t("probe.notChecked"), note: tv("probe.notCheckedMore", { count: MAX_PROBED_URLS }) };
  }
}

/** The line under a URL whose check failed (the engine's reason, passwords masked). */
export function probeFailureNote(reason: string): string {
  return tv("probe.failed", { reason: maskPasswords(reason) });
}

/** Every `user:password@` in `text` with the password replaced by `****`. */
export function maskPasswords(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s/?#@:]*):[^\s/?#@]*@/gi, "$1:****@");
}

/** The file names the answers give, by URL. */
export function probedNames(results: readonly ProbeResult[]): Record<string, string> {
  const names: Record<string, string> = {};
  for (const result of results) names[result.url] = result.file_name;
  return names;
}

/** What to ask: the URLs, and the server credentials when the form has them. */
export function probeRequest(urls: readonly string[], credentials: Credentials | null): ProbeRequest {
  const request: ProbeRequest = { urls: [...urls] };
  if (credentials && credentials.target === "SERVER") request.credentials = credentials;
  return request;
}

/**
 * Runs at most one wanted probe: [`schedule`] restarts the wait each time the URLs change;
 * answers of a probe that is no longer the latest are dropped.
 */
export class Prober {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private generation = 0;
  private lastKey = "";

  constructor(
    private readonly ask: (request: ProbeRequest) => Promise<ProbeResult[] | null>,
    private readonly show: (results: ProbeResult[] | null, pending: boolean) => void,
    private readonly delayMs = PROBE_DEBOUNCE_MS,
  ) {}

  /** Probes `request` once it has stayed the same for the delay (empty URLs: shows nothing). */
  schedule(request: ProbeRequest): void {
    const key = JSON.stringify(request);
    if (key === this.lastKey) return;
    this.lastKey = key;
    this.generation += 1;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (request.urls.length === 0) {
      this.show(null, false);
      return;
    }
    const generation = this.generation;
    this.show(null, true);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.run(request, generation);
    }, this.delayMs);
  }

  /** Forgets every probe (the dialog closed): nothing more is shown. */
  stop(): void {
    this.generation += 1;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private async run(request: ProbeRequest, generation: number): Promise<void> {
    let results: ProbeResult[] | null = null;
    try {
      results = await this.ask(request);
    } catch {
      results = null;
    }
    if (generation === this.generation) this.show(results ?? null, false);
  }
}
