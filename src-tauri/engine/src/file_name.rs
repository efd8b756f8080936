//! The one place where a file name Ferry did not get from the user is made safe: a name a
//! server suggests (`Content-Disposition`), a URL's last segment, or a name a browser hands
//! over. Whatever it is given, the answer stays inside its folder and is visible:
//!
//! - no path separators (`/`, `\`): the parts between them are joined with `_`, and the parts
//!   that are empty, `.` or `..` are dropped, so `../../etc/passwd` becomes `etc_passwd`;
//! - no control characters (each becomes `_`);
//! - no leading dots or spaces (no hidden file), no trailing dots or spaces;
//! - at most 255 bytes, cut at a character boundary, keeping a short extension;
//! - nothing left, or a name Windows reserves for a device (`CON`, `NUL`, `COM1`, … — such a
//!   file cannot be copied to a USB stick), becomes [`FALLBACK_NAME`].

/// The longest file name, in bytes, most Linux file systems accept.
pub const MAX_NAME_BYTES: usize = 255;

/// The name used when neither the server, the sender nor the URL suggests a usable one.
pub const FALLBACK_NAME: &str = "download";

/// The longest extension kept when a name is shortened (longer "extensions" are cut like the
/// rest of the name).
const MAX_KEPT_EXTENSION_BYTES: usize = 16;

/// Names no file may have on Windows, whatever its extension (compared without case).
const RESERVED: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// `suggested` made safe (see the module's rules); `None` when nothing usable is left.
pub fn safe_file_name(suggested: &str) -> Option<String> {
    let joined = suggested
        .split(['/', '\\'])
        .filter(|part| !matches!(part.trim(), "" | "." | ".."))
        .collect::<Vec<_>>()
        .join("_");
    let visible: String = joined
        .chars()
        .map(|c| if c.is_control() { '_' } else { c })
        .collect();
    let name = visible
        .trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    if name.is_empty() || is_reserved(name) {
        return None;
    }
    Some(shorten(name))
}

/// `suggested` made safe, or [`FALLBACK_NAME`] when nothing usable is left.
pub fn safe_file_name_or_fallback(suggested: &str) -> String {
    safe_file_name(suggested).unwrap_or_else(|| FALLBACK_NAME.to_owned())
}

/// The last non-empty segment of the URL's path, percent-decoded and made safe; `None` when
/// the path has none (`http://host/`) or nothing usable is left.
pub fn name_from_url(url: &url::Url) -> Option<String> {
    let last = url.path_segments()?.rev().find(|s| !s.is_empty())?;
    let decoded = percent_encoding::percent_decode_str(last).decode_utf8_lossy();
    safe_file_name(&decoded)
}

/// True for `CON`, `nul.txt`, `Com1.tar.gz` and the like.
fn is_reserved(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name).trim_end();
    RESERVED.iter().any(|r| stem.eq_ignore_ascii_case(r))
}

/// `name` cut to [`MAX_NAME_BYTES`] at a character boundary, keeping a short extension.
fn shorten(name: &str) -> String {
    if name.len() <= MAX_NAME_BYTES {
        return name.to_owned();
    }
    let extension = name
        .rfind('.')
        .map(|dot| &name[dot..])
        .filter(|ext| ext.len() <= MAX_KEPT_EXTENSION_BYTES)
        .unwrap_or("");
    let mut stem_end = MAX_NAME_BYTES - extension.len();
    while !name.is_char_boundary(stem_end) {
        stem_end -= 1;
    }
    format!("{}{extension}", &name[..stem_end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_never_leave_their_folder_nor_hide() {
        let cases = [
            ("report.pdf", Some("report.pdf")),
            ("../../etc/passwd", Some("etc_passwd")),
            ("..", None),
            (".", None),
            ("/", None),
            ("", None),
            ("   ", None),
            (".bashrc", Some("bashrc")),
            ("  . hidden.txt ", Some("hidden.txt")),
            ("a\\b/c", Some("a_b_c")),
            ("a\u{7}b", Some("a_b")),
            ("line\nbreak\u{7}.bin", Some("line_break_.bin")),
            ("a..b.iso", Some("a..b.iso")),
            ("name.", Some("name")),
            ("CON", None),
            ("nul.txt", None),
            ("console.log", Some("console.log")),
            ("naïve file.txt", Some("naïve file.txt")),
        ];
        for (given, expected) in cases {
            assert_eq!(safe_file_name(given).as_deref(), expected, "{given:?}");
        }
        assert_eq!(safe_file_name_or_fallback("../.."), FALLBACK_NAME);
    }

    #[test]
    fn long_names_keep_their_extension_within_255_bytes() {
        let long = format!("{}.tar", "é".repeat(200));
        let short = safe_file_name(&long).unwrap();
        assert!(short.len() <= MAX_NAME_BYTES, "{}", short.len());
        assert!(short.ends_with(".tar"), "{short}");
        let ascii = format!("{}.iso", "a".repeat(300));
        let short = safe_file_name(&ascii).unwrap();
        assert_eq!(short.len(), MAX_NAME_BYTES);
        assert!(short.ends_with("a.iso"), "{short}");
    }

    #[test]
    fn a_urls_last_segment_is_decoded_and_made_safe() {
        let url = url::Url::parse("http://127.0.0.1/files/My%20File%2F..%2Fx.bin?x=1").unwrap();
        assert_eq!(name_from_url(&url).as_deref(), Some("My File_x.bin"));
        let root = url::Url::parse("http://127.0.0.1/").unwrap();
        assert_eq!(name_from_url(&root), None);
        let dir = url::Url::parse("http://127.0.0.1/a/b/").unwrap();
        assert_eq!(name_from_url(&dir).as_deref(), Some("b"));
        let encoded = url::Url::parse("http://127.0.0.1/na%C3%AFve%20file.txt").unwrap();
        assert_eq!(name_from_url(&encoded).as_deref(), Some("naïve file.txt"));
    }
}

#[cfg(test)]
mod properties {
    //! Any suggested name: never a panic, and what comes back is a safe name.

    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn whatever_is_suggested_the_answer_is_one_visible_name(text in any::<String>()) {
            if let Some(name) = safe_file_name(&text) {
                prop_assert!(!name.is_empty() && name.len() <= MAX_NAME_BYTES);
                prop_assert!(!name.contains(['/', '\\']));
                prop_assert!(!name.chars().any(char::is_control));
                prop_assert!(!name.starts_with('.'));
                prop_assert!(name != "..");
            }
        }
    }
}
