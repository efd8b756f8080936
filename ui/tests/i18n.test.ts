import { afterEach, describe, expect, it } from "vitest";
import { locale } from "svelte-i18n";
import en from "../src/locales/en.json";
import ptBR from "../src/locales/pt-BR.json";
import { applyLanguage, localeOf, resolveLanguage, t, tv } from "../src/lib/i18n";
import { bulkNotice } from "../src/lib/bulk";
import { formatBytes, formatProgressBytes, formatTime, stateLabel } from "../src/lib/format";

/** Every message of a catalogue, by its dotted id. */
function flatten(catalogue: object, prefix = ""): Map<string, string> {
  const messages = new Map<string, string>();
  for (const [key, value] of Object.entries(catalogue)) {
    const id = prefix ? `${prefix}.${key}` : key;
    if (typeof value === "string") messages.set(id, value);
    else for (const [inner, text] of flatten(value as object, id)) messages.set(inner, text);
  }
  return messages;
}

/** The names of a message's placeholders (`{count}`, `{count, plural, ...}`), sorted. */
function placeholders(message: string): string[] {
  return [...new Set([...message.matchAll(/\{\s*([A-Za-z]+)\s*[,}]/g)].map((match) => match[1] ?? ""))].sort();
}

const english = flatten(en);
const portuguese = flatten(ptBR);

afterEach(() => applyLanguage("en"));

describe("the catalogues", () => {
  it("have the same messages in English and Brazilian Portuguese", () => {
    expect([...portuguese.keys()].sort()).toEqual([...english.keys()].sort());
    expect(english.size).toBeGreaterThan(100);
  });

  it("use the same placeholders in both languages", () => {
    for (const [id, text] of english) {
      expect(placeholders(portuguese.get(id) ?? ""), id).toEqual(placeholders(text));
    }
  });

  it("format every message in both languages, with a value for each placeholder", () => {
    for (const language of ["en", "pt-BR"] as const) {
      applyLanguage(language);
      for (const [id, text] of language === "en" ? english : portuguese) {
        const values = Object.fromEntries(placeholders(text).map((name) => [name, 2]));
        const shown = tv(id, values);
        expect(shown, `${language} ${id}`).not.toBe(id);
        expect(shown, `${language} ${id}`).not.toMatch(/\{\s*[A-Za-z]+\s*[,}]/);
      }
    }
  });
});

describe("the language", () => {
  it("follows the setting, and the system's language for System", () => {
    expect(resolveLanguage("pt-BR", "en-US")).toBe("pt-BR");
    expect(resolveLanguage("en", "pt-BR")).toBe("en");
    expect(resolveLanguage("system", "pt-BR")).toBe("pt-BR");
    expect(resolveLanguage("system", "pt")).toBe("pt-BR");
    expect(resolveLanguage("system", "de-DE")).toBe("en");
    expect(localeOf("pt_BR.UTF-8")).toBe("pt-BR");
  });

  it("picks plurals for 0, 1 and 2 in each language", () => {
    applyLanguage("en");
    expect([0, 1, 2].map((count) => bulkNotice("pause", count).title)).toEqual([
      "Nothing to pause: no job is moving or waiting to move.",
      "Paused 1 job.",
      "Paused 2 jobs.",
    ]);
    expect(tv("filterBar.count", { total: 1 })).toBe("1 job");
    expect(tv("filterBar.count", { total: 2 })).toBe("2 jobs");
    applyLanguage("pt-BR");
    expect([0, 1, 2].map((count) => bulkNotice("pause", count).title)).toEqual([
      "Nada para pausar: nenhuma transferência está em andamento ou na fila.",
      "1 transferência pausada.",
      "2 transferências pausadas.",
    ]);
    expect(tv("history.completedPartially", { kept: 1, total: 1 })).toBe("Concluída em parte: 1 de 1 arquivo mantido");
    expect(tv("history.completedPartially", { kept: 1, total: 2 })).toBe("Concluída em parte: 1 de 2 arquivos mantidos");
  });

  it("formats sizes, progress and dates the way each language writes them", () => {
    applyLanguage("en");
    expect(formatBytes(1_500_000)).toBe("1.5 MB");
    expect(formatProgressBytes(12_300_000, null)).toBe("12.3 MB of unknown");
    applyLanguage("pt-BR");
    expect(formatBytes(1_500_000)).toBe("1,5 MB");
    expect(formatProgressBytes(1_230_000_000, 4_500_000_000)).toBe("1,23 de 4,5 GB");
    expect(stateLabel("SUSPENDED")).toBe("Pausado");
    expect(t("toolbar.pauseAll")).toBe("Pausar tudo");
    const date = Date.UTC(2026, 2, 5, 12, 0);
    expect(formatTime(date)).toBe(
      new Date(date).toLocaleString("pt-BR", { dateStyle: "medium", timeStyle: "short" }),
    );
    expect(formatTime(date)).toMatch(/mar/);
  });

  it("changes the locale store the page is keyed on", async () => {
    applyLanguage("pt-BR");
    let current: string | null | undefined;
    locale.subscribe((value) => (current = value))();
    expect(current).toBe("pt-BR");
  });
});
