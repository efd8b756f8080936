//! What an answer's `Content-Type` says about its body: the guard against a web page (an error
//! page, an expired link, a sign-in form) taken for the file.
//!
//! A web page is refused when
//! - the download began with an answer that was not a web page and a later answer (a resume,
//!   or a restart after the file changed) is one, or its media type family changed
//!   (`application/…` to `text/…`): that is a page in place of the file, not a new version;
//! - the first answer is a web page while the local name's extension names something else
//!   (`setup.iso`). A name that is a page's (`.html`, `.htm`, `.xhtml`, `.php`, …) or has no
//!   extension at all (`download`, `index`) claims nothing, so the page is what was asked for.
//!
//! The user can accept the page for one file (`Engine::allow_web_page`).

use std::path::Path;

/// Media types of web pages.
const PAGE_TYPES: &[&str] = &["text/html", "application/xhtml+xml"];

/// Extensions of local names under which a web page is what the user asked for.
const PAGE_EXTENSIONS: &[&str] = &[
    "html", "htm", "xhtml", "xht", "shtml", "php", "asp", "aspx", "jsp", "cgi", "mht", "mhtml",
];

/// The media type of a `Content-Type` value without its parameters, lower case
/// (`Text/HTML; charset=utf-8` → `text/html`).
fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

fn is_page(essence: &str) -> bool {
    PAGE_TYPES.contains(&essence)
}

/// The top-level type (`application` of `application/zip`).
fn family(essence: &str) -> &str {
    essence.split('/').next().unwrap_or_default()
}

/// True when the local name's extension names a web page, or when it has no extension.
fn name_allows_page(local: &Path) -> bool {
    match local.extension().and_then(|e| e.to_str()) {
        None => true,
        Some(ext) => PAGE_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()),
    }
}

/// Why an answer of type `seen` is a web page instead of the file saved as `local`, whose
/// download began with an answer of type `first` (`None`: this is the first answer); `None`
/// when the answer may be the file.
pub fn page_instead_of_file(
    first: Option<&str>,
    seen: Option<&str>,
    local: &Path,
) -> Option<String> {
    let seen = essence(seen?);
    let name = local.file_name().map_or_else(
        || local.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    match first.map(essence) {
        Some(first) if is_page(&seen) && !is_page(&first) => Some(format!(
            "the server sent a web page ({seen}) instead of the rest of {name}, which began as \
             {first}; the part already downloaded is kept"
        )),
        Some(first) if !first.is_empty() && !seen.is_empty() && family(&first) != family(&seen) => {
            Some(format!(
                "the server now sends {seen} where {name} began as {first}; the part already \
                 downloaded is kept"
            ))
        }
        Some(_) => None,
        None if is_page(&seen) && !name_allows_page(local) => Some(format!(
            "the server sent a web page ({seen}) instead of {name}"
        )),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_replacing_a_file_is_refused_and_a_new_version_of_it_is_not() {
        let iso = Path::new("/d/setup.iso");
        let html = Some("text/html; charset=utf-8");
        let octets = Some("application/octet-stream");
        assert!(page_instead_of_file(octets, html, iso).is_some());
        assert!(page_instead_of_file(octets, Some("Application/XHTML+XML"), iso).is_some());
        assert!(page_instead_of_file(Some("video/mp4"), Some("text/plain"), iso).is_some());
        assert!(page_instead_of_file(Some("application/zip"), octets, iso).is_none());
        assert!(
            page_instead_of_file(html, html, iso).is_none(),
            "a page that stays a page"
        );
        assert!(
            page_instead_of_file(octets, None, iso).is_none(),
            "no type says nothing"
        );
    }

    #[test]
    fn a_first_answer_that_is_a_page_is_refused_only_for_names_that_say_otherwise() {
        let html = Some("text/html");
        assert!(page_instead_of_file(None, html, Path::new("/d/setup.iso")).is_some());
        assert!(page_instead_of_file(None, html, Path::new("/d/index.HTML")).is_none());
        assert!(page_instead_of_file(None, html, Path::new("/d/view.php")).is_none());
        assert!(page_instead_of_file(None, html, Path::new("/d/download")).is_none());
        assert!(page_instead_of_file(None, Some("image/png"), Path::new("/d/a.iso")).is_none());
    }
}

#[cfg(test)]
mod properties {
    //! The web-page guard against any `Content-Type` and local name: never a panic, parameters
    //! and case never change the verdict, a type that stays the same is never refused.

    use proptest::prelude::*;

    use super::*;

    /// A `Content-Type` near its grammar, or any text.
    fn content_type() -> impl Strategy<Value = String> {
        prop_oneof![
            r"[ \t]{0,2}(text|application|video|TEXT|[a-z]{0,8})(/[a-zA-Z0-9.+-]{0,12})?[ \t]{0,2}(;[ a-z=0-9-]{0,20}){0,2}",
            Just("text/html".to_owned()),
            Just("application/xhtml+xml".to_owned()),
            ".{0,30}",
        ]
    }

    /// A local path: a folder and a name with or without an extension, odd characters included.
    fn local() -> impl Strategy<Value = std::path::PathBuf> {
        r"/?([a-z]{1,4}/){0,2}[^/\x00]{0,12}(\.[^/\x00]{0,6})?".prop_map(std::path::PathBuf::from)
    }

    proptest! {
        #[test]
        fn the_guard_never_panics(
            first in prop::option::of(content_type()),
            seen in prop::option::of(content_type()),
            path in local(),
        ) {
            if let Some(why) = page_instead_of_file(first.as_deref(), seen.as_deref(), &path) {
                prop_assert!(!why.is_empty());
            }
        }

        #[test]
        fn case_and_parameters_do_not_change_the_verdict(
            first in prop::option::of(content_type()),
            seen in content_type(),
            path in local(),
            parameter in r"[a-z]{1,8}=[a-z0-9-]{1,8}",
        ) {
            let plain = page_instead_of_file(first.as_deref(), Some(&seen), &path).is_some();
            let dressed = format!("{};{parameter}", seen.to_ascii_uppercase());
            let verdict = page_instead_of_file(first.as_deref(), Some(&dressed), &path).is_some();
            prop_assert_eq!(plain, verdict);
        }

        #[test]
        fn a_type_that_stays_the_same_is_never_refused(kind in content_type(), path in local()) {
            prop_assert!(page_instead_of_file(Some(&kind), Some(&kind), &path).is_none());
        }
    }
}
