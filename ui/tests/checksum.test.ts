import { describe, expect, it } from "vitest";
import { checksumsForFiles, normaliseChecksum, parseListedLine, verificationText } from "../src/lib/checksum";
import { file } from "./fixtures";

const SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const MD5 = "d41d8cd98f00b204e9800998ecf8427e";
const SHA1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
const SHA512 = "ab".repeat(64);

describe("a checksum typed as-is", () => {
  it("names the algorithm of bare hex by its length", () => {
    expect(normaliseChecksum(MD5)).toBe(`md5:${MD5}`);
    expect(normaliseChecksum(SHA1)).toBe(`sha1:${SHA1}`);
    expect(normaliseChecksum(` ${SHA256.toUpperCase()} `)).toBe(`sha256:${SHA256}`);
    expect(normaliseChecksum(SHA512)).toBe(`sha512:${SHA512}`);
  });

  it("passes algo:hex (lower-cased) and SRI algo-base64 through", () => {
    expect(normaliseChecksum(`SHA256:${SHA256.toUpperCase()}`)).toBe(`sha256:${SHA256}`);
    expect(normaliseChecksum(`sha-256:${SHA256}`)).toBe(`sha256:${SHA256}`);
    const sri = "sha256-n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=";
    expect(normaliseChecksum(sri)).toBe(sri);
  });

  it("refuses what it cannot read, saying why", () => {
    expect(() => normaliseChecksum("abc")).toThrow(/hexadecimal digits is none Ferry knows/);
    expect(() => normaliseChecksum(`sha384:${SHA256}`)).toThrow(/not a checksum algorithm Ferry checks/);
    expect(() => normaliseChecksum("sha256:abcd")).toThrow(/64 hexadecimal digits; this one has 4/);
    expect(() => normaliseChecksum("sha256:xyz")).toThrow(/only hexadecimal digits/);
    expect(() => normaliseChecksum("sha256-abcd")).toThrow(/32 bytes; this base64 value is 3/);
    expect(() => normaliseChecksum("not a checksum!")).toThrow(/This is not a checksum/);
  });
});

describe("sha256sum-style lines", () => {
  it("reads the text and binary forms and the BSD form", () => {
    expect(parseListedLine(`${SHA256}  setup.iso`)).toEqual({ name: "setup.iso", checksum: `sha256:${SHA256}` });
    expect(parseListedLine(`${MD5} *dist/setup.iso`)).toEqual({ name: "setup.iso", checksum: `md5:${MD5}` });
    expect(parseListedLine(`SHA256 (setup.iso) = ${SHA256}`)).toEqual({ name: "setup.iso", checksum: `sha256:${SHA256}` });
    expect(parseListedLine("hello world")).toBeNull();
  });

  it("gives one URL the line with its file's name, or the only line", () => {
    const listing = `${MD5}  other.iso\n${SHA256}  setup.iso\n`;
    expect(checksumsForFiles(listing, ["setup.iso"])).toEqual({ ok: true, checksums: [`sha256:${SHA256}`], count: 1 });
    expect(checksumsForFiles(`${SHA256}  renamed.iso`, ["setup.iso"])).toEqual({
      ok: true,
      checksums: [`sha256:${SHA256}`],
      count: 1,
    });
    expect(checksumsForFiles(listing, ["missing.iso"])).toEqual({
      ok: false,
      error: "None of the pasted lines names missing.iso.",
    });
  });

  it("gives each of several files the line with its name and counts them", () => {
    const listing = `${SHA256}  a.iso\nSHA1 (c.iso) = ${SHA1}`;
    expect(checksumsForFiles(listing, ["a.iso", "b.iso", "c.iso"])).toEqual({
      ok: true,
      checksums: [`sha256:${SHA256}`, null, `sha1:${SHA1}`],
      count: 2,
    });
  });

  it("refuses a bare checksum for several files and a line that is not one", () => {
    const several = checksumsForFiles(SHA256, ["a.iso", "b.iso"]);
    expect(several.ok).toBe(false);
    const bad = checksumsForFiles(`${SHA256}  a.iso\nthis is prose`, ["a.iso"]);
    expect(bad).toEqual({ ok: false, error: 'Line 2 is not a checksum line like "<hex>  file.iso": this is prose' });
  });

  it("an empty field gives no checksum", () => {
    expect(checksumsForFiles("  \n", ["a.iso"])).toEqual({ ok: true, checksums: [null], count: 0 });
  });
});

describe("the verification line", () => {
  it("says how a file was verified, or what is expected while it downloads", () => {
    expect(verificationText(file(0, { verification: "SERVER_DIGEST" }))).toBe("Verified by the server's digest");
    expect(verificationText(file(0, { verification: "CHECKSUM" }))).toBe("Verified by your checksum");
    expect(verificationText(file(0, { checksum: `sha256:${SHA256}` }))).toBe(`Checksum expected: sha256:${SHA256}`);
    expect(verificationText(file(0, { transferred: true }))).toBe("Not verified");
  });
});
