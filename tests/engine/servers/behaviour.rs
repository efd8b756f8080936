//! What a test server does for a path: the catalogue of behaviours and the resources they serve.

use std::time::{Duration, SystemTime};

use bytes::Bytes;

/// `Last-Modified` of every [`Resource::new`]: a fixed instant, so tests are reproducible.
const FIXED_LAST_MODIFIED_SECS: u64 = 1_704_164_645; // Tue, 02 Jan 2024 03:04:05 GMT

/// `len` pseudo-random bytes determined by `seed`: different seeds give different files of the
/// same length, and the same seed always gives the same bytes, so tests can compare SHA-256.
pub fn body(len: usize, seed: u64) -> Bytes {
    // splitmix64: tiny, fast and good enough that no two seeds collide on a prefix.
    let mut state = seed;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(len);
    Bytes::from(out)
}

/// A file as a server holds it: its bytes and the validators it announces.
#[derive(Clone, Debug)]
pub struct Resource {
    /// The file's bytes.
    pub body: Bytes,
    /// `ETag` sent with every answer (a strong tag, quotes included), if any.
    pub etag: Option<String>,
    /// `Last-Modified` sent with every answer, if any (whole seconds).
    pub last_modified: Option<SystemTime>,
}

impl Resource {
    /// `body` with a strong ETag derived from its bytes and a fixed `Last-Modified`.
    pub fn new(body: Bytes) -> Self {
        Resource {
            etag: Some(format!("\"{:016x}-{:x}\"", fnv1a(&body), body.len())),
            last_modified: Some(
                SystemTime::UNIX_EPOCH + Duration::from_secs(FIXED_LAST_MODIFIED_SECS),
            ),
            body,
        }
    }

    /// `body` with no validators at all (no ETag, no Last-Modified).
    pub fn without_validators(body: Bytes) -> Self {
        Resource {
            body,
            etag: None,
            last_modified: None,
        }
    }

    /// Version `index` of a file that changes: its own ETag and a `Last-Modified` one day later
    /// per version, so a client comparing either validator notices the change.
    pub fn version(body: Bytes, index: usize) -> Self {
        let days = Duration::from_secs(86_400 * index as u64);
        Resource {
            etag: Some(format!("\"v{index}-{:016x}\"", fnv1a(&body))),
            last_modified: Some(
                SystemTime::UNIX_EPOCH + Duration::from_secs(FIXED_LAST_MODIFIED_SECS) + days,
            ),
            body,
        }
    }
}

/// 64-bit FNV-1a: a cheap content hash for ETags.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xCBF2_9CE4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3)
    })
}

/// A user name and password a server accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Login {
    /// User name.
    pub user: String,
    /// Password.
    pub password: String,
}

impl Login {
    /// The login `user` / `password`.
    pub fn new(user: &str, password: &str) -> Self {
        Login {
            user: user.to_owned(),
            password: password.to_owned(),
        }
    }
}

/// How a server asks for credentials with 401.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthScheme {
    /// RFC 7617 Basic.
    Basic,
    /// RFC 7616 Digest, MD5 with `qop=auth`.
    Digest,
}

/// Which digest header a [`Behaviour::Digests`] server adds to its 200 and 206 answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DigestHeader {
    /// `Repr-Digest: sha-256=:base64:` of the whole file (RFC 9530).
    Repr,
    /// `Content-Digest: sha-256=:base64:` of the answer's own bytes (RFC 9530): the whole file
    /// for a 200, the range for a 206.
    Content,
    /// `Digest: SHA-512=base64` of the whole file (RFC 3230).
    Legacy,
}

/// What a server does for a path.
///
/// Behaviours that count ("the first `times` requests") count every request that reaches that
/// path since the behaviour was set, HEAD requests and rejected ones included.
#[derive(Clone, Debug)]
pub enum Behaviour {
    /// A well-behaved file server: 200, or 206 for a single `Range` (`a-b`, `a-`, `-n`);
    /// `If-Range` with an ETag or a date (a mismatch gives the full 200); 416 with
    /// `Content-Range: bytes */len` for a range past the end; HEAD; `Accept-Ranges: bytes`.
    /// A multi-range request gets the whole file (servers may ignore Range).
    Full(Resource),
    /// Ignores `Range` and `If-Range`: always 200 with the whole file, no `Accept-Ranges`.
    NoRanges(Resource),
    /// Like [`Behaviour::Full`], but sends the payload `bytes_per_tick` bytes after each `tick`.
    SlowDrip {
        /// The file.
        resource: Resource,
        /// Bytes sent per tick.
        bytes_per_tick: usize,
        /// Pause before each piece.
        tick: Duration,
    },
    /// Like [`Behaviour::Full`] (ranges included), but announces the whole payload's
    /// `Content-Length` and closes the connection after `after` bytes of it, for the first
    /// `times` requests (`None`: always, which is a truncated body), then serves in full.
    DropMidBody {
        /// The file.
        resource: Resource,
        /// Payload bytes sent before the connection is closed.
        after: usize,
        /// How many requests are cut (`None`: every one).
        times: Option<usize>,
    },
    /// Like [`Behaviour::Full`], but sends `after` bytes of the payload and then nothing more
    /// while keeping the connection open (until the server is dropped).
    Stall {
        /// The file.
        resource: Resource,
        /// Payload bytes sent before going silent.
        after: usize,
    },
    /// Answers `code` (with `Retry-After` if given) for the first `times` requests (`None`:
    /// forever), then behaves like `then` (which counts its requests from zero).
    Status {
        /// The HTTP status, e.g. 404, 410, 429, 500, 503.
        code: u16,
        /// `Retry-After` in seconds (any u64, to try the client's arithmetic).
        retry_after: Option<u64>,
        /// How many requests get `code` (`None`: all).
        times: Option<usize>,
        /// What comes after.
        then: Box<Behaviour>,
    },
    /// 401 with `WWW-Authenticate` until a request carries `login` in `scheme`, then `inner`.
    Auth {
        /// The accepted login.
        login: Login,
        /// Basic or Digest.
        scheme: AuthScheme,
        /// What authenticated requests get.
        inner: Box<Behaviour>,
    },
    /// An HTTP proxy for origins on 127.0.0.1 (absolute-form requests, and CONNECT tunnels for
    /// https). With a login it answers 407 with `Proxy-Authenticate: Basic` until a request
    /// carries that login in `Proxy-Authorization`.
    Proxy {
        /// The login the proxy requires, if any.
        login: Option<Login>,
    },
    /// 200 with a chunked body: no `Content-Length`, no validators, `Range` ignored.
    NoContentLength(Bytes),
    /// A file that changes: request `n` is served (like [`Behaviour::Full`]) from version
    /// `n / every` (the last version once they run out), each version with its own validators
    /// (see [`Resource::version`]).
    ChangingValidators {
        /// The successive contents.
        versions: Vec<Bytes>,
        /// Requests served per version (at least 1).
        every: usize,
    },
    /// Answers `status` (301, 302, 303, 307, 308) with `Location: location`, relative or
    /// absolute. Chains and loops are routes that redirect to one another.
    Redirect {
        /// The redirect status.
        status: u16,
        /// Where to go.
        location: String,
    },
    /// Like [`Behaviour::Full`], except that a range request gets 206 for the range `shift`
    /// bytes later than the one asked for (clamped to the file), labelled truthfully in
    /// `Content-Range`: the client must notice that it is not what it asked for.
    WrongContentRange {
        /// The file.
        resource: Resource,
        /// How far the served range is moved.
        shift: u64,
    },
    /// 200 with `Content-Type: text/html` and a small error page instead of the file.
    HtmlErrorPage,
    /// Like [`Behaviour::Full`], except that a range request gets its bytes gzip-compressed,
    /// with `Content-Encoding: gzip` and the `Content-Range` of the plain bytes, as a server
    /// compressing on the fly without being asked does.
    GzipRanges(Resource),
    /// Like `inner`, with a digest `header` on every 200 and 206 answer: the digest of the
    /// bytes it describes, or with `wrong` the digest of other bytes.
    Digests {
        /// What answers.
        inner: Box<Behaviour>,
        /// Which header.
        header: DigestHeader,
        /// The whole file (what `Repr-Digest` and `Digest` describe).
        file: Bytes,
        /// Send the digest of other bytes.
        wrong: bool,
    },
    /// Like `inner`, with these extra headers (name, value) on every answer, e.g. a
    /// `Content-Disposition` naming the file.
    WithHeaders {
        /// What answers.
        inner: Box<Behaviour>,
        /// Added to every answer.
        headers: Vec<(String, String)>,
    },
    /// 405 Method Not Allowed to every `HEAD`; other methods get `inner`.
    HeadRefused(Box<Behaviour>),
    /// Per request, one of the misbehaviours above (a cut, a version flip, a redirect, a drip,
    /// 503 with `Retry-After`, gzip, a web page, no length, a wrong range, no ranges) or a good
    /// answer, picked from `seed` and the request's number (see `servers/chaos.rs`): the same
    /// seed gives the same answers in the same order.
    /// Answers `code` (closing the connection) to a request that arrives while more than
    /// `most` connections are open to the server, as servers that cap connections per client
    /// do; requests within the cap get `inner`.
    ConnectionCap {
        /// Most connections served at once.
        most: usize,
        /// The status the others get, e.g. 503 or 429.
        code: u16,
        /// What the connections within the cap get.
        inner: Box<Behaviour>,
    },
    Chaos {
        /// The file's successive contents; a flip moves to the next one, in a cycle.
        versions: Vec<Bytes>,
        /// Decides every pick.
        seed: u64,
    },
}

impl Behaviour {
    /// [`Behaviour::Full`] of `body` with the default validators.
    pub fn full(body: Bytes) -> Self {
        Behaviour::Full(Resource::new(body))
    }

    /// [`Behaviour::SlowDrip`] of `body` with the default validators: `bytes_per_tick` bytes
    /// after each `tick`.
    pub fn slow_drip(body: Bytes, bytes_per_tick: usize, tick: Duration) -> Self {
        Behaviour::SlowDrip {
            resource: Resource::new(body),
            bytes_per_tick,
            tick,
        }
    }

    /// `code` (with optional `Retry-After`) for the first `times` requests, then `then`.
    pub fn status_then(code: u16, retry_after: Option<u64>, times: usize, then: Behaviour) -> Self {
        Behaviour::Status {
            code,
            retry_after,
            times: Some(times),
            then: Box::new(then),
        }
    }

    /// `code` forever.
    pub fn status(code: u16) -> Self {
        Behaviour::Status {
            code,
            retry_after: None,
            times: None,
            then: Box::new(Behaviour::HtmlErrorPage),
        }
    }

    /// [`Behaviour::DropMidBody`] of `resource` that cuts the first `times` requests after
    /// `after` bytes of the payload, then serves in full.
    pub fn drop_mid_body(resource: Resource, after: usize, times: usize) -> Self {
        Behaviour::DropMidBody {
            resource,
            after,
            times: Some(times),
        }
    }

    /// A body whose `Content-Length` promises `short_by` bytes more than it sends, every time.
    pub fn truncated(body: Bytes, short_by: usize) -> Self {
        let after = body.len().saturating_sub(short_by);
        Behaviour::DropMidBody {
            resource: Resource::new(body),
            after,
            times: None,
        }
    }

    /// This behaviour with a digest `header` of `file` (the file it serves) on its 200 and 206
    /// answers, right or `wrong`.
    pub fn with_digest(self, header: DigestHeader, file: &Bytes, wrong: bool) -> Self {
        Behaviour::Digests {
            inner: Box::new(self),
            header,
            file: file.clone(),
            wrong,
        }
    }

    /// This behaviour with the header `name: value` on every answer.
    pub fn with_header(self, name: &str, value: &str) -> Self {
        Behaviour::WithHeaders {
            inner: Box::new(self),
            headers: vec![(name.to_owned(), value.to_owned())],
        }
    }

    /// This behaviour, except that `HEAD` is refused with 405.
    pub fn head_refused(self) -> Self {
        Behaviour::HeadRefused(Box::new(self))
    }

    /// `status` redirect to `location`.
    pub fn redirect(status: u16, location: &str) -> Self {
        Behaviour::Redirect {
            status,
            location: location.to_owned(),
        }
    }
}
