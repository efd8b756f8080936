//! Checks on everything callers hand the engine: URLs, local paths, names, ranges, credentials.
//! Each check answers the BITS error the caller would get.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorCode, ErrorContext, Result};
use crate::job::{
    ByteRange, Credentials, NotifyCommand, MAX_DESCRIPTION_CHARS, MAX_DISPLAY_NAME_CHARS,
    MAX_NOTIFY_COMMAND_CHARS, MAX_PASSWORD_CHARS, MAX_URL_CHARS, MAX_USER_NAME_CHARS,
};

/// A remote URL: http or https, absolute, with a host, at most 2,200 characters.
pub fn remote_url(url: &str) -> Result<url::Url> {
    let invalid = |why: &str| {
        Error::new(
            ErrorCode::E_INVALIDARG,
            format!("{why}: {}", shorten(&mask_password(url))),
        )
        .in_context(ErrorContext::RemoteFile)
    };
    if url.chars().count() > MAX_URL_CHARS {
        return Err(invalid("the URL is longer than 2,200 characters"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid("the URL contains spaces or control characters"));
    }
    let parsed =
        url::Url::parse(url).map_err(|e| invalid(&format!("the URL is not valid ({e})")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid("only http and https URLs are supported"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(invalid("the URL has no host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid(
            "put credentials in the job's credentials, not in the URL",
        ));
    }
    Ok(parsed)
}

/// A download destination: absolute, a file name, an existing writable folder, and not an
/// existing folder, FIFO, device, socket or link to one (`FERRY_E_NOT_A_REGULAR_FILE`).
pub fn download_path(path: &Path) -> Result<()> {
    DownloadPaths::default().check(path)
}

/// Checks download destinations like [`download_path`], each folder once: the files of a list
/// that all go to one folder cost one probe of that folder, not one each (a probe creates and
/// removes a file).
#[derive(Default)]
pub struct DownloadPaths {
    /// Folders found to exist and to be writable.
    usable_folders: HashSet<PathBuf>,
}

impl DownloadPaths {
    /// Checks one destination (see [`download_path`]).
    pub fn check(&mut self, path: &Path) -> Result<()> {
        absolute_file_path(path)?;
        let parent = path.parent().unwrap_or(Path::new("/"));
        let known = self.usable_folders.contains(parent);
        if !known {
            folder_exists(parent)?;
        }
        crate::handover::refuse_special_file(path)?;
        if !known {
            if !folder_is_writable(parent) {
                return Err(local(
                    ErrorCode::E_ACCESSDENIED,
                    format!("the folder {} is not writable", parent.display()),
                ));
            }
            self.usable_folders.insert(parent.to_owned());
        }
        Ok(())
    }
}

fn folder_exists(folder: &Path) -> Result<()> {
    match std::fs::metadata(folder) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(local(
            ErrorCode::ERROR_PATH_NOT_FOUND,
            format!("{} is not a folder", folder.display()),
        )),
        Err(_) => Err(local(
            ErrorCode::ERROR_PATH_NOT_FOUND,
            format!("the folder {} does not exist", folder.display()),
        )),
    }
}

/// An upload source: absolute path of an existing readable regular file.
pub fn upload_path(path: &Path) -> Result<()> {
    absolute_file_path(path)?;
    match std::fs::File::open(path) {
        Ok(file) => match file.metadata() {
            Ok(meta) if meta.is_file() => Ok(()),
            _ => Err(local(
                ErrorCode::E_INVALIDARG,
                format!("{} is not a file", path.display()),
            )),
        },
        Err(e) => Err(Error::local_io(
            format!("cannot read {}", path.display()),
            e,
        )),
    }
}

fn absolute_file_path(path: &Path) -> Result<()> {
    if !path.is_absolute() {
        return Err(local(
            ErrorCode::E_INVALIDARG,
            format!("the local path {} is not absolute", path.display()),
        ));
    }
    if path.file_name().is_none() {
        return Err(local(
            ErrorCode::E_INVALIDARG,
            format!("the local path {} has no file name", path.display()),
        ));
    }
    let text = path.to_string_lossy();
    if text.contains(['*', '?']) || text.contains('\0') {
        return Err(local(
            ErrorCode::E_INVALIDARG,
            format!("the local path {} contains wildcards", path.display()),
        ));
    }
    if path
        .components()
        .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err(local(
            ErrorCode::E_INVALIDARG,
            format!("the local path {} contains '..'", path.display()),
        ));
    }
    Ok(())
}

/// True when a file can be created in `folder` (checked by creating and removing a probe file,
/// which is the only answer that holds for every filesystem and permission model).
pub fn folder_is_writable(folder: &Path) -> bool {
    let probe = folder.join(format!(".ferry-probe-{}", uuid::Uuid::new_v4().simple()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            true
        }
        Err(_) => false,
    }
}

/// A display name: not empty, at most 256 characters.
pub fn display_name(name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::new(
            ErrorCode::E_INVALIDARG,
            "the display name is empty",
        ));
    }
    if name.chars().count() > MAX_DISPLAY_NAME_CHARS {
        return Err(Error::new(
            ErrorCode::E_INVALIDARG,
            "the display name is longer than 256 characters",
        ));
    }
    Ok(())
}

/// A description: at most 1,024 characters.
pub fn description(text: &str) -> Result<()> {
    if text.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(Error::new(
            ErrorCode::BG_E_STRING_TOO_LONG,
            "the description is longer than 1,024 characters",
        ));
    }
    Ok(())
}

/// Credentials: user ≤ 300, password ≤ 65,535 characters, a non-empty user name.
pub fn credentials(credentials: &Credentials) -> Result<()> {
    if credentials.user_name.chars().count() > MAX_USER_NAME_CHARS {
        return Err(Error::code(ErrorCode::BG_E_USERNAME_TOO_LARGE));
    }
    if credentials.password.chars().count() > MAX_PASSWORD_CHARS {
        return Err(Error::code(ErrorCode::BG_E_PASSWORD_TOO_LARGE));
    }
    if credentials.user_name.is_empty() {
        return Err(Error::new(
            ErrorCode::E_INVALIDARG,
            "Basic and Digest need a user name",
        ));
    }
    Ok(())
}

/// Ranges of `add_file_with_ranges`: at least one, no zero lengths, no open offsets, no end past
/// the largest file size, no overlaps (checked in offset order, as BITS does), at most `max` of
/// them.
pub fn ranges(ranges: &[ByteRange], max: u32) -> Result<()> {
    if ranges.is_empty() {
        return Err(Error::new(
            ErrorCode::E_INVALIDARG,
            "no byte ranges were given",
        ));
    }
    if ranges.len() > max as usize {
        return Err(Error::new(
            ErrorCode::BG_E_TOO_MANY_RANGES_IN_FILE,
            format!(
                "{} ranges is more than MaxRangesPerFile ({max})",
                ranges.len()
            ),
        ));
    }
    for range in ranges {
        if range.offset == u64::MAX {
            return Err(Error::new(
                ErrorCode::BG_E_INVALID_RANGE,
                "a range cannot start at 'end of file'",
            ));
        }
        if range.length == Some(0) {
            return Err(Error::new(
                ErrorCode::BG_E_INVALID_RANGE,
                "a range has zero length",
            ));
        }
        if range
            .length
            .is_some_and(|length| range.offset.checked_add(length).is_none())
        {
            return Err(Error::new(
                ErrorCode::BG_E_INVALID_RANGE,
                format!(
                    "the range at offset {} ends past the largest possible file size",
                    range.offset
                ),
            ));
        }
    }
    let mut sorted: Vec<&ByteRange> = ranges.iter().collect();
    sorted.sort_by_key(|r| r.offset);
    for pair in sorted.windows(2) {
        let end = match pair[0].length {
            Some(length) => pair[0].offset.saturating_add(length),
            None => u64::MAX,
        };
        if pair[1].offset < end {
            return Err(Error::new(
                ErrorCode::BG_E_OVERLAPPING_RANGES,
                format!(
                    "the ranges at offsets {} and {} overlap",
                    pair[0].offset, pair[1].offset
                ),
            ));
        }
    }
    Ok(())
}

/// A notify command: absolute program path and a command line of at most 4,000 characters.
pub fn notify_command(command: &NotifyCommand) -> Result<()> {
    if !command.program.is_absolute() {
        return Err(Error::new(
            ErrorCode::E_INVALIDARG,
            "the program must be given by its full path",
        ));
    }
    let length =
        command.program.as_os_str().len() + command.args.iter().map(|a| a.len() + 1).sum::<usize>();
    if length > MAX_NOTIFY_COMMAND_CHARS {
        return Err(Error::new(
            ErrorCode::BG_E_STRING_TOO_LONG,
            "the command line is longer than 4,000 characters",
        ));
    }
    Ok(())
}

fn local(code: ErrorCode, message: String) -> Error {
    Error::new(code, message).in_context(ErrorContext::LocalFile)
}

/// `url` with the password of its `user:password@` part (if any) replaced by `****`, so that
/// no message ever echoes it.
pub fn mask_password(url: &str) -> String {
    let Some(start) = url.find("://").map(|at| at + 3) else {
        return url.to_owned();
    };
    let authority_end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |at| start + at);
    let Some(at) = url[start..authority_end].rfind('@') else {
        return url.to_owned();
    };
    let user_info = &url[start..start + at];
    match user_info.find(':') {
        Some(colon) => format!(
            "{}{}:****{}",
            &url[..start],
            &user_info[..colon],
            &url[start + at..]
        ),
        None => url.to_owned(),
    }
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= 120 {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(120).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_with_a_password_is_refused_without_echoing_it() {
        let error = remote_url("https://me:s3cret@example.org/a.iso").unwrap_err();
        assert!(!error.message.contains("s3cret"), "{}", error.message);
        assert!(
            error.message.contains("https://me:****@example.org/a.iso"),
            "{}",
            error.message
        );
        let spaced = remote_url("https://me:s3cret@example.org/a b.iso").unwrap_err();
        assert!(!spaced.message.contains("s3cret"), "{}", spaced.message);
        assert_eq!(mask_password("http://host/p@th"), "http://host/p@th");
        assert_eq!(mask_password("http://user@host/"), "http://user@host/");
        assert_eq!(mask_password("not a url"), "not a url");
    }

    #[test]
    fn destinations_in_a_checked_folder_are_still_checked_one_by_one() {
        let folder = tempfile::tempdir().unwrap();
        std::fs::create_dir(folder.path().join("sub")).unwrap();
        let mut paths = DownloadPaths::default();
        paths.check(&folder.path().join("a.bin")).unwrap();
        // The folder is known to be usable now; what names a folder is refused all the same,
        // and so is a destination in a folder that does not exist.
        let taken = paths.check(&folder.path().join("sub")).unwrap_err();
        assert_eq!(taken.code, ErrorCode::FERRY_E_NOT_A_REGULAR_FILE);
        let nowhere = paths
            .check(&folder.path().join("missing/b.bin"))
            .unwrap_err();
        assert_eq!(nowhere.code, ErrorCode::ERROR_PATH_NOT_FOUND);
        assert!(paths.check(Path::new("relative.bin")).is_err());
        // The probe leaves nothing behind.
        let mut left: Vec<_> = std::fs::read_dir(folder.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        left.sort();
        assert_eq!(left, ["sub"]);
    }

    #[test]
    fn urls_must_be_http_or_https_and_short() {
        assert!(remote_url("https://example.org/a").is_ok());
        assert_eq!(
            remote_url("ftp://example.org/a").unwrap_err().code,
            ErrorCode::E_INVALIDARG
        );
        assert_eq!(
            remote_url("file:///etc/passwd").unwrap_err().code,
            ErrorCode::E_INVALIDARG
        );
        assert_eq!(
            remote_url("not a url").unwrap_err().code,
            ErrorCode::E_INVALIDARG
        );
        let long = format!("http://h/{}", "a".repeat(2200));
        assert_eq!(remote_url(&long).unwrap_err().code, ErrorCode::E_INVALIDARG);
        let exact = format!("http://h/{}", "a".repeat(2200 - 9));
        assert!(remote_url(&exact).is_ok(), "2,200 characters are allowed");
    }

    #[test]
    fn overlapping_and_zero_ranges_are_refused() {
        let r = |offset, length| ByteRange {
            offset,
            length: Some(length),
        };
        assert!(ranges(&[r(100, 100), r(900, 100), r(400, 100)], 500).is_ok());
        assert_eq!(
            ranges(&[r(0, 10), r(5, 10)], 500).unwrap_err().code,
            ErrorCode::BG_E_OVERLAPPING_RANGES
        );
        assert_eq!(
            ranges(&[r(5, 10), r(5, 10)], 500).unwrap_err().code,
            ErrorCode::BG_E_OVERLAPPING_RANGES
        );
        assert_eq!(
            ranges(&[r(0, 0)], 500).unwrap_err().code,
            ErrorCode::BG_E_INVALID_RANGE
        );
        assert_eq!(ranges(&[], 500).unwrap_err().code, ErrorCode::E_INVALIDARG);
    }

    #[test]
    fn a_range_ending_past_the_largest_file_size_is_refused() {
        // Found by `properties::accepted_ranges_can_be_added_up_without_overflow`: the download
        // computed `offset + length - 1` for the Range header and overflowed.
        let range = ByteRange {
            offset: 1,
            length: Some(u64::MAX),
        };
        assert_eq!(
            ranges(&[range], 500).unwrap_err().code,
            ErrorCode::BG_E_INVALID_RANGE
        );
    }
}

#[cfg(test)]
mod properties {
    //! The checks on what callers (the command line, the window, a queue file) hand the engine,
    //! against any input: never a panic, every refusal carries a code, and what is accepted is
    //! something the engine can work with.

    use proptest::prelude::*;

    use super::*;

    /// A URL near the grammar: schemes, credentials, hosts, ports, paths, odd characters.
    fn url_text() -> impl Strategy<Value = String> {
        prop_oneof![
            r"(https?|HTTP|ftp|file|data|javascript)?:(//)?([a-z]{1,5}(:[a-z]{0,4})?@)?(\[[0-9a-f:]{0,12}\]|[a-z0-9.-]{0,20}|%[0-9a-f]{2})(:[0-9]{0,7})?(/[ -~]{0,30})?(#.{0,5})?",
            ".{0,60}",
            "https?://[a-z]{1,3}/[a-z]{2200,2210}",
        ]
    }

    /// Byte ranges as a caller may give them, large values and overlaps included.
    fn ranges_given() -> impl Strategy<Value = Vec<ByteRange>> {
        let number = prop_oneof![any::<u64>(), 0u64..1000, Just(u64::MAX), Just(u64::MAX - 1)];
        let range = (number.clone(), prop::option::of(number))
            .prop_map(|(offset, length)| ByteRange { offset, length });
        prop::collection::vec(range, 0..6)
    }

    proptest! {
        #[test]
        fn an_accepted_url_is_http_with_a_host_and_reads_back(text in url_text()) {
            match remote_url(&text) {
                Ok(url) => {
                    prop_assert!(matches!(url.scheme(), "http" | "https"));
                    prop_assert!(url.host_str().is_some_and(|h| !h.is_empty()));
                    prop_assert_eq!(remote_url(url.as_str()).ok(), Some(url));
                }
                Err(e) => prop_assert_eq!(e.code, ErrorCode::E_INVALIDARG),
            }
        }

        #[test]
        fn accepted_ranges_can_be_added_up_without_overflow(ranges in ranges_given(), max in 0u32..8) {
            match super::ranges(&ranges, max) {
                Ok(()) => {
                    for range in &ranges {
                        if let Some(length) = range.length {
                            prop_assert!(
                                range.offset.checked_add(length).is_some(),
                                "an accepted range ends inside u64: {range:?}"
                            );
                        }
                    }
                }
                Err(e) => prop_assert!([
                    ErrorCode::E_INVALIDARG,
                    ErrorCode::BG_E_TOO_MANY_RANGES_IN_FILE,
                    ErrorCode::BG_E_INVALID_RANGE,
                    ErrorCode::BG_E_OVERLAPPING_RANGES,
                ]
                .contains(&e.code)),
            }
        }

        #[test]
        fn a_local_path_is_checked_without_a_panic(name in r"([^/]{0,8}/){0,2}[^/]{0,8}", relative in any::<bool>()) {
            let folder = tempfile::tempdir().unwrap();
            let path = if relative {
                std::path::PathBuf::from(&name)
            } else {
                folder.path().join(&name)
            };
            if let Err(e) = download_path(&path) {
                prop_assert!(e.code.0 != 0);
            } else {
                prop_assert!(path.is_absolute() && path.file_name().is_some());
                prop_assert!(!path.components().any(|c| c == std::path::Component::ParentDir));
            }
        }

        #[test]
        fn names_and_descriptions_are_checked_without_a_panic(text in ".{0,1100}") {
            for result in [display_name(&text), description(&text)] {
                if let Err(e) = result {
                    prop_assert!(e.code.0 != 0);
                }
            }
        }
    }
}
