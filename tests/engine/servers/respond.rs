//! The HTTP semantics of the catalogue: which status, headers and bytes a behaviour gives a
//! request, and how those bytes go out on the wire.

use std::convert::Infallible;
use std::io::Write;
use std::time::Duration;

use bytes::Bytes;
use flate2::write::GzEncoder;
use flate2::Compression;
use futures_util::{stream, StreamExt};
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper::header::{
    HeaderMap, HeaderValue, ACCEPT_RANGES, CONNECTION, CONTENT_ENCODING, CONTENT_LENGTH,
    CONTENT_RANGE, CONTENT_TYPE, ETAG, IF_RANGE, LAST_MODIFIED, LOCATION, RANGE, RETRY_AFTER,
};
use hyper::{Method, Response, StatusCode, Uri};

use super::auth;
use super::behaviour::{Behaviour, DigestHeader, Login, Resource};
use super::chaos;
use super::wire::Cut;

/// The body type of every answer.
pub type Body = UnsyncBoxBody<Bytes, std::io::Error>;

/// Size of the pieces of a chunked body.
const CHUNK: usize = 16 * 1024;

/// The parts of a request that decide the answer.
pub struct RequestHead<'a> {
    /// Method.
    pub method: &'a Method,
    /// Request target as sent.
    pub uri: &'a Uri,
    /// Headers.
    pub headers: &'a HeaderMap,
    /// Connections open to the server when the request arrived, its own included.
    pub open_connections: usize,
}

/// What a behaviour decided.
pub enum Outcome {
    /// Answer with this.
    Reply(Reply),
    /// Act as a proxy with this login (the caller owns the request body and the tunnel).
    Proxy(Option<Login>),
}

/// An answer before it is put on the wire.
pub struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    payload: Bytes,
    delivery: Delivery,
}

/// How the payload goes out.
#[derive(Clone, Copy)]
enum Delivery {
    /// All at once, with its `Content-Length`.
    Whole,
    /// With the whole `Content-Length`, a piece after each tick.
    Drip {
        bytes_per_tick: usize,
        tick: Duration,
    },
    /// With the whole `Content-Length`, cut short on the wire.
    Cut(Cut),
    /// Chunked transfer coding, no `Content-Length`.
    Chunked,
}

/// Which part of a resource a request gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Selection {
    Whole,
    /// Inclusive byte positions.
    Partial {
        first: u64,
        last: u64,
    },
    Unsatisfiable,
}

/// What `behaviour` answers to `request`, the `n`th request (from 0) it has seen.
pub fn respond(behaviour: &Behaviour, n: usize, request: &RequestHead<'_>) -> Outcome {
    let reply = match behaviour {
        Behaviour::Full(resource) => serve(resource, select(resource, request), Delivery::Whole),
        Behaviour::NoRanges(resource) => {
            let mut reply = serve(resource, Selection::Whole, Delivery::Whole);
            reply.headers.remove(ACCEPT_RANGES);
            reply
        }
        Behaviour::SlowDrip {
            resource,
            bytes_per_tick,
            tick,
        } => {
            let delivery = Delivery::Drip {
                bytes_per_tick: (*bytes_per_tick).max(1),
                tick: *tick,
            };
            serve(resource, select(resource, request), delivery)
        }
        Behaviour::DropMidBody {
            resource,
            after,
            times,
        } => {
            let cut = times.is_none_or(|times| n < times);
            let delivery = if cut {
                Delivery::Cut(Cut::CloseAfter(*after))
            } else {
                Delivery::Whole
            };
            serve(resource, select(resource, request), delivery)
        }
        Behaviour::Stall { resource, after } => serve(
            resource,
            select(resource, request),
            Delivery::Cut(Cut::StallAfter(*after)),
        ),
        Behaviour::Status {
            code,
            retry_after,
            times,
            then,
        } => match times {
            Some(times) if n >= *times => return respond(then, n - times, request),
            _ => {
                let mut reply = text(status(*code), "text/plain", format!("HTTP {code}\n"));
                if let Some(seconds) = retry_after {
                    reply
                        .headers
                        .insert(RETRY_AFTER, HeaderValue::from(*seconds));
                }
                reply
            }
        },
        Behaviour::ConnectionCap { most, code, inner } => {
            if request.open_connections <= *most {
                return respond(inner, n, request);
            }
            let mut reply = text(status(*code), "text/plain", format!("HTTP {code}\n"));
            reply
                .headers
                .insert(CONNECTION, HeaderValue::from_static("close"));
            reply
        }
        Behaviour::Auth {
            login,
            scheme,
            inner,
        } => {
            if auth::accepts(*scheme, login, request) {
                return respond(inner, n, request);
            }
            let mut reply = text(
                StatusCode::UNAUTHORIZED,
                "text/plain",
                "authentication required\n".to_owned(),
            );
            reply
                .headers
                .insert(hyper::header::WWW_AUTHENTICATE, auth::challenge(*scheme));
            reply
        }
        Behaviour::Proxy { login } => return Outcome::Proxy(login.clone()),
        Behaviour::NoContentLength(body) => Reply {
            status: StatusCode::OK,
            headers: octet_stream(),
            payload: body.clone(),
            delivery: Delivery::Chunked,
        },
        Behaviour::ChangingValidators { versions, every } => {
            let index = (n / (*every).max(1)).min(versions.len().saturating_sub(1));
            let body = versions.get(index).cloned().unwrap_or_default();
            let resource = Resource::version(body, index);
            serve(&resource, select(&resource, request), Delivery::Whole)
        }
        Behaviour::Redirect {
            status: code,
            location,
        } => {
            let mut reply = text(
                status(*code),
                "text/plain",
                format!("moved to {location}\n"),
            );
            let location = HeaderValue::from_str(location)
                .expect("a redirect location is a valid header value");
            reply.headers.insert(LOCATION, location);
            reply
        }
        Behaviour::WrongContentRange { resource, shift } => {
            let selection = match select(resource, request) {
                Selection::Partial { first, last } => {
                    let end = resource.body.len() as u64 - 1;
                    Selection::Partial {
                        first: (first + shift).min(end),
                        last: (last + shift).min(end),
                    }
                }
                other => other,
            };
            serve(resource, selection, Delivery::Whole)
        }
        Behaviour::GzipRanges(resource) => {
            let mut reply = serve(resource, select(resource, request), Delivery::Whole);
            if reply.status == StatusCode::PARTIAL_CONTENT {
                reply.payload = gzip(&reply.payload);
                reply
                    .headers
                    .insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            }
            reply
        }
        Behaviour::Digests {
            inner,
            header,
            file,
            wrong,
        } => match respond(inner, n, request) {
            Outcome::Reply(mut reply) => {
                if matches!(reply.status, StatusCode::OK | StatusCode::PARTIAL_CONTENT) {
                    add_digest(&mut reply, *header, file, *wrong);
                }
                reply
            }
            proxy => return proxy,
        },
        Behaviour::WithHeaders { inner, headers } => match respond(inner, n, request) {
            Outcome::Reply(mut reply) => {
                for (name, value) in headers {
                    let name = hyper::header::HeaderName::from_bytes(name.as_bytes())
                        .expect("a test header name is valid");
                    let value = HeaderValue::from_bytes(value.as_bytes())
                        .expect("a test header value is valid");
                    reply.headers.insert(name, value);
                }
                reply
            }
            proxy => return proxy,
        },
        Behaviour::HeadRefused(inner) => {
            if request.method == Method::HEAD {
                text(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "text/plain",
                    "HEAD is not allowed here\n".to_owned(),
                )
            } else {
                return respond(inner, n, request);
            }
        }
        Behaviour::Chaos { versions, seed } => {
            let answer = chaos::behaviour_for(versions, *seed, n, request.uri.path());
            return respond(&answer, 0, request);
        }
        Behaviour::HtmlErrorPage => text(
            StatusCode::OK,
            "text/html; charset=utf-8",
            "<!DOCTYPE html>\n<html><head><title>Error</title></head>\
             <body><h1>Sorry, this file is not available</h1></body></html>\n"
                .to_owned(),
        ),
    };
    Outcome::Reply(reply)
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).expect("a behaviour's status code is between 100 and 999")
}

fn octet_stream() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers
}

fn text(status: StatusCode, content_type: &'static str, body: String) -> Reply {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    Reply {
        status,
        headers,
        payload: Bytes::from(body),
        delivery: Delivery::Whole,
    }
}

/// Adds `header` to `reply`: the digest of the bytes it describes (`file`, or the reply's
/// payload for `Content-Digest`), or with `wrong` of those bytes and one more.
fn add_digest(reply: &mut Reply, header: DigestHeader, file: &Bytes, wrong: bool) {
    use base64::Engine as _;
    use sha2::Digest as _;
    let described = match header {
        DigestHeader::Content => &reply.payload,
        DigestHeader::Repr | DigestHeader::Legacy => file,
    };
    let mut bytes = described.to_vec();
    if wrong {
        bytes.push(0);
    }
    let b64 = |digest: &[u8]| base64::engine::general_purpose::STANDARD.encode(digest);
    let (name, value) = match header {
        DigestHeader::Repr => (
            "repr-digest",
            format!("sha-256=:{}:", b64(&sha2::Sha256::digest(&bytes))),
        ),
        DigestHeader::Content => (
            "content-digest",
            format!("sha-256=:{}:", b64(&sha2::Sha256::digest(&bytes))),
        ),
        DigestHeader::Legacy => (
            "digest",
            format!("SHA-512={}", b64(&sha2::Sha512::digest(&bytes))),
        ),
    };
    let value = HeaderValue::from_str(&value).expect("base64 is a valid header value");
    reply.headers.insert(name, value);
}

/// `bytes` compressed with gzip.
fn gzip(bytes: &[u8]) -> Bytes {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder
        .write_all(bytes)
        .expect("gzip into memory cannot fail");
    Bytes::from(encoder.finish().expect("gzip into memory cannot fail"))
}

/// The part of `resource` that `request` gets, from `Range` and `If-Range`.
fn select(resource: &Resource, request: &RequestHead<'_>) -> Selection {
    let Some(range) = request.headers.get(RANGE).and_then(|v| v.to_str().ok()) else {
        return Selection::Whole;
    };
    if let Some(condition) = request.headers.get(IF_RANGE) {
        if !if_range_holds(condition, resource) {
            return Selection::Whole;
        }
    }
    parse_range(range, resource.body.len() as u64)
}

/// RFC 9110 §13.1.5: an entity tag must match strongly; a date must equal `Last-Modified`.
fn if_range_holds(condition: &HeaderValue, resource: &Resource) -> bool {
    let Ok(condition) = condition.to_str() else {
        return false;
    };
    let condition = condition.trim();
    if condition.starts_with('"') {
        return resource.etag.as_deref() == Some(condition);
    }
    if condition.starts_with("W/") {
        return false;
    }
    match (httpdate::parse_http_date(condition), resource.last_modified) {
        (Ok(date), Some(modified)) => {
            httpdate::fmt_http_date(date) == httpdate::fmt_http_date(modified)
        }
        _ => false,
    }
}

/// One `bytes=` range against a file of `len` bytes; anything else is ignored (whole file).
fn parse_range(header: &str, len: u64) -> Selection {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return Selection::Whole;
    };
    if spec.contains(',') {
        return Selection::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Selection::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    let number = |text: &str| text.parse::<u64>().ok();
    if first.is_empty() {
        return match number(last) {
            Some(0) => Selection::Unsatisfiable,
            Some(_) if len == 0 => Selection::Unsatisfiable,
            Some(suffix) => Selection::Partial {
                first: len - suffix.min(len),
                last: len - 1,
            },
            None => Selection::Whole,
        };
    }
    let Some(first) = number(first) else {
        return Selection::Whole;
    };
    let last = if last.is_empty() {
        u64::MAX
    } else {
        match number(last) {
            Some(last) if last >= first => last,
            _ => return Selection::Whole,
        }
    };
    if first >= len {
        return Selection::Unsatisfiable;
    }
    Selection::Partial {
        first,
        last: last.min(len - 1),
    }
}

/// The answer serving `selection` of `resource`.
fn serve(resource: &Resource, selection: Selection, delivery: Delivery) -> Reply {
    let mut headers = octet_stream();
    headers.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some(etag) = &resource.etag {
        headers.insert(
            ETAG,
            HeaderValue::from_str(etag).expect("an ETag is a valid header value"),
        );
    }
    if let Some(modified) = resource.last_modified {
        let date = HeaderValue::from_str(&httpdate::fmt_http_date(modified))
            .expect("an HTTP date is a valid header value");
        headers.insert(LAST_MODIFIED, date);
    }
    let len = resource.body.len() as u64;
    let (status, payload) = match selection {
        Selection::Whole => (StatusCode::OK, resource.body.clone()),
        Selection::Partial { first, last } => {
            let range = format!("bytes {first}-{last}/{len}");
            headers.insert(
                CONTENT_RANGE,
                HeaderValue::from_str(&range).expect("a Content-Range is a valid header value"),
            );
            (
                StatusCode::PARTIAL_CONTENT,
                resource.body.slice(first as usize..=last as usize),
            )
        }
        Selection::Unsatisfiable => {
            headers.insert(
                CONTENT_RANGE,
                HeaderValue::from_str(&format!("bytes */{len}")).expect("valid Content-Range"),
            );
            return Reply {
                status: StatusCode::RANGE_NOT_SATISFIABLE,
                headers,
                payload: Bytes::new(),
                delivery: Delivery::Whole,
            };
        }
    };
    Reply {
        status,
        headers,
        payload,
        delivery,
    }
}

impl Reply {
    /// The hyper response, and the cut to arm on the connection for it, if any; `head`
    /// answers a HEAD request (same headers, no payload).
    pub fn into_response(self, head: bool) -> (Response<Body>, Option<Cut>) {
        let Reply {
            status,
            mut headers,
            payload,
            delivery,
        } = self;
        if !matches!(delivery, Delivery::Chunked) {
            headers.insert(CONTENT_LENGTH, HeaderValue::from(payload.len()));
        }
        let cut = match delivery {
            Delivery::Cut(cut) if !head && cut.after() < payload.len() => Some(cut),
            _ => None,
        };
        let body = if head {
            empty()
        } else {
            delivery.body(payload)
        };
        let mut response = Response::new(body);
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        (response, cut)
    }
}

impl Delivery {
    fn body(self, payload: Bytes) -> Body {
        match self {
            Delivery::Whole | Delivery::Cut(_) => whole(payload),
            Delivery::Chunked => {
                let pieces: Vec<Bytes> = (0..payload.len())
                    .step_by(CHUNK)
                    .map(|at| payload.slice(at..(at + CHUNK).min(payload.len())))
                    .collect();
                frames(stream::iter(pieces))
            }
            Delivery::Drip {
                bytes_per_tick,
                tick,
            } => frames(stream::unfold(payload, move |mut rest| async move {
                if rest.is_empty() {
                    return None;
                }
                tokio::time::sleep(tick).await;
                let piece = rest.split_to(bytes_per_tick.min(rest.len()));
                Some((piece, rest))
            })),
        }
    }
}

fn frames(pieces: impl futures_util::Stream<Item = Bytes> + Send + 'static) -> Body {
    StreamBody::new(pieces.map(|piece| Ok(Frame::data(piece)))).boxed_unsync()
}

/// A body with all of `payload`.
pub fn whole(payload: Bytes) -> Body {
    Full::new(payload)
        .map_err(|never: Infallible| match never {})
        .boxed_unsync()
}

/// An empty body.
pub fn empty() -> Body {
    whole(Bytes::new())
}

mod tests {
    use super::*;

    #[test]
    fn ranges_are_read_as_rfc_9110_says() {
        let partial = |first, last| Selection::Partial { first, last };
        assert_eq!(parse_range("bytes=0-9", 100), partial(0, 9));
        assert_eq!(parse_range("bytes=90-", 100), partial(90, 99));
        assert_eq!(parse_range("bytes=90-1000", 100), partial(90, 99));
        assert_eq!(parse_range("bytes=-10", 100), partial(90, 99));
        assert_eq!(parse_range("bytes=-1000", 100), partial(0, 99));
        assert_eq!(parse_range("bytes=100-", 100), Selection::Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 100), Selection::Unsatisfiable);
        assert_eq!(parse_range("bytes=0-", 0), Selection::Unsatisfiable);
        assert_eq!(
            parse_range("bytes=9-3", 100),
            Selection::Whole,
            "an invalid range is ignored"
        );
        assert_eq!(
            parse_range("bytes=0-1,5-6", 100),
            Selection::Whole,
            "several ranges get the whole file"
        );
        assert_eq!(
            parse_range("items=0-1", 100),
            Selection::Whole,
            "other units are ignored"
        );
    }
}
