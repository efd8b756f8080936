//! A download handed over by another program (the browser extension through `ferry`'s native
//! messaging host, a URL copied to the clipboard): one URL becomes one FOREGROUND job in the
//! user's download folder, created all or nothing and resumed.
//!
//! The engine checks the URL (its rules, not a copy of them); this module only picks the
//! destination: the download folder from the owner's settings and a file name that is safe
//! (made so by the engine's [`ferry_engine::file_name`], the one place for it); the owner makes
//! it free at creation (`unique_names`), so a hand-off never targets a file that exists or a
//! file another live job will write.

use ferry_engine::file_name::{name_from_url, safe_file_name, FALLBACK_NAME};
use ferry_engine::{validate, ErrorCode, FileSpec, JobId, JobInfo, JobType, Priority};

use crate::api_error::ApiError;
use crate::protocol::{Call, NewJobRequest};
use crate::settings::Settings;
use crate::Client;

/// The most bytes of cookies a hand-off may carry (one `Cookie` header).
pub const MAX_COOKIE_BYTES: usize = 16 * 1024;

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
    let name = handoff
        .file_name
        .as_deref()
        .and_then(safe_file_name)
        .or_else(|| name_from_url(&url))
        .unwrap_or_else(|| FALLBACK_NAME.to_owned());
    let path = settings.default_folder.join(&name);
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
        // Ferry chose the name: one a file or another job has becomes "name (2).ext".
        unique_names: Some(true),
        auto_complete: Some(settings.auto_complete),
        connections: Some(settings.connections),
        speed_limit: None,
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

#[cfg(test)]
mod tests {
    use super::*;

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
