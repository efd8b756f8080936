//! HTTP plumbing shared by downloads and uploads: the engine's clients, sending a request with
//! the job's redirect policy and credentials, and turning failures into stable error codes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use reqwest::header::{
    HeaderMap, HeaderValue, AUTHORIZATION, LOCATION, RETRY_AFTER, WWW_AUTHENTICATE,
};
use reqwest::{Client, Method, RequestBuilder, Response, StatusCode};

use crate::error::{ErrorCode, ErrorContext};
use crate::job::{
    AuthScheme, AuthTarget, Credentials, ProxySettings, RedirectMode, RedirectPolicy,
};
use crate::policy::Config;

/// Most redirects followed for one request.
const MAX_REDIRECTS: usize = 10;

/// A failed transfer attempt: the code, whether it is worth retrying by itself, and details.
#[derive(Clone, Debug)]
pub struct Failure {
    /// Stable code.
    pub code: ErrorCode,
    /// Where it happened.
    pub context: ErrorContext,
    /// A sentence for people.
    pub description: String,
    /// True when the job should go to TRANSIENT_ERROR and retry by itself.
    pub transient: bool,
    /// Server's Retry-After, a lower bound on the retry delay.
    pub retry_after: Option<Duration>,
    /// Retried once only: the same failure again with no progress in between is fatal (a
    /// server that answers nonsense will not mend itself by tomorrow).
    pub retry_once: bool,
}

impl Failure {
    /// A failure needing the user (ERROR).
    pub fn fatal(code: ErrorCode, context: ErrorContext, description: impl Into<String>) -> Self {
        Failure {
            code,
            context,
            description: description.into(),
            transient: false,
            retry_after: None,
            retry_once: false,
        }
    }

    /// A failure retried by itself (TRANSIENT_ERROR).
    pub fn transient(
        code: ErrorCode,
        context: ErrorContext,
        description: impl Into<String>,
    ) -> Self {
        Failure {
            code,
            context,
            description: description.into(),
            transient: true,
            retry_after: None,
            retry_once: false,
        }
    }

    /// The server's answer breaks HTTP (unparsable head, a status that brings no file):
    /// `BG_E_INVALID_SERVER_RESPONSE` in REMOTE_FILE, retried once in case it was a glitch.
    pub fn invalid_answer(description: impl Into<String>) -> Self {
        Failure {
            retry_once: true,
            ..Failure::transient(
                ErrorCode::BG_E_INVALID_SERVER_RESPONSE,
                ErrorContext::RemoteFile,
                description,
            )
        }
    }

    /// A local file failure (always fatal: the user has to free space or fix permissions).
    pub fn local(what: impl std::fmt::Display, error: &std::io::Error) -> Self {
        let code = crate::error::io_error_code(error);
        Failure::fatal(code, ErrorContext::LocalFile, format!("{what}: {error}"))
    }

    /// The failure for an HTTP status, classified as bits-spec.md §10.13 says: 3xx transient
    /// except 300–305 and 307; 4xx fatal except 408, 409 and 429; 5xx transient except 501 and 505.
    pub fn http_status(status: StatusCode, headers: &HeaderMap, context: ErrorContext) -> Self {
        let code = status.as_u16();
        let transient = match code {
            300..=305 | 307 => false,
            300..=399 => true,
            408 | 409 | 429 => true,
            400..=499 => false,
            501 | 505 => false,
            _ => true,
        };
        let reason = status.canonical_reason().unwrap_or("");
        Failure {
            code: ErrorCode::http(code),
            context,
            description: format!("the server answered HTTP {code} {reason}")
                .trim_end()
                .to_owned(),
            transient,
            retry_after: retry_after(headers),
            retry_once: false,
        }
    }

    /// The failure for a request that got no usable answer.
    pub fn request(error: &reqwest::Error) -> Self {
        let chain = error_chain(error);
        let lower = chain.to_lowercase();
        let transport = ErrorContext::RemoteFile;
        if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
            return Failure::fatal(
                ErrorCode::ERROR_WINHTTP_SECURE_FAILURE,
                transport,
                format!("the server's certificate could not be verified: {chain}"),
            );
        }
        if lower.contains("dns") || lower.contains("lookup") || lower.contains("resolve") {
            return Failure::transient(
                ErrorCode::ERROR_WINHTTP_NAME_NOT_RESOLVED,
                transport,
                chain,
            );
        }
        if let Some(parse) = hyper_error(error).filter(|e| e.is_parse()) {
            return Failure::invalid_answer(format!(
                "the server's answer is not valid HTTP ({parse}); ask its owner to fix it"
            ));
        }
        if error.is_timeout() {
            return Failure::transient(ErrorCode::ERROR_WINHTTP_TIMEOUT, transport, chain);
        }
        if error.is_connect() {
            return Failure::transient(ErrorCode::ERROR_WINHTTP_CANNOT_CONNECT, transport, chain);
        }
        Failure::transient(ErrorCode::ERROR_WINHTTP_CONNECTION_ERROR, transport, chain)
    }
}

/// The hyper error behind `error`, if any (found by walking its sources).
pub fn hyper_error<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a hyper::Error> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = current {
        if let Some(found) = cause.downcast_ref::<hyper::Error>() {
            return Some(found);
        }
        current = cause.source();
    }
    None
}

/// Why a response body ended early, in words, from the error that ended it: the server went
/// silent (the read timeout fired) or the connection broke, after `bytes` bytes of the file.
pub fn body_failure(error: &reqwest::Error, bytes: u64) -> Failure {
    let transport = ErrorContext::RemoteFile;
    if error.is_timeout() {
        return Failure::transient(
            ErrorCode::ERROR_WINHTTP_TIMEOUT,
            transport,
            format!("the server stopped sending after {bytes} bytes"),
        );
    }
    let why = match hyper_error(error) {
        Some(e) if e.is_incomplete_message() => {
            "the server closed it before the end of the file".to_owned()
        }
        Some(e) => deepest_cause(e),
        None => deepest_cause(error),
    };
    Failure::transient(
        ErrorCode::ERROR_WINHTTP_CONNECTION_ERROR,
        transport,
        format!("the connection broke after {bytes} bytes ({why})"),
    )
}

/// The innermost error of a chain, where the precise reason is.
fn deepest_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Parses `Retry-After` (seconds, or an HTTP date).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    )
}

/// The engine's HTTP clients: one per distinct proxy setup, created on first use and shared by
/// every transfer. Redirects are never followed by the client; [`send`] applies the job's policy.
pub struct Clients {
    connect_timeout: Duration,
    read_timeout: Duration,
    roots: Vec<reqwest::Certificate>,
    by_proxy: Mutex<HashMap<String, Client>>,
}

impl Clients {
    /// Clients with the engine's timeouts and extra trusted roots.
    pub fn new(config: &Config) -> Self {
        let roots = config
            .extra_root_certificates
            .iter()
            .filter_map(|pem| reqwest::Certificate::from_pem(pem).ok())
            .collect();
        Clients {
            connect_timeout: config.connect_timeout,
            read_timeout: config.read_timeout,
            roots,
            by_proxy: Mutex::new(HashMap::new()),
        }
    }

    /// The client for a job's proxy settings and proxy credentials.
    pub fn client(
        &self,
        proxy: &ProxySettings,
        credentials: &[Credentials],
    ) -> Result<Client, Failure> {
        let proxy_login = credentials
            .iter()
            .find(|c| c.target == AuthTarget::Proxy && c.scheme == AuthScheme::Basic);
        let key = format!(
            "{proxy:?}|{:?}",
            proxy_login.map(|c| (&c.user_name, &c.password))
        );
        let mut cache = self.by_proxy.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(client) = cache.get(&key) {
            return Ok(client.clone());
        }
        let mut builder = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(self.connect_timeout)
            .read_timeout(self.read_timeout)
            .user_agent(concat!("Ferry/", env!("CARGO_PKG_VERSION")))
            .tcp_nodelay(true);
        for root in &self.roots {
            builder = builder.add_root_certificate(root.clone());
        }
        builder = match proxy {
            ProxySettings::Preconfig => builder,
            ProxySettings::NoProxy => builder.no_proxy(),
            ProxySettings::Override { proxy: url, bypass } => {
                let invalid = |why: String| {
                    Failure::fatal(
                        ErrorCode::BG_E_INVALID_PROXY_INFO,
                        ErrorContext::GeneralTransport,
                        why,
                    )
                };
                let mut proxy = reqwest::Proxy::all(url.as_str())
                    .map_err(|e| invalid(format!("the proxy {url} is not valid: {e}")))?
                    .no_proxy(reqwest::NoProxy::from_string(bypass));
                if let Some(login) = proxy_login {
                    proxy = proxy.basic_auth(&login.user_name, &login.password);
                }
                builder.proxy(proxy)
            }
        };
        let client = builder.build().map_err(|e| {
            Failure::fatal(
                ErrorCode::E_FAIL,
                ErrorContext::GeneralTransport,
                format!("cannot set up HTTP: {e}"),
            )
        })?;
        cache.insert(key, client.clone());
        Ok(client)
    }
}

/// What a request needs besides its URL.
pub struct RequestPlan<'a> {
    /// The client to use.
    pub client: &'a Client,
    /// Method.
    pub method: Method,
    /// Headers added to every hop.
    pub headers: HeaderMap,
    /// Redirect policy of the job.
    pub redirect: RedirectPolicy,
    /// Credentials of the job (server ones are answered to 401 challenges of the first host).
    pub credentials: &'a [Credentials],
    /// Request body, sent again on every hop (upload packets).
    pub body: Option<Vec<u8>>,
}

/// A response after redirects and authentication, with the URL it finally came from.
pub struct Answer {
    /// The response.
    pub response: Response,
    /// The URL that answered (differs from the request URL after redirects).
    pub final_url: url::Url,
}

/// Sends `plan` to `url`, following redirects as the job's policy allows and answering one
/// authentication challenge per hop with the job's server credentials (never to another host).
pub async fn send(plan: &RequestPlan<'_>, url: &url::Url) -> Result<Answer, SendError> {
    let mut current = url.clone();
    let mut seen = vec![current.clone()];
    for _ in 0..=MAX_REDIRECTS {
        let same_host = current.host_str() == url.host_str()
            && current.port_or_known_default() == url.port_or_known_default();
        let response = request(plan, &current, None)
            .await
            .map_err(SendError::Failed)?;
        let response = if response.status() == StatusCode::UNAUTHORIZED && same_host {
            match authorization(plan, &current, response.headers()) {
                Some(value) => request(plan, &current, Some(value))
                    .await
                    .map_err(SendError::Failed)?,
                None => response,
            }
        } else {
            response
        };
        if !response.status().is_redirection() || response.status() == StatusCode::NOT_MODIFIED {
            return Ok(Answer {
                response,
                final_url: current,
            });
        }
        let Some(target) = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|location| current.join(location).ok())
        else {
            return Ok(Answer {
                response,
                final_url: current,
            });
        };
        if plan.redirect.mode == RedirectMode::Disallow {
            return Err(SendError::RedirectRefused {
                failure: Failure::fatal(
                    ErrorCode::http(response.status().as_u16()),
                    ErrorContext::RemoteFile,
                    format!(
                        "the server redirected to {target}, and this job does not allow redirects"
                    ),
                ),
                target,
            });
        }
        if !matches!(target.scheme(), "http" | "https") {
            return Err(SendError::Failed(Failure::fatal(
                ErrorCode::ERROR_WINHTTP_REDIRECT_FAILED,
                ErrorContext::RemoteFile,
                format!("the server redirected to an unsupported address {target}"),
            )));
        }
        if current.scheme() == "https"
            && target.scheme() == "http"
            && !plan.redirect.allow_https_to_http
        {
            return Err(SendError::Failed(Failure::fatal(
                ErrorCode::ERROR_WINHTTP_REDIRECT_FAILED,
                ErrorContext::RemoteFile,
                format!("the server redirected from https to plain http ({target}); this job does not allow that"),
            )));
        }
        if seen.contains(&target) {
            return Err(SendError::Failed(Failure::fatal(
                ErrorCode::ERROR_WINHTTP_REDIRECT_FAILED,
                ErrorContext::RemoteFile,
                format!("the server's redirects loop back to {target}"),
            )));
        }
        seen.push(target.clone());
        current = target;
    }
    Err(SendError::Failed(Failure::fatal(
        ErrorCode::ERROR_WINHTTP_REDIRECT_FAILED,
        ErrorContext::RemoteFile,
        format!("more than {MAX_REDIRECTS} redirects"),
    )))
}

/// Why [`send`] did not produce an answer.
pub enum SendError {
    /// The request failed.
    Failed(Failure),
    /// The job's policy refused a redirect; the remote name becomes `target`.
    RedirectRefused {
        /// The failure to report.
        failure: Failure,
        /// Where the server wanted to go.
        target: url::Url,
    },
}

async fn request(
    plan: &RequestPlan<'_>,
    url: &url::Url,
    auth: Option<HeaderValue>,
) -> Result<Response, Failure> {
    let mut builder: RequestBuilder = plan
        .client
        .request(plan.method.clone(), url.clone())
        .headers(plan.headers.clone());
    if let Some(value) = auth {
        builder = builder.header(AUTHORIZATION, value);
    }
    if let Some(body) = &plan.body {
        builder = builder.body(body.clone());
    }
    builder.send().await.map_err(|e| Failure::request(&e))
}

/// The Authorization header answering a 401 challenge, if the job has matching credentials.
pub fn authorization(
    plan: &RequestPlan<'_>,
    url: &url::Url,
    headers: &HeaderMap,
) -> Option<HeaderValue> {
    let server = |scheme| {
        plan.credentials
            .iter()
            .find(|c| c.target == AuthTarget::Server && c.scheme == scheme)
    };
    for challenge in headers.get_all(WWW_AUTHENTICATE) {
        let text = challenge.to_str().ok()?;
        let lower = text.to_ascii_lowercase();
        if lower.starts_with("digest") {
            if let Some(login) = server(AuthScheme::Digest) {
                let mut prompt = digest_auth::parse(text).ok()?;
                let path = match url.query() {
                    Some(query) => format!("{}?{query}", url.path()),
                    None => url.path().to_owned(),
                };
                let mut context = digest_auth::AuthContext::new(
                    login.user_name.as_str(),
                    login.password.as_str(),
                    path,
                );
                context.method = digest_auth::HttpMethod::from(plan.method.as_str());
                let answer = prompt.respond(&context).ok()?;
                return HeaderValue::from_str(&answer.to_header_string()).ok();
            }
        } else if lower.starts_with("basic") {
            if let Some(login) = server(AuthScheme::Basic) {
                let token =
                    base64_encode(format!("{}:{}", login.user_name, login.password).as_bytes());
                return HeaderValue::from_str(&format!("Basic {token}")).ok();
            }
        }
    }
    None
}

/// Standard base64, for Basic authentication.
fn base64_encode(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_examples() {
        assert_eq!(
            base64_encode(b"Aladdin:open sesame"),
            "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(base64_encode(b"f"), "Zg==");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        assert_eq!(base64_encode(b"foo"), "Zm9v");
    }

    #[test]
    fn http_statuses_are_classified_as_the_spec_says() {
        let h = HeaderMap::new();
        let transient = |code: u16| {
            Failure::http_status(
                StatusCode::from_u16(code).unwrap(),
                &h,
                ErrorContext::RemoteFile,
            )
            .transient
        };
        assert!(!transient(404));
        assert!(!transient(410));
        assert!(!transient(401));
        assert!(transient(408));
        assert!(transient(409));
        assert!(transient(429));
        assert!(transient(500));
        assert!(transient(503));
        assert!(!transient(501));
        assert!(!transient(505));
        assert!(!transient(301));
        assert!(transient(308));
        assert_eq!(
            Failure::http_status(StatusCode::NOT_FOUND, &h, ErrorContext::RemoteFile)
                .code
                .0,
            0x8019_0194
        );
    }

    #[test]
    fn retry_after_reads_seconds() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("120"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(120)));
    }
}

#[cfg(test)]
mod properties {
    //! `Retry-After` and HTTP statuses from a server against any input: never a panic, numbers
    //! and dates read back as written, every status maps to a code.

    use proptest::prelude::*;

    use super::*;

    fn with_retry_after(value: &[u8]) -> Option<HeaderMap> {
        let value = HeaderValue::from_bytes(value).ok()?;
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, value);
        Some(headers)
    }

    /// A `Retry-After` value near its grammar: seconds (with signs, spaces, huge numbers) or an
    /// HTTP date, well or badly formed.
    fn retry_after_text() -> impl Strategy<Value = String> {
        prop_oneof![
            r"[ \t]{0,2}[-+]?[0-9]{0,25}(\.[0-9]{0,3})?[ \t]{0,2}",
            r"(Mon|Tue|Sun|Xyz), [0-9]{1,2} (Jan|Feb|Dec|Foo) [0-9]{1,5} [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2} (GMT|UTC)?",
            r"[A-Za-z]{6,9}, [0-9]{2}-[A-Za-z]{3}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT",
        ]
    }

    proptest! {
        #[test]
        fn retry_after_never_panics_on_any_bytes(value in prop::collection::vec(any::<u8>(), 0..64)) {
            if let Some(headers) = with_retry_after(&value) {
                let _ = retry_after(&headers);
            }
        }

        #[test]
        fn retry_after_near_its_grammar_never_panics(text in retry_after_text()) {
            if let Some(headers) = with_retry_after(text.as_bytes()) {
                let _ = retry_after(&headers);
            }
        }

        #[test]
        fn retry_after_seconds_read_back_as_written(seconds in any::<u64>()) {
            let headers = with_retry_after(seconds.to_string().as_bytes()).unwrap();
            prop_assert_eq!(retry_after(&headers), Some(Duration::from_secs(seconds)));
        }

        #[test]
        fn a_retry_after_date_in_the_past_means_now(seconds in 0u64..=1_700_000_000) {
            let when = std::time::UNIX_EPOCH + Duration::from_secs(seconds);
            let headers = with_retry_after(httpdate::fmt_http_date(when).as_bytes()).unwrap();
            prop_assert_eq!(retry_after(&headers), Some(Duration::ZERO));
        }

        #[test]
        fn every_status_a_server_can_send_maps_to_its_code(code in 100u16..=999) {
            let status = StatusCode::from_u16(code).unwrap();
            let failure = Failure::http_status(status, &HeaderMap::new(), ErrorContext::RemoteFile);
            prop_assert_eq!(failure.code, ErrorCode::http(code));
            prop_assert!(!failure.description.is_empty());
        }
    }
}
