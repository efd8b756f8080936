/**
 * Checksums in the window. The details pane's verification line ([`verificationText`]), and
 * the Add dialog's "Checksum" field: a checksum typed as-is (`algo:hex`, SRI `algo-base64`, or
 * bare hex whose length names the algorithm), or the output of `sha256sum`-style tools pasted
 * whole (`<hex>  <name>`, `<hex> *<name>`, or BSD `SHA256 (name) = <hex>`), matched to the
 * job's files by name. The engine checks the value again; this only reads what was pasted.
 */

import type { FileInfo } from "./bindings/FileInfo";
import { t, tv } from "./i18n";

/** The algorithms the engine checks. */
export type ChecksumAlgorithm = "sha256" | "sha512" | "sha1" | "md5";

/** Digest length in bytes per algorithm. */
const DIGEST_BYTES: Record<ChecksumAlgorithm, number> = { sha256: 32, sha512: 64, sha1: 20, md5: 16 };

/** The algorithm a bare hex value of this many digits is. */
const BY_HEX_LENGTH: Record<number, ChecksumAlgorithm> = { 32: "md5", 40: "sha1", 64: "sha256", 128: "sha512" };

const SUPPORTED = "sha256, sha512, sha1 or md5";

/** One line of a `sha256sum`-style listing. */
export type ListedChecksum = { name: string; checksum: string };

/** What the field gives the job: a checksum (or null) per file, or why it cannot. */
export type ChecksumFill =
  | { ok: true; checksums: (string | null)[]; count: number }
  | { ok: false; error: string };

function algorithmNamed(name: string): ChecksumAlgorithm | null {
  const key = name.toLowerCase().replace(/-/g, "");
  return key in DIGEST_BYTES ? (key as ChecksumAlgorithm) : null;
}

function isHex(text: string): boolean {
  return /^[0-9a-fA-F]+$/.test(text);
}

/** Bytes a standard base64 text decodes to, or null when it is not base64. */
function base64Bytes(text: string): number | null {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) return null;
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  return (text.length / 4) * 3 - padding;
}

function lengthError(algorithm: ChecksumAlgorithm, got: string): string {
  const digits = DIGEST_BYTES[algorithm] * 2;
  return tv("checksum.length", { algorithm, digits, got });
}

/**
 * One checksum as typed, normalised for the engine: bare hex becomes `algo:hex` (lower case),
 * `algo:hex` is lower-cased, SRI `algo-base64` passes through. Throws a sentence for people.
 */
export function normaliseChecksum(text: string): string {
  const value = text.trim();
  if (isHex(value)) {
    const algorithm = BY_HEX_LENGTH[value.length];
    if (!algorithm) {
      throw new Error(tv("checksum.unknownLength", { count: value.length }));
    }
    return `${algorithm}:${value.toLowerCase()}`;
  }
  const hexForm = /^([A-Za-z0-9-]+):(.*)$/.exec(value);
  if (hexForm) {
    const algorithm = algorithmNamed(hexForm[1]!);
    if (!algorithm) throw new Error(tv("checksum.unknownAlgorithm", { name: hexForm[1]!, supported: SUPPORTED }));
    const digits = hexForm[2]!;
    if (!isHex(digits)) throw new Error(tv("checksum.hexOnly", { name: hexForm[1]! }));
    if (digits.length !== DIGEST_BYTES[algorithm] * 2) throw new Error(lengthError(algorithm, String(digits.length)));
    return `${algorithm}:${digits.toLowerCase()}`;
  }
  const sriForm = /^([A-Za-z0-9]+)-(.*)$/.exec(value);
  if (sriForm) {
    const algorithm = algorithmNamed(sriForm[1]!);
    if (!algorithm) throw new Error(tv("checksum.unknownAlgorithm", { name: sriForm[1]!, supported: SUPPORTED }));
    const bytes = base64Bytes(sriForm[2]!);
    if (bytes === null) throw new Error(tv("checksum.base64", { name: sriForm[1]! }));
    if (bytes !== DIGEST_BYTES[algorithm]) {
      throw new Error(tv("checksum.bytes", { algorithm, expected: DIGEST_BYTES[algorithm], got: bytes }));
    }
    return value;
  }
  throw new Error(t("checksum.notChecksum"));
}

/** The file name of a listed path (`./dir/a.iso` → `a.iso`). */
function listedName(path: string): string {
  const parts = path.trim().split(/[\\/]/);
  return parts[parts.length - 1] ?? "";
}

const GNU_LINE = /^\\?([0-9a-fA-F]+) [ *](.+)$/;
const BSD_LINE = /^([A-Za-z0-9-]+) ?\((.+)\) ?= ?([0-9a-fA-F]+)$/;

/**
 * Reads one line of `sha256sum`/`sha512sum`/`md5sum` output (`<hex>  <name>`, `<hex> *<name>`)
 * or of BSD-style output (`SHA256 (name) = <hex>`); null when the line is neither.
 * Throws when it is one but its value is not a valid checksum.
 */
export function parseListedLine(line: string): ListedChecksum | null {
  const text = line.trim();
  const gnu = GNU_LINE.exec(text);
  if (gnu) return { name: listedName(gnu[2]!), checksum: normaliseChecksum(gnu[1]!) };
  const bsd = BSD_LINE.exec(text);
  if (bsd) {
    const algorithm = algorithmNamed(bsd[1]!);
    if (!algorithm) throw new Error(`"${bsd[1]}" is not a checksum algorithm Ferry checks; use ${SUPPORTED}.`);
    return { name: listedName(bsd[2]!), checksum: normaliseChecksum(`${algorithm}:${bsd[3]}`) };
  }
  return null;
}

function meaningfulLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith("#"));
}

/** Every line of a pasted listing; throws naming the first line that is not one. */
export function parseListing(text: string): ListedChecksum[] {
  return meaningfulLines(text).map((line, i) => {
    const listed = parseListedLine(line);
    if (!listed) throw new Error(tv("checksum.badLine", { line: i + 1, text: line }));
    return listed;
  });
}

/** True when the text is a listing (names files) rather than one bare checksum. */
export function isListing(text: string): boolean {
  const lines = meaningfulLines(text);
  return lines.length > 1 || (lines.length === 1 && /\s/.test(lines[0]!));
}

function listFill(listing: ListedChecksum[], names: readonly string[]): ChecksumFill {
  if (names.length === 1 && listing.length === 1) {
    return { ok: true, checksums: [listing[0]!.checksum], count: 1 };
  }
  const checksums = names.map((name) => listing.find((line) => line.name === name)?.checksum ?? null);
  const count = checksums.filter((c) => c !== null).length;
  if (count === 0) {
    const shown = names.slice(0, 3).join(", ") + (names.length > 3 ? ", …" : "");
    return { ok: false, error: tv(names.length === 1 ? "checksum.noneNamed" : "checksum.noneNamedAny", { names: shown }) };
  }
  return { ok: true, checksums, count };
}

/**
 * The checksum of each file named in `names` (the job's files, in order) from the field's text:
 * empty gives none; one checksum fits a single file; a listing gives each file the line with
 * its name (with one file, its only line also fits).
 */
export function checksumsForFiles(text: string, names: readonly string[]): ChecksumFill {
  const none = { ok: true as const, checksums: names.map(() => null), count: 0 };
  if (text.trim().length === 0 || names.length === 0) return none;
  try {
    if (isListing(text)) return listFill(parseListing(text), names);
    if (names.length > 1) {
      return {
        ok: false,
        error: t("checksum.oneFile"),
      };
    }
    return { ok: true, checksums: [normaliseChecksum(text)], count: 1 };
  } catch (reason) {
    return { ok: false, error: reason instanceof Error ? reason.message : String(reason) };
  }
}

/** How a downloaded file was verified, in words, for its line in the details pane. */
export function verificationText(file: FileInfo): string {
  switch (file.verification) {
    case "SERVER_DIGEST":
      return t("verification.serverDigest");
    case "CHECKSUM":
      return t("verification.checksum");
    default:
      return file.checksum !== null && !file.transferred
        ? tv("verification.expected", { checksum: file.checksum })
        : t("verification.none");
  }
}
