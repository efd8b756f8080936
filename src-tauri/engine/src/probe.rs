//! Asking the server about a URL before it becomes a download: the file's name, size and type,
//! and whether an interrupted download of it could resume. The Add dialog shows the answers;
//! they are advisory, so a probe that fails says why and never blocks adding the URL.
//!
//! One probe is one `HEAD` request, or, when the server refuses `HEAD` or answers it without a
//! length or without saying whether it serves ranges, one `GET` of byte 0 (`Range: bytes=0-0`)
//! whose body is never read. Probes use the engine's HTTP clients (proxy, trusted roots), the
//! engine's URL rules on the first URL and on every redirect hop, at most
//! [`PROBE_TIMEOUT`] each, and the server credentials given (answered only to the first host).
//! At most [`MAX_PROBED_URLS`] URLs of one request are probed, [`PROBES_AT_ONCE`] at a time;
//! the rest are "not checked".
//!
//! The file name comes from `Content-Disposition` (RFC 6266: `filename*` in UTF-8 preferred to
//! `filename`, read with the `mailparse` crate), else from the last segment of the final URL
//! after redirects, and is made safe by [`crate::file_name`].

use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use reqwest::header::{
    HeaderMap, HeaderValue, ACCEPT_ENCODING, ACCEPT_RANGES, AUTHORIZATION, CONTENT_DISPOSITION,
    CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, LAST_MODIFIED, LOCATION, RANGE,
};
use reqwest::{Client, Method, Response, StatusCode};
use serde::{Deserialize, Serialize};

use crate::error::{ErrorCode, ErrorContext};
use crate::file_name;
use crate::job::{Credentials, ProxySettings, RedirectPolicy};
use crate::transfer::http::{authorization, Clients, Failure, RequestPlan};
use crate::validate;

/// How many URLs of one request are probed; the rest are [`ProbeStatus::NotChecked`].
pub const MAX_PROBED_URLS: usize = 20;

/// How many probes of one request run at the same time.
pub const PROBES_AT_ONCE: usize = 4;

/// The longest one URL's probe may take, redirects included.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// Most redirects a probe follows.
const MAX_REDIRECTS: usize = 10;

/// URLs to ask about, with what their download would send.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ProbeRequest {
    /// The URLs, in the order the answers come back.
    pub urls: Vec<String>,
    /// Server credentials the job would have (answered to a 401 of the URL's own host only).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub credentials: Option<Credentials>,
}

/// What became of one URL's probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProbeStatus {
    /// The server answered: the name, size, type and resume support are its.
    Found,
    /// The probe failed (`error` says why); the name is the URL's.
    Failed,
    /// Not probed (past [`MAX_PROBED_URLS`]); the name is the URL's.
    NotChecked,
}

/// Why a probe failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ProbeError {
    /// The stable code, as a download would report it.
    pub code: ErrorCode,
    /// A short sentence for people.
    pub message: String,
}

/// What Ferry knows about one URL before it is added.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ProbeResult {
    /// The URL as given.
    pub url: String,
    /// Whether the server answered.
    pub status: ProbeStatus,
    /// The file's default name (always safe; from the server when it named one).
    pub file_name: String,
    /// The file's size in bytes, when the server said.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub size: Option<u64>,
    /// The media type (`application/zip`), without parameters, when the server said.
    pub content_type: Option<String>,
    /// True when the server serves byte ranges and names the file's version (a strong ETag or
    /// a Last-Modified date), so an interrupted download continues where it stopped.
    pub can_resume: bool,
    /// Why the probe failed (only with [`ProbeStatus::Failed`]).
    pub error: Option<ProbeError>,
}

impl ProbeResult {
    /// The answer for a URL that was not probed, or whose probe failed with `error`.
    fn unknown(url: &str, error: Option<ProbeError>) -> ProbeResult {
        let name = url::Url::parse(url)
            .ok()
            .and_then(|parsed| file_name::name_from_url(&parsed))
            .unwrap_or_else(|| file_name::FALLBACK_NAME.to_owned());
        ProbeResult {
            url: url.to_owned(),
            status: if error.is_some() {
                ProbeStatus::Failed
            } else {
                ProbeStatus::NotChecked
            },
            file_name: name,
            size: None,
            content_type: None,
            can_resume: false,
            error,
        }
    }
}

/// Probes `request`'s URLs with `clients`: one answer per URL, in order.
pub async fn probe(clients: &Clients, request: ProbeRequest) -> Vec<ProbeResult> {
    let credentials: Vec<Credentials> = request.credentials.into_iter().collect();
    let client = clients.client(&ProxySettings::Preconfig, &credentials);
    let probed = request.urls.len().min(MAX_PROBED_URLS);
    let mut answers: Vec<ProbeResult> = stream::iter(request.urls[..probed].to_vec())
        .map(|url| {
            let client = client.clone();
            let credentials = credentials.clone();
            async move {
                let outcome = match client {
                    Ok(client) => probe_one(&client, &url, &credentials).await,
                    Err(failure) => Err(failure),
                };
                outcome.unwrap_or_else(|failure| {
                    ProbeResult::unknown(
                        &url,
                        Some(ProbeError {
                            code: failure.code,
                            message: failure.description,
                        }),
                    )
                })
            }
        })
        .buffered(PROBES_AT_ONCE)
        .collect()
        .await;
    answers.extend(
        request.urls[probed..]
            .iter()
            .map(|url| ProbeResult::unknown(url, None)),
    );
    answers
}

/// One URL's probe, within [`PROBE_TIMEOUT`].
async fn probe_one(
    client: &Client,
    url: &str,
    credentials: &[Credentials],
) -> Result<ProbeResult, Failure> {
    let parsed = validate::remote_url(url)
        .map_err(|error| Failure::fatal(error.code, ErrorContext::RemoteFile, error.message))?;
    let ask = async {
        let head = follow(client, Method::HEAD, &parsed, credentials).await?;
        if let Some(found) = from_head(&head) {
            return Ok(found);
        }
        if matches!(
            head.response.status(),
            StatusCode::NOT_FOUND | StatusCode::GONE
        ) {
            return Err(refusal(&head.response));
        }
        let get = follow(client, Method::GET, &parsed, credentials).await?;
        from_first_byte(&get)
    };
    let found = tokio::time::timeout(PROBE_TIMEOUT, ask)
        .await
        .map_err(|_| {
            Failure::transient(
                ErrorCode::ERROR_WINHTTP_TIMEOUT,
                ErrorContext::RemoteFile,
                format!(
                    "the server did not answer within {} seconds",
                    PROBE_TIMEOUT.as_secs()
                ),
            )
        })??;
    Ok(found.into_result(url))
}

/// An answer after redirects, with the URL that gave it.
struct Reached {
    response: Response,
    final_url: url::Url,
}

/// What the headers said.
struct Found {
    final_url: url::Url,
    disposition: Option<String>,
    size: Option<u64>,
    content_type: Option<String>,
    ranges: bool,
    validator: bool,
}

impl Found {
    fn new(reached: &Reached, size: Option<u64>, ranges: bool) -> Found {
        let headers = reached.response.headers();
        let strong_etag = text(headers, ETAG).is_some_and(|tag| !tag.starts_with("W/"));
        Found {
            final_url: reached.final_url.clone(),
            disposition: text(headers, CONTENT_DISPOSITION),
            size,
            content_type: text(headers, CONTENT_TYPE).and_then(|value| {
                let essence = value.split(';').next().unwrap_or("").trim().to_lowercase();
                (!essence.is_empty()).then_some(essence)
            }),
            ranges,
            validator: strong_etag || text(headers, LAST_MODIFIED).is_some(),
        }
    }

    fn into_result(self, url: &str) -> ProbeResult {
        let name = self
            .disposition
            .as_deref()
            .and_then(disposition_file_name)
            .and_then(|name| file_name::safe_file_name(&name))
            .or_else(|| file_name::name_from_url(&self.final_url))
            .unwrap_or_else(|| file_name::FALLBACK_NAME.to_owned());
        ProbeResult {
            url: url.to_owned(),
            status: ProbeStatus::Found,
            file_name: name,
            size: self.size,
            content_type: self.content_type,
            can_resume: self.ranges && self.validator && self.size.is_some(),
            error: None,
        }
    }
}

/// The HEAD answer, when it says everything: a 2xx with a length and `Accept-Ranges`.
fn from_head(head: &Reached) -> Option<Found> {
    let response = &head.response;
    if !response.status().is_success() {
        return None;
    }
    let size = number(response.headers(), CONTENT_LENGTH)?;
    let ranges = text(response.headers(), ACCEPT_RANGES)?;
    let ranges = ranges
        .split(',')
        .any(|unit| unit.trim().eq_ignore_ascii_case("bytes"));
    Some(Found::new(head, Some(size), ranges))
}

/// The answer to `GET` with `Range: bytes=0-0`: 206 says the total and that ranges work; 200
/// says the length and that they do not. The body is never read.
fn from_first_byte(get: &Reached) -> Result<Found, Failure> {
    let response = &get.response;
    match response.status() {
        StatusCode::PARTIAL_CONTENT => {
            let total = text(response.headers(), CONTENT_RANGE).and_then(|range| total_of(&range));
            Ok(Found::new(get, total, true))
        }
        status if status.is_success() => {
            let size = number(response.headers(), CONTENT_LENGTH);
            Ok(Found::new(get, size, false))
        }
        _ => Err(refusal(response)),
    }
}

/// The failure for an answer that brings no file.
fn refusal(response: &Response) -> Failure {
    Failure::http_status(
        response.status(),
        response.headers(),
        ErrorContext::RemoteFile,
    )
}

/// Sends `method` to `url` and follows redirects, checking every hop by the engine's URL rules
/// (and never from https to http); a 401 of the first host is answered with `credentials`.
async fn follow(
    client: &Client,
    method: Method,
    url: &url::Url,
    credentials: &[Credentials],
) -> Result<Reached, Failure> {
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("identity"));
    if method == Method::GET {
        headers.insert(RANGE, HeaderValue::from_static("bytes=0-0"));
    }
    let plan = RequestPlan {
        client,
        method,
        headers,
        redirect: RedirectPolicy::default(),
        credentials,
        body: None,
    };
    let mut current = url.clone();
    let mut seen = vec![current.clone()];
    for _ in 0..=MAX_REDIRECTS {
        let mut response = send(&plan, &current, None).await?;
        let same_host = current.host_str() == url.host_str()
            && current.port_or_known_default() == url.port_or_known_default();
        if response.status() == StatusCode::UNAUTHORIZED && same_host {
            if let Some(answer) = authorization(&plan, &current, response.headers()) {
                response = send(&plan, &current, Some(answer)).await?;
            }
        }
        if !response.status().is_redirection() || response.status() == StatusCode::NOT_MODIFIED {
            return Ok(Reached {
                response,
                final_url: current,
            });
        }
        let Some(target) =
            text(response.headers(), LOCATION).and_then(|location| current.join(&location).ok())
        else {
            return Ok(Reached {
                response,
                final_url: current,
            });
        };
        let forbidden = |why: String| {
            Failure::fatal(
                ErrorCode::ERROR_WINHTTP_REDIRECT_FAILED,
                ErrorContext::RemoteFile,
                why,
            )
        };
        if let Err(error) = validate::remote_url(target.as_str()) {
            return Err(forbidden(format!(
                "the server redirected to an address Ferry does not download from ({})",
                error.message
            )));
        }
        if current.scheme() == "https" && target.scheme() == "http" {
            return Err(forbidden(format!(
                "the server redirected from https to plain http ({target})"
            )));
        }
        if seen.contains(&target) {
            return Err(forbidden(format!(
                "the server's redirects loop back to {target}"
            )));
        }
        seen.push(target.clone());
        current = target;
    }
    Err(Failure::fatal(
        ErrorCode::ERROR_WINHTTP_REDIRECT_FAILED,
        ErrorContext::RemoteFile,
        format!("more than {MAX_REDIRECTS} redirects"),
    ))
}

/// One request of `plan` to `url`: only its head is read (the caller drops the body unread).
async fn send(
    plan: &RequestPlan<'_>,
    url: &url::Url,
    auth: Option<HeaderValue>,
) -> Result<Response, Failure> {
    let mut builder = plan
        .client
        .request(plan.method.clone(), url.clone())
        .headers(plan.headers.clone());
    if let Some(value) = auth {
        builder = builder.header(AUTHORIZATION, value);
    }
    builder.send().await.map_err(|e| Failure::request(&e))
}

/// The file name a `Content-Disposition` value gives: `filename*` (RFC 8187, any charset
/// `mailparse` knows, UTF-8 included) when there is one, else `filename`. Not yet made safe.
pub fn disposition_file_name(value: &str) -> Option<String> {
    let parsed = mailparse::parse_content_disposition(value);
    // mailparse decodes `filename*` only when no plain `filename` is there; RFC 6266 prefers
    // `filename*`, so it is read again on its own.
    if let Some(extended) = parsed.params.get("filename*") {
        let alone =
            mailparse::parse_content_disposition(&format!("attachment; filename*={extended}"));
        if let Some(name) = alone.params.get("filename") {
            return Some(name.clone());
        }
    }
    parsed
        .params
        .get("filename")
        .filter(|name| !name.is_empty())
        .cloned()
}

/// The total of a `Content-Range: bytes 0-0/<total>` value (`None` for `*` or nonsense).
fn total_of(content_range: &str) -> Option<u64> {
    let (_, total) = content_range.trim().rsplit_once('/')?;
    total.trim().parse().ok()
}

fn text(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

fn number(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<u64> {
    text(headers, name)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_disposition_prefers_the_utf8_name() {
        assert_eq!(
            disposition_file_name("attachment; filename*=UTF-8''na%C3%AFve%20file.txt").as_deref(),
            Some("naïve file.txt")
        );
        assert_eq!(
            disposition_file_name(
                "attachment; filename=\"naive file.txt\"; filename*=UTF-8''na%C3%AFve%20file.txt"
            )
            .as_deref(),
            Some("naïve file.txt")
        );
        assert_eq!(
            disposition_file_name("attachment; filename=\"a; b.pdf\"").as_deref(),
            Some("a; b.pdf")
        );
        assert_eq!(disposition_file_name("inline"), None);
        assert_eq!(disposition_file_name("attachment; filename=\"\""), None);
    }

    #[test]
    fn a_content_range_total_is_read() {
        assert_eq!(total_of("bytes 0-0/1234"), Some(1234));
        assert_eq!(total_of("bytes 0-0/*"), None);
        assert_eq!(total_of("nonsense"), None);
    }
}
