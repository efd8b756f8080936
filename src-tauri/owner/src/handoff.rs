//! A download handed over by another program (the browser extension through `ferry`'s native
//! messaging host, a URL copied to the clipboard): one URL becomes one FOREGROUND job in the
//! user's download folder, created all or nothing and resumed.
//!
//! The engine checks the URL (its rules, not a copy of them); this module only picks the
//! destination: the download folder from the owner's settings and a file name that is safe
//! (see [`safe_file_name`]) and free, so a hand-off never targets a file that exists or a
//! file another live job will write.

use std::path::{Path, PathBuf};

use ferry_engine::{handover, validate, ErrorCode, FileSpec, JobId, JobInfo, JobType, Priority};

use crate::api_error::ApiError;
use crate::protocol::{Call, NewJobRequest};
use crate::settings::Settings;
use crate::Client;

/// The longest file name, in bytes, most Linux file systems accept.
const MAX_NAME_BYTES: usize = 255;

/// The most bytes of cookies a hand-off may carry (one `Cookie` header).
pub const MAX_COOKIE_BYTES: usize = 16 * 1024;

/// The name used when neither the sender nor the URL suggests one.
const FALLBACK_NAME: &str = "download";

/// One download another program hands to Ferry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HandOff {
    /// The file's http(s) URL.
    pub url: String,
    /// The page the link was on, sent as `Referer` when it is http(s) and no downgrade from
    /// https to http.
    pub referrer: Option<String>,
    /// The file name the sender suggests (made safe; the URL's last segment otherwise).
    pub file_name: Option<String>,
    /// The site's cookies (`name=value; …`), sent as a `Cookie` header on this job only.
    pub cookies: Option<String>,
    /// Who handed it over (e.g. "Chromium"): the job's description.
    pub source: String,
}

/// Creates and resumes the job for `handoff` through the owner `client`: its `JobInfo`. Nothing
/// stays in the queue when any part is refused.
pub async fn hand_off(client: &Client, handoff: HandOff) -> Result<JobInfo, ApiError> {
    let url = validate::remote_url(&handoff.url)?;
    let settings: Settings = client.call(Call::GetSettings).await?;
    let jobs: Vec<JobInfo> = client.call(Call::List).await?;
    let name = handoff
        .file_name
        .as_deref()
        .and_then(safe_file_name)
        .or_else(|| name_from_url(&url))
        .unwrap_or_else(|| FALLBACK_NAME.to_owned());
    let taken = |path: &Path| {
        jobs.iter()
            .flat_map(|job| &job.files)
            .any(|file| file.local_path == path)
    };
    let path = free_path(&settings.default_folder.join(&name), taken)?;
    let request = NewJobRequest {
        display_name: name,
        job_type: JobType::Download,
        priority: Priority::Foreground,
        files: vec![FileSpec {
            remote_url: handoff.url.clone(),
            local_path: path,
        }],
        credentials: None,
        reply_file_name: None,
        checksums: None,
        description: Some(handoff.source.clone()),
        custom_headers: Some(headers(&handoff, &url)?),
        // A person chose this download (a link or a copied URL): it retries as the window's do.
        retry_policy: Some(settings.retry_policy_for_people()),
        auto_complete: Some(settings.auto_complete),
    };
    let job: JobInfo = client.call(Call::CreateWithFiles(request)).await?;
    if let Err(error) = client.call_value(Call::Resume { job: job.id }).await {
        discard(client, job.id).await;
        return Err(error);
    }
    Ok(job)
}

/// Cancels a job whose hand-off failed half-way.
async fn discard(client: &Client, id: JobId) {
    if let Err(error) = client.call_value(Call::Cancel { job: id }).await {
        tracing::warn!(%id, "cannot cancel a job whose hand-off failed: {error}");
    }
}

/// `dest` when no file and no live job has it, else the first free "name (n).ext" beside it.
fn free_path(dest: &Path, taken: impl Fn(&Path) -> bool) -> Result<PathBuf, ApiError> {
    if std::fs::symlink_metadata(dest).is_err() && !taken(dest) {
        return Ok(dest.to_path_buf());
    }
    handover::free_name(dest, taken).ok_or_else(|| {
        ApiError::new(
            ErrorCode::E_INVALIDARG,
            format!("no free name beside {}", dest.display()),
        )
    })
}

/// The job's headers: `Referer` and `Cookie`, each only when there is one to send.
fn headers(handoff: &HandOff, url: &url::Url) -> Result<Vec<(String, String)>, ApiError> {
    let mut headers = Vec::new();
    if let Some(referrer) = handoff.referrer.as_deref().filter(|r| !r.is_empty()) {
        if let Ok(page) = validate::remote_url(referrer) {
            let downgrade = page.scheme() == "https" && url.scheme() == "http";
            if !downgrade {
                headers.push(("Referer".to_owned(), referrer.to_owned()));
            }
        }
    }
    if let Some(cookies) = handoff.cookies.as_deref().filter(|c| !c.is_empty()) {
        if cookies.len() > MAX_COOKIE_BYTES {
            return Err(ApiError::new(
                ErrorCode::E_INVALIDARG,
                format!("the cookies are longer than {MAX_COOKIE_BYTES} bytes"),
            ));
        }
        headers.push(("Cookie".to_owned(), cookies.to_owned()));
    }
    Ok(headers)
}

/// The last segment of the URL's path, percent-decoded and made safe; `None` when it is empty.
pub fn name_from_url(url: &url::Url) -> Option<String> {
    let last = url.path_segments()?.rev().find(|s| !s.is_empty())?;
    let decoded = percent_encoding::percent_decode_str(last).decode_utf8_lossy();
    safe_file_name(&decoded)
}

/// `suggested` as a file name that stays inside its folder: path separators and control
/// characters become `_`, leading dots and spaces go (no hidden file, no `.` or `..`), and a
/// name longer than 255 bytes is shortened, keeping its extension. `None` when nothing is left.
pub fn safe_file_name(suggested: &str) -> Option<String> {
    let replaced: String = suggested
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let name = replaced
        .trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end();
    if name.is_empty() {
        return None;
    }
    Some(shorten(name))
}

/// `name` cut to [`MAX_NAME_BYTES`] at a character boundary, keeping a short extension.
fn shorten(name: &str) -> String {
    if name.len() <= MAX_NAME_BYTES {
        return name.to_owned();
    }
    let extension = name
        .rfind('.')
        .map(|dot| &name[dot..])
        .filter(|ext| ext.len() <= 16)
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
    fn suggested_names_never_leave_their_folder_nor_hide() {
        let cases = [
            ("report.pdf", Some("report.pdf")),
            ("../../etc/passwd", Some("_.._etc_passwd")),
            ("..", None),
            (".", None),
            (".bashrc", Some("bashrc")),
            ("  . hidden.txt ", Some("hidden.txt")),
            ("a\\b/c", Some("a_b_c")),
            ("line\nbreak\u{7}.bin", Some("line_break_.bin")),
            ("", None),
            ("a..b.iso", Some("a..b.iso")),
        ];
        for (given, expected) in cases {
            assert_eq!(safe_file_name(given).as_deref(), expected, "{given:?}");
        }
    }

    #[test]
    fn long_names_keep_their_extension_within_255_bytes() {
        let long = format!("{}.tar", "é".repeat(200));
        let short = safe_file_name(&long).unwrap();
        assert!(short.len() <= MAX_NAME_BYTES, "{}", short.len());
        assert!(short.ends_with(".tar"), "{short}");
    }

    #[test]
    fn a_urls_last_segment_is_decoded_and_made_safe() {
        let url = url::Url::parse("http://127.0.0.1/files/My%20File%2F..%2Fx.bin?x=1").unwrap();
        assert_eq!(name_from_url(&url).as_deref(), Some("My File_.._x.bin"));
        let root = url::Url::parse("http://127.0.0.1/").unwrap();
        assert_eq!(name_from_url(&root), None);
        let dir = url::Url::parse("http://127.0.0.1/a/b/").unwrap();
        assert_eq!(name_from_url(&dir).as_deref(), Some("b"));
    }

    #[test]
    fn a_taken_or_existing_destination_gets_a_name_beside_it() {
        let folder = tempfile::tempdir().unwrap();
        let dest = folder.path().join("file.bin");
        assert_eq!(free_path(&dest, |_| false).unwrap(), dest);
        std::fs::write(&dest, b"mine").unwrap();
        assert_eq!(
            free_path(&dest, |_| false).unwrap(),
            folder.path().join("file (2).bin")
        );
        let other = folder.path().join("other.bin");
        let by_a_job = |p: &Path| p == other || p == folder.path().join("other (2).bin");
        assert_eq!(
            free_path(&other, by_a_job).unwrap(),
            folder.path().join("other (3).bin")
        );
    }

    #[test]
    fn referrer_and_cookies_become_headers_only_when_allowed() {
        let https = url::Url::parse("https://example.org/a.bin").unwrap();
        let http = url::Url::parse("http://example.org/a.bin").unwrap();
        let handoff = HandOff {
            referrer: Some("https://example.org/page".into()),
            cookies: Some("id=1; theme=dark".into()),
            ..HandOff::default()
        };
        assert_eq!(
            headers(&handoff, &https).unwrap(),
            [
                ("Referer".to_owned(), "https://example.org/page".to_owned()),
                ("Cookie".to_owned(), "id=1; theme=dark".to_owned())
            ]
        );
        let downgraded = headers(&handoff, &http).unwrap();
        assert_eq!(downgraded.len(), 1, "no https referrer to an http URL");
        assert_eq!(downgraded[0].0, "Cookie");
        let file_page = HandOff {
            referrer: Some("file:///home/me/page.html".into()),
            ..HandOff::default()
        };
        assert!(headers(&file_page, &https).unwrap().is_empty());
        let huge = HandOff {
            cookies: Some("a".repeat(MAX_COOKIE_BYTES + 1)),
            ..HandOff::default()
        };
        assert_eq!(
            headers(&huge, &https).unwrap_err().code,
            ErrorCode::E_INVALIDARG
        );
    }
}
