//! Checking credentials the way real servers do: Basic (RFC 7617), Digest with MD5 and
//! `qop=auth` (RFC 7616, the RFC 2617 algorithm), and Basic for proxies.

use base64::Engine as _;
use hyper::header::{HeaderMap, HeaderValue, AUTHORIZATION, PROXY_AUTHORIZATION};
use md5::{Digest as _, Md5};

use super::behaviour::{AuthScheme, Login};
use super::respond::RequestHead;

/// The realm every challenge names (that of RFC 2617's example, so its test vector applies).
pub const REALM: &str = "testrealm@host.com";
/// The nonce every Digest challenge carries (RFC 2617's example).
pub const NONCE: &str = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
/// The opaque value every Digest challenge carries (RFC 2617's example).
pub const OPAQUE: &str = "5ccc069c403ebaf9f0171e9517f40e41";

/// The `WWW-Authenticate` challenge for `scheme`.
pub fn challenge(scheme: AuthScheme) -> HeaderValue {
    let text = match scheme {
        AuthScheme::Basic => format!("Basic realm=\"{REALM}\""),
        AuthScheme::Digest => {
            format!("Digest realm=\"{REALM}\", qop=\"auth\", algorithm=MD5, nonce=\"{NONCE}\", opaque=\"{OPAQUE}\"")
        }
    };
    HeaderValue::from_str(&text).expect("a challenge is a valid header value")
}

/// The `Proxy-Authenticate` challenge.
pub fn proxy_challenge() -> HeaderValue {
    HeaderValue::from_str(&format!("Basic realm=\"{REALM}\""))
        .expect("a challenge is a valid header value")
}

/// True when `request` carries `login` in `scheme` in its `Authorization` header.
pub fn accepts(scheme: AuthScheme, login: &Login, request: &RequestHead<'_>) -> bool {
    let Some(credentials) = request
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    match scheme {
        AuthScheme::Basic => basic_matches(credentials, login),
        AuthScheme::Digest => digest_matches(credentials, login, request),
    }
}

/// True when `headers` carry `login` as Basic `Proxy-Authorization`.
pub fn proxy_accepts(login: &Login, headers: &HeaderMap) -> bool {
    headers
        .get(PROXY_AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|credentials| basic_matches(credentials, login))
}

fn basic_matches(credentials: &str, login: &Login) -> bool {
    let Some((scheme, token)) = credentials.trim().split_once(' ') else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return false;
    }
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(token.trim()) else {
        return false;
    };
    decoded == format!("{}:{}", login.user, login.password).as_bytes()
}

fn digest_matches(credentials: &str, login: &Login, request: &RequestHead<'_>) -> bool {
    let Some((scheme, params)) = credentials.trim().split_once(' ') else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("digest") {
        return false;
    }
    let params = parse_params(params);
    let get = |name: &str| {
        params
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    };
    let requested = request.uri.path_and_query().map_or("/", |p| p.as_str());
    let algorithm_is_md5 = get("algorithm").is_none_or(|a| a.eq_ignore_ascii_case("md5"));
    let (Some(uri), Some(nc), Some(cnonce), Some(response)) =
        (get("uri"), get("nc"), get("cnonce"), get("response"))
    else {
        return false;
    };
    if get("username") != Some(login.user.as_str())
        || get("realm") != Some(REALM)
        || get("nonce") != Some(NONCE)
        || get("opaque") != Some(OPAQUE)
        || get("qop") != Some("auth")
        || !algorithm_is_md5
        || uri != requested
    {
        return false;
    }
    let ha1 = md5_hex(&format!("{}:{REALM}:{}", login.user, login.password));
    let ha2 = md5_hex(&format!("{}:{uri}", request.method));
    response.eq_ignore_ascii_case(&md5_hex(&format!("{ha1}:{NONCE}:{nc}:{cnonce}:auth:{ha2}")))
}

fn md5_hex(text: &str) -> String {
    Md5::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `key=value, key="quoted, value"` pairs of an authorization header.
fn parse_params(text: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut rest = text.trim();
    while let Some((key, after)) = rest.split_once('=') {
        let key = key.trim().trim_start_matches(',').trim().to_owned();
        let after = after.trim_start();
        let (value, remainder) = if let Some(quoted) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((at, c)) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next().map(|(_, escaped)| escaped)),
                    '"' => {
                        end = at + 1;
                        break;
                    }
                    _ => value.push(c),
                }
            }
            (value, &quoted[end..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim().to_owned(), &after[end..])
        };
        pairs.push((key, value));
        rest = remainder.trim_start().trim_start_matches(',').trim_start();
    }
    pairs
}
