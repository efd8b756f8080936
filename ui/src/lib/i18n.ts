/**
 * The window's languages: English and Brazilian Portuguese, with svelte-i18n (ICU
 * MessageFormat: placeholders and plurals in whole messages). The catalogues are
 * `src/locales/en.json` and `src/locales/pt-BR.json`, one object per component or area.
 *
 * The language follows the `language` setting; "system" reads the webview's
 * `navigator.language`. The whole page is drawn again when the language changes (App.svelte
 * keys its content on the locale), so texts built in `lib/*.ts` with `t` follow it too.
 */
import { addMessages, format, getLocaleFromNavigator, init, locale, unwrapFunctionStore } from "svelte-i18n";
import { get } from "svelte/store";
import type { Language } from "./bindings/Language";
import en from "../locales/en.json";
import ptBR from "../locales/pt-BR.json";

/** The catalogues the window has. */
export type Locale = "en" | "pt-BR";

/** Every catalogue, by locale. */
export const CATALOGUES: Record<Locale, object> = { en, "pt-BR": ptBR };

for (const [name, messages] of Object.entries(CATALOGUES)) addMessages(name, messages as never);

/** The catalogue for a language tag (`pt-BR`, `pt`, `en-US`): Portuguese ones read pt-BR. */
export function localeOf(tag: string | null | undefined): Locale {
  return (tag ?? "").toLowerCase().split(/[-_.@]/)[0] === "pt" ? "pt-BR" : "en";
}

/** The catalogue a `language` setting reads, `system` following the webview's language. */
export function resolveLanguage(language: Language, systemTag: string | null | undefined): Locale {
  if (language === "en") return "en";
  if (language === "pt-BR") return "pt-BR";
  return localeOf(systemTag);
}

init({ fallbackLocale: "en", initialLocale: localeOf(getLocaleFromNavigator()) });

/** Puts the catalogue `language` reads in force. */
export function applyLanguage(language: Language): void {
  const next = resolveLanguage(language, getLocaleFromNavigator());
  if (get(locale) !== next) locale.set(next);
}

/** The catalogue in force. */
export function currentLocale(): Locale {
  return localeOf(get(locale));
}

/** A message of the catalogue in force, its placeholders filled from `values`. */
export const t: (id: string, options?: { values?: Record<string, string | number | Date> }) => string =
  unwrapFunctionStore(format);

/** A message with values: `tv("jobs.count", { count: 2 })`. */
export function tv(id: string, values: Record<string, string | number | Date>): string {
  return t(id, { values });
}
