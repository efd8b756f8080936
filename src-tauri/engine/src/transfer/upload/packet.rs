//! BITS upload packets (bits-spec.md §8.1, §8.2): requests sent with method `BITS_POST` and the
//! Acks that answer them, with error Acks turned into classified failures.

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION};
use reqwest::{Client, Method, StatusCode};

use crate::error::{ErrorCode, ErrorContext};
use crate::job::{Credentials, RedirectMode, RedirectPolicy};
use crate::transfer::http::{self, Failure, RequestPlan, SendError};

/// The BITS 1.5 Upload Protocol, the protocol Ferry offers in Create-Session.
pub const UPLOAD_PROTOCOL: &str = "{7df0354d-249b-430f-820d-3d2a9bef4931}";

/// One request of the upload protocol.
pub enum Packet {
    /// Opens the connection and settles authentication cheaply.
    Ping,
    /// Asks for a session, offering [`UPLOAD_PROTOCOL`].
    CreateSession,
    /// Bytes `start..=end` of a `total`-byte file.
    Fragment {
        /// The session.
        session: String,
        /// First byte.
        start: u64,
        /// Last byte (inclusive).
        end: u64,
        /// Size of the whole file.
        total: u64,
        /// The local file's name, sent with the first fragment only.
        name: Option<String>,
        /// The bytes.
        body: Vec<u8>,
    },
    /// Ends a session whose upload (and reply) is done.
    CloseSession {
        /// The session.
        session: String,
    },
    /// Ends a session and drops what it uploaded, unless the upload was complete.
    CancelSession {
        /// The session.
        session: String,
    },
}

impl Packet {
    /// The `BITS-Packet-Type` value, also used in error descriptions.
    pub fn name(&self) -> &'static str {
        match self {
            Packet::Ping => "Ping",
            Packet::CreateSession => "Create-Session",
            Packet::Fragment { .. } => "Fragment",
            Packet::CloseSession { .. } => "Close-Session",
            Packet::CancelSession { .. } => "Cancel-Session",
        }
    }

    /// The packet's headers and body.
    fn into_parts(self) -> (HeaderMap, Vec<u8>) {
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static("bits-packet-type"),
            HeaderValue::from_static(self.name()),
        );
        let session = match &self {
            Packet::Fragment { session, .. }
            | Packet::CloseSession { session }
            | Packet::CancelSession { session } => Some(session.as_str()),
            Packet::Ping | Packet::CreateSession => None,
        };
        if let Some(value) = session.and_then(|s| HeaderValue::from_str(s).ok()) {
            headers.insert(HeaderName::from_static("bits-session-id"), value);
        }
        match self {
            Packet::CreateSession => {
                headers.insert(
                    HeaderName::from_static("bits-supported-protocols"),
                    HeaderValue::from_static(UPLOAD_PROTOCOL),
                );
                (headers, Vec::new())
            }
            Packet::Fragment {
                start,
                end,
                total,
                name,
                body,
                ..
            } => {
                if let Ok(range) = HeaderValue::from_str(&format!("bytes {start}-{end}/{total}")) {
                    headers.insert(reqwest::header::CONTENT_RANGE, range);
                }
                if let Some(name) = name {
                    headers.insert(HeaderName::from_static("content-name"), name_value(&name));
                }
                (headers, body)
            }
            _ => (headers, Vec::new()),
        }
    }
}

/// `Content-Name` as sent: the name's bytes, or its percent-encoding if they are not a legal
/// header value.
fn name_value(name: &str) -> HeaderValue {
    HeaderValue::from_bytes(name.as_bytes()).unwrap_or_else(|_| {
        let encoded: String = name
            .bytes()
            .map(|b| match b {
                b' '..=b'~' if b != b'%' => char::from(b).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect();
        HeaderValue::from_str(&encoded).unwrap_or_else(|_| HeaderValue::from_static("upload"))
    })
}

/// The method of every packet.
fn bits_post() -> Method {
    Method::from_bytes(b"BITS_POST").unwrap_or(Method::POST)
}

/// Sends packets for one job: its client, custom headers and credentials. A Basic challenge
/// answered once is answered in advance on later packets, so fragment bodies are not sent twice.
pub struct Channel<'a> {
    client: &'a Client,
    headers: HeaderMap,
    credentials: &'a [Credentials],
    basic: Option<HeaderValue>,
}

impl<'a> Channel<'a> {
    /// A channel over `client`, adding `headers` to every packet.
    pub fn new(client: &'a Client, headers: HeaderMap, credentials: &'a [Credentials]) -> Self {
        Channel {
            client,
            headers,
            credentials,
            basic: None,
        }
    }

    /// Sends `packet` to `url` and returns the server's answer. Redirects are not followed; a
    /// 401 challenge is answered once with the job's server credentials.
    pub async fn send(&mut self, url: &url::Url, packet: Packet) -> Result<Ack, Failure> {
        let (packet_headers, body) = packet.into_parts();
        let mut headers = self.headers.clone();
        headers.extend(packet_headers);
        if let Some(basic) = &self.basic {
            headers.insert(AUTHORIZATION, basic.clone());
        }
        let mut plan = RequestPlan {
            client: self.client,
            method: bits_post(),
            headers,
            redirect: RedirectPolicy {
                mode: RedirectMode::Disallow,
                allow_https_to_http: false,
            },
            credentials: &[],
            body: Some(body),
        };
        let ack = send_once(&plan, url).await?;
        if ack.status != StatusCode::UNAUTHORIZED || self.credentials.is_empty() {
            return Ok(ack);
        }
        let challenge = RequestPlan {
            client: self.client,
            method: bits_post(),
            headers: HeaderMap::new(),
            redirect: plan.redirect,
            credentials: self.credentials,
            body: None,
        };
        let Some(answer) = http::authorization(&challenge, url, &ack.headers) else {
            return Ok(ack);
        };
        if answer.as_bytes().starts_with(b"Basic ") {
            self.basic = Some(answer.clone());
        }
        plan.headers.insert(AUTHORIZATION, answer);
        send_once(&plan, url).await
    }
}

async fn send_once(plan: &RequestPlan<'_>, url: &url::Url) -> Result<Ack, Failure> {
    match http::send(plan, url).await {
        Ok(answer) => Ok(Ack {
            status: answer.response.status(),
            headers: answer.response.headers().clone(),
        }),
        Err(SendError::Failed(failure)) => Err(failure),
        Err(SendError::RedirectRefused { failure, target }) => Err(Failure {
            description: format!(
                "the upload server redirected to {target}; uploads do not follow redirects"
            ),
            ..failure
        }),
    }
}

/// True for failures where the server gave no answer at all (it could not be reached, or the
/// connection broke).
pub fn is_unreachable(failure: &Failure) -> bool {
    [
        ErrorCode::ERROR_WINHTTP_CANNOT_CONNECT,
        ErrorCode::ERROR_WINHTTP_NAME_NOT_RESOLVED,
        ErrorCode::ERROR_WINHTTP_TIMEOUT,
        ErrorCode::ERROR_WINHTTP_CONNECTION_ERROR,
    ]
    .contains(&failure.code)
}

/// How a Close-Session or Cancel-Session was answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionEnd {
    /// The session is gone (closed now, or the server no longer knows it).
    Ended,
    /// A server error (5xx): send the packet again later.
    Retry,
    /// Refused for good (100–499): the server keeps the session until it expires.
    Refused,
}

/// The server's answer to a packet.
#[derive(Debug)]
pub struct Ack {
    /// The HTTP status.
    pub status: StatusCode,
    headers: HeaderMap,
}

impl Ack {
    /// The value of a header, if present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// True for a positive Ack (2xx).
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }

    /// `BITS-Error-Code`, parsed from hex.
    pub fn error_code(&self) -> Option<ErrorCode> {
        self.header("bits-error-code")
            .and_then(parse_hex)
            .map(ErrorCode)
    }

    /// True when the server no longer knows the session (BG_E_SESSION_NOT_FOUND).
    pub fn session_lost(&self) -> bool {
        !self.is_success() && self.error_code() == Some(ErrorCode::BG_E_SESSION_NOT_FOUND)
    }

    /// `BITS-Received-Content-Range`: the next byte the server expects.
    pub fn received(&self) -> Option<u64> {
        self.header("bits-received-content-range")?
            .trim()
            .parse()
            .ok()
    }

    /// How an answer to Close-Session or Cancel-Session ends the session: re-sent on 5xx
    /// unless the server no longer knows the session; never re-sent for 100–499.
    pub fn session_end(&self) -> SessionEnd {
        if self.is_success() || self.session_lost() {
            SessionEnd::Ended
        } else if self.status.is_server_error() {
            SessionEnd::Retry
        } else {
            SessionEnd::Refused
        }
    }

    /// The failure an error Ack to `packet` stands for. The code is `BITS-Error-Code` (else the
    /// HTTP status); the context is REMOTE_APPLICATION for `BITS-Error-Context: 0x7`, else
    /// REMOTE_FILE. Server-application errors follow the rule of bits-spec.md §7.1, the others
    /// the HTTP status rule of §10.13.
    pub fn failure(&self, packet: &str) -> Failure {
        let status = self.status.as_u16();
        let code = self.error_code().unwrap_or_else(|| ErrorCode::http(status));
        let application = self.header("bits-error-context").and_then(parse_hex)
            == Some(ErrorContext::RemoteApplication as u32);
        let (context, transient, who) = if application {
            (
                ErrorContext::RemoteApplication,
                application_error_is_transient(status),
                "the server application",
            )
        } else {
            let by_status =
                Failure::http_status(self.status, &self.headers, ErrorContext::RemoteFile);
            (ErrorContext::RemoteFile, by_status.transient, "the server")
        };
        let transient = transient && code != ErrorCode::BG_E_CLIENT_SERVER_PROTOCOL_MISMATCH;
        Failure {
            code,
            context,
            description: format!(
                "{who} refused the upload's {packet} packet with HTTP {status} ({})",
                code.name()
            ),
            transient,
            retry_after: http::retry_after(&self.headers),
            retry_once: false,
        }
    }
}

/// Whether a server application's error is worth retrying (bits-spec.md §7.1): 3xx yes except
/// 300–305 and 307; 4xx no except 408 and 409; 5xx yes except 501 and 505; anything else yes.
fn application_error_is_transient(status: u16) -> bool {
    match status {
        300..=305 | 307 => false,
        408 | 409 => true,
        400..=499 => false,
        501 | 505 => false,
        _ => true,
    }
}

/// A hex number as BITS writes it (`0x80190194`, `0x5`, or without the prefix).
fn parse_hex(text: &str) -> Option<u32> {
    let text = text.trim();
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    u32::from_str_radix(digits, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ack(status: u16, headers: &[(&'static str, &'static str)]) -> Ack {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_static(value));
        }
        Ack {
            status: StatusCode::from_u16(status).unwrap(),
            headers: map,
        }
    }

    #[test]
    fn error_acks_carry_the_servers_code_and_context() {
        let failure = ack(
            404,
            &[
                ("bits-error-code", "0x80190194"),
                ("bits-error-context", "0x5"),
            ],
        )
        .failure("Create-Session");
        assert_eq!(failure.code.0, 0x8019_0194);
        assert_eq!(failure.context, ErrorContext::RemoteFile);
        assert!(!failure.transient, "404 needs the user");

        let failure = ack(
            500,
            &[
                ("bits-error-code", "0x801901F4"),
                ("bits-error-context", "0x7"),
            ],
        )
        .failure("Fragment");
        assert_eq!(failure.context, ErrorContext::RemoteApplication);
        assert!(failure.transient, "a 500 of the application is retried");
    }

    #[test]
    fn application_errors_follow_the_server_application_rule() {
        for (status, transient) in [
            (301, false),
            (307, false),
            (308, true),
            (403, false),
            (408, true),
            (409, true),
            (429, false),
            (500, true),
            (501, false),
            (505, false),
        ] {
            assert_eq!(
                application_error_is_transient(status),
                transient,
                "status {status}"
            );
        }
    }

    #[test]
    fn an_ack_without_an_error_code_uses_the_http_status() {
        let failure = ack(503, &[]).failure("Ping");
        assert_eq!(failure.code, ErrorCode::http(503));
        assert!(failure.transient);
    }

    #[test]
    fn session_ends_are_retried_only_on_server_errors() {
        assert_eq!(ack(200, &[]).session_end(), SessionEnd::Ended);
        assert_eq!(
            ack(500, &[("bits-error-code", "0x8020001F")]).session_end(),
            SessionEnd::Ended,
            "an unknown session is already gone"
        );
        assert_eq!(ack(503, &[]).session_end(), SessionEnd::Retry);
        assert_eq!(ack(403, &[]).session_end(), SessionEnd::Refused);
    }

    #[test]
    fn hex_is_read_with_or_without_the_prefix() {
        assert_eq!(parse_hex("0x8020001F"), Some(0x8020_001F));
        assert_eq!(parse_hex("7"), Some(7));
        assert_eq!(parse_hex("0X5"), Some(5));
        assert_eq!(parse_hex("zz"), None);
    }

    #[test]
    fn fragments_carry_range_and_name() {
        let (headers, body) = Packet::Fragment {
            session: "s-1".into(),
            start: 0,
            end: 299,
            total: 300,
            name: Some("report.csv".into()),
            body: vec![0; 300],
        }
        .into_parts();
        assert_eq!(headers["content-range"], "bytes 0-299/300");
        assert_eq!(headers["content-name"], "report.csv");
        assert_eq!(headers["bits-session-id"], "s-1");
        assert_eq!(headers["bits-packet-type"], "Fragment");
        assert!(!headers.contains_key("content-encoding"));
        assert_eq!(body.len(), 300);
    }
}

#[cfg(test)]
mod properties {
    //! The BITS upload server's answer headers against any input: never a panic, numbers read
    //! back as BITS writes them, every refusal carries a code.

    use proptest::prelude::*;

    use super::*;

    /// Header names an upload server's Ack is read for.
    const ACK_HEADERS: &[&str] = &[
        "bits-error-code",
        "bits-error-context",
        "bits-received-content-range",
        "retry-after",
    ];

    /// An Ack with `status` and, for each header of [`ACK_HEADERS`], `value` if it is one.
    fn ack(status: u16, values: &[Vec<u8>]) -> Ack {
        let mut headers = HeaderMap::new();
        for (name, value) in ACK_HEADERS.iter().zip(values) {
            if let Ok(value) = HeaderValue::from_bytes(value) {
                headers.insert(*name, value);
            }
        }
        Ack {
            status: StatusCode::from_u16(status).unwrap(),
            headers,
        }
    }

    /// A header value near the grammars BITS uses: hex with or without `0x`, decimals, signs,
    /// spaces, numbers past 32 and 64 bits, or any bytes.
    fn value() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            r"[ \t]{0,2}(0x|0X)?[-+]?[0-9a-fA-FxX]{0,20}[ \t]{0,2}".prop_map(String::into_bytes),
            r"[ \t]{0,2}[-+]?[0-9]{0,25}[ \t]{0,2}".prop_map(String::into_bytes),
            prop::collection::vec(any::<u8>(), 0..40),
        ]
    }

    proptest! {
        #[test]
        fn an_ack_never_panics_and_its_failure_carries_a_code(
            status in 100u16..=999,
            values in prop::collection::vec(value(), ACK_HEADERS.len()),
        ) {
            let ack = ack(status, &values);
            let _ = (ack.received(), ack.session_lost(), ack.session_end(), ack.is_success());
            let failure = ack.failure("Fragment");
            let expected = ack.error_code().unwrap_or_else(|| ErrorCode::http(status));
            prop_assert_eq!(failure.code, expected);
            prop_assert!(!failure.description.is_empty());
        }

        #[test]
        fn an_error_code_as_bits_writes_it_reads_back(code in any::<u32>(), prefix in any::<bool>()) {
            let text = if prefix { format!("0x{code:08X}") } else { format!("{code:x}") };
            let ack = ack(500, &[text.into_bytes()]);
            prop_assert_eq!(ack.error_code(), Some(ErrorCode(code)));
        }

        #[test]
        fn a_received_range_reads_back(next in any::<u64>()) {
            let ack = ack(200, &[vec![], vec![], next.to_string().into_bytes()]);
            prop_assert_eq!(ack.received(), Some(next));
        }
    }
}
