/**
 * Links and text dragged onto the window: which drags to accept and the URLs they carry.
 */
import { parseUrlList } from "./paths";

/** Whether a drag carries links or text (and so may be dropped as URLs). */
export function carriesUrls(types: readonly string[]): boolean {
  return types.includes("text/uri-list") || types.includes("text/plain");
}

/** The URLs a drop carries: the link list when there is one, else the plain text. */
export function droppedUrls(data: Pick<DataTransfer, "getData" | "types">): string[] {
  const types = Array.from(data.types);
  if (types.includes("text/uri-list")) {
    const links = parseUrlList(data.getData("text/uri-list"));
    if (links.length > 0) return links;
  }
  if (types.includes("text/plain")) return parseUrlList(data.getData("text/plain"));
  return [];
}

/** Appends URLs to a URL field's text, one per line, skipping ones already there. */
export function appendUrls(text: string, urls: readonly string[]): string {
  const present = new Set(parseUrlList(text));
  const added = urls.filter((url) => !present.has(url));
  if (added.length === 0) return text;
  const base = text.trimEnd();
  return (base.length > 0 ? `${base}\n` : "") + added.join("\n");
}
