import { describe, expect, it } from "vitest";
import {
  buildRequest,
  defaultDisplayName,
  emptyForm,
  fieldForError,
  missingFields,
  type AddJobForm,
} from "../src/lib/add-job";
import * as codes from "../src/lib/codes";
import { fileNameFromUrl, parseUrlList, uniqueNames } from "../src/lib/paths";

function form(overrides: Partial<AddJobForm>): AddJobForm {
  return { ...emptyForm("/home/user/Downloads"), ...overrides };
}

describe("add-job request", () => {
  it("defaults to a FOREGROUND download into the default folder", () => {
    const empty = emptyForm("/dl");
    expect(empty.priority).toBe("FOREGROUND");
    expect(empty.jobType).toBe("DOWNLOAD");
    expect(empty.folder).toBe("/dl");
  });

  it("makes one file per pasted URL with unique names in the folder", () => {
    const request = buildRequest(
      form({ urls: "http://127.0.0.1/a/x.iso\n\n  http://127.0.0.1/b/x.iso  \nhttp://127.0.0.1/dir/" }),
    );
    expect(request.files).toEqual([
      { remote_url: "http://127.0.0.1/a/x.iso", local_path: "/home/user/Downloads/x.iso" },
      { remote_url: "http://127.0.0.1/b/x.iso", local_path: "/home/user/Downloads/x (2).iso" },
      { remote_url: "http://127.0.0.1/dir/", local_path: "/home/user/Downloads/dir" },
    ]);
    expect(request.display_name).toBe("x.iso and 2 more");
    expect(request.credentials).toBeNull();
  });

  it("builds an upload-reply with its reply file and credentials", () => {
    const request = buildRequest(
      form({
        jobType: "UPLOAD_REPLY",
        uploadFile: "/home/user/report.pdf",
        serverUrl: "http://127.0.0.1/upload/report.pdf",
        replyFile: "/home/user/reply.txt",
        useCredentials: true,
        userName: "me",
        password: "secret",
        authScheme: "DIGEST",
      }),
    );
    expect(request).toMatchObject({
      job_type: "UPLOAD_REPLY",
      display_name: "report.pdf",
      files: [{ remote_url: "http://127.0.0.1/upload/report.pdf", local_path: "/home/user/report.pdf" }],
      reply_file_name: "/home/user/reply.txt",
      credentials: { target: "SERVER", scheme: "DIGEST", user_name: "me", password: "secret" },
    });
  });

  it("says what is missing before anything is sent", () => {
    expect(missingFields(form({ urls: "  ", folder: "" }))).toEqual({
      urls: "Enter at least one URL.",
      folder: "Choose a destination folder.",
    });
    expect(missingFields(form({ jobType: "UPLOAD" }))).toMatchObject({ uploadFile: expect.any(String), serverUrl: expect.any(String) });
    expect(missingFields(form({ urls: "http://127.0.0.1/a" }))).toEqual({});
  });
});

describe("engine errors go to the field they concern", () => {
  const download = form({ urls: "http://127.0.0.1/a.bin" });

  it("maps codes that name their field", () => {
    expect(fieldForError(codes.BG_E_TOO_MANY_FILES_IN_JOB, download)).toBe("urls");
    expect(fieldForError(codes.E_ACCESSDENIED, download)).toBe("folder");
    expect(fieldForError(codes.ERROR_PATH_NOT_FOUND, download)).toBe("folder");
    expect(fieldForError(codes.BG_E_USERNAME_TOO_LARGE, download)).toBe("user");
    expect(fieldForError(codes.BG_E_PASSWORD_TOO_LARGE, download)).toBe("password");
    expect(fieldForError(codes.BG_E_TOO_MANY_JOBS_PER_USER, download)).toBe("form");
    expect(fieldForError(codes.E_ACCESSDENIED, form({ jobType: "UPLOAD" }))).toBe("uploadFile");
  });

  it("sends E_INVALIDARG to the first field the engine would reject", () => {
    expect(fieldForError(codes.E_INVALIDARG, form({ urls: "ftp://127.0.0.1/a" }))).toBe("urls");
    expect(fieldForError(codes.E_INVALIDARG, form({ urls: "http://127.0.0.1/a", folder: "relative/dir" }))).toBe(
      "folder",
    );
    expect(fieldForError(codes.E_INVALIDARG, form({ urls: "http://127.0.0.1/a", displayName: "n".repeat(257) }))).toBe(
      "name",
    );
  });

  it("keeps the default display name of a very long URL within the engine's limit", () => {
    const long = form({ urls: `http://127.0.0.1/${"a".repeat(3000)}.bin` });
    expect([...defaultDisplayName(long)].length).toBeLessThanOrEqual(256);
    expect(fieldForError(codes.E_INVALIDARG, long, "the URL is longer than 2,200 characters: http://…")).toBe("urls");
  });

  it("puts a folder with '..' under the folder field, not the URLs", () => {
    const climbing = form({ urls: "http://127.0.0.1/a.bin", folder: "/home/user/../../etc" });
    const message = "the local path /home/user/../../etc/a.bin contains '..'";
    expect(fieldForError(codes.E_INVALIDARG, climbing, message)).toBe("folder");
    expect(fieldForError(codes.E_INVALIDARG, climbing)).toBe("folder");
  });

  it("puts a refused home folder under the folder field", () => {
    const other = form({ urls: "http://127.0.0.1/a.bin", folder: "~root" });
    const message = "~root/a.bin names another user's home folder; type the whole path, such as /home/name/Downloads";
    expect(fieldForError(codes.E_INVALIDARG, other, message)).toBe("folder");
    expect(fieldForError(codes.E_INVALIDARG, form({ urls: "http://127.0.0.1/a.bin", folder: "~/Downloads" }))).toBe("urls");
  });
});

describe("URL lists", () => {
  it("splits lines and whitespace, skipping comments and repeats", () => {
    expect(parseUrlList("# links\nhttp://a/1 http://a/2\r\nhttp://a/1\n")).toEqual(["http://a/1", "http://a/2"]);
  });

  it("names files after the URL path, safely", () => {
    expect(fileNameFromUrl("http://127.0.0.1/some%20dir/my%20file.tar.gz?x=1")).toBe("my file.tar.gz");
    expect(fileNameFromUrl("http://127.0.0.1/")).toBe("download");
    expect(fileNameFromUrl("http://127.0.0.1/..%2F..%2Fetc%2Fpasswd")).toBe("_.._etc_passwd");
    expect(uniqueNames(["a", "a", "a"])).toEqual(["a", "a (2)", "a (3)"]);
  });
});
