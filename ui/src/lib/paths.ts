/**
 * Local paths the window builds: a download's destination from its URL and a folder.
 * The engine validates every path; these only make good names.
 */
import { baseName } from "./format";

/** Characters no file name may hold on any desktop system. */
const FORBIDDEN = /[<>:"/\\|?*\u0000-\u001f]/g;

/** The file name a URL suggests: its last path segment, decoded and made safe, or "download". */
export function fileNameFromUrl(url: string): string {
  let segment = "";
  try {
    const parsed = new URL(url);
    segment = baseName(parsed.pathname);
    segment = decodeURIComponent(segment);
  } catch {
    segment = baseName(url.split(/[?#]/)[0] ?? "");
  }
  const safe = segment.replace(FORBIDDEN, "_").replace(/^\.+/, "").trim();
  return safe.length > 0 ? safe : "download";
}

/** The separator a folder path already uses. */
function separatorOf(folder: string): string {
  return folder.includes("\\") && !folder.includes("/") ? "\\" : "/";
}

/** `folder` joined with a file name. */
export function joinPath(folder: string, name: string): string {
  const separator = separatorOf(folder);
  const trimmed = folder.endsWith(separator) ? folder.slice(0, -1) : folder;
  return `${trimmed}${separator}${name}`;
}

/** Makes names unique within one job: `a.zip`, `a (2).zip`, `a (3).zip`. */
export function uniqueNames(names: readonly string[]): string[] {
  const seen = new Set<string>();
  return names.map((name) => {
    if (!seen.has(name)) {
      seen.add(name);
      return name;
    }
    const dot = name.lastIndexOf(".");
    const stem = dot > 0 ? name.slice(0, dot) : name;
    const extension = dot > 0 ? name.slice(dot) : "";
    let counter = 2;
    let candidate = `${stem} (${counter})${extension}`;
    while (seen.has(candidate)) {
      counter += 1;
      candidate = `${stem} (${counter})${extension}`;
    }
    seen.add(candidate);
    return candidate;
  });
}

/** Splits pasted or dropped text into URLs: one per line or whitespace, comments skipped. */
export function parseUrlList(text: string): string[] {
  const urls: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed.length === 0 || trimmed.startsWith("#")) continue;
    for (const token of trimmed.split(/\s+/)) {
      if (token.length > 0 && !urls.includes(token)) urls.push(token);
    }
  }
  return urls;
}
