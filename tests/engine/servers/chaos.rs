//! The hostile server of the soak test: per request, one misbehaviour of the catalogue picked
//! from a seed and the request's number, so a run can be replayed from its seed.

use bytes::Bytes;

use super::behaviour::{Behaviour, Resource};

/// One way to answer a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Misbehaviour {
    /// The file as a good server sends it (whole, or the range asked for).
    Serve,
    /// The promised `Content-Length`, then the connection closes part way (a drop, a truncated
    /// body, a wrong length).
    CutShort,
    /// The file changed on the server: from this request on, the next version is served.
    FlipVersion,
    /// 302 to the same file at another address.
    Redirect,
    /// The file a few bytes at a time.
    SlowDrip,
    /// 503 with `Retry-After: 1`.
    Unavailable,
    /// A range answered gzip-compressed (`Content-Encoding: gzip`).
    Gzip,
    /// An HTML error page with 200.
    WebPage,
    /// 200 with a chunked body: no `Content-Length`, `Range` ignored.
    NoLength,
    /// A range answer for bytes other than those asked for.
    WrongRange,
    /// `Range` ignored: the whole file with 200.
    NoRanges,
}

/// How often each misbehaviour is picked, out of the sum. Those the engine must refuse for
/// good (a page, compressed bytes, no length, a wrong range, no range support) are rarer, so
/// that many jobs get through the recoverable ones to the end.
const WEIGHTS: &[(Misbehaviour, u64)] = &[
    (Misbehaviour::Serve, 40),
    (Misbehaviour::CutShort, 16),
    (Misbehaviour::FlipVersion, 8),
    (Misbehaviour::Redirect, 8),
    (Misbehaviour::SlowDrip, 8),
    (Misbehaviour::Unavailable, 10),
    (Misbehaviour::Gzip, 2),
    (Misbehaviour::WebPage, 2),
    (Misbehaviour::NoLength, 2),
    (Misbehaviour::WrongRange, 2),
    (Misbehaviour::NoRanges, 2),
];

/// splitmix64 of `seed` and `n`: a well-mixed number for every request of every seed.
pub fn mix(seed: u64, n: u64) -> u64 {
    let mut z = seed
        .wrapping_add(n.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The misbehaviour of request `n` (from 0) under `seed`.
pub fn pick(seed: u64, n: usize) -> Misbehaviour {
    let total: u64 = WEIGHTS.iter().map(|(_, weight)| weight).sum();
    let mut roll = mix(seed, n as u64) % total;
    for (misbehaviour, weight) in WEIGHTS {
        if roll < *weight {
            return *misbehaviour;
        }
        roll -= weight;
    }
    Misbehaviour::Serve
}

/// The version of the file request `n` sees: one more for every flip up to it, in a cycle.
fn version_at(seed: u64, n: usize, versions: usize) -> usize {
    let flips = (0..=n)
        .filter(|&i| pick(seed, i) == Misbehaviour::FlipVersion)
        .count();
    flips % versions.max(1)
}

/// What request `n` to `path` gets from a file whose successive contents are `versions`, as a
/// behaviour of the catalogue answering its first request.
pub fn behaviour_for(versions: &[Bytes], seed: u64, n: usize, path: &str) -> Behaviour {
    let index = version_at(seed, n, versions.len());
    let body = versions.get(index).cloned().unwrap_or_default();
    let resource = Resource::version(body, index);
    let detail = mix(seed ^ 0x5EED, n as u64);
    match pick(seed, n) {
        Misbehaviour::Serve | Misbehaviour::FlipVersion => Behaviour::Full(resource),
        Misbehaviour::CutShort => Behaviour::DropMidBody {
            after: (detail % (resource.body.len() as u64 + 1)) as usize,
            resource,
            times: None,
        },
        Misbehaviour::Redirect => Behaviour::redirect(302, &format!("{path}?hop={n}")),
        Misbehaviour::SlowDrip => Behaviour::SlowDrip {
            resource,
            bytes_per_tick: 4096 + (detail % 8192) as usize,
            tick: std::time::Duration::from_millis(5),
        },
        Misbehaviour::Unavailable => Behaviour::Status {
            code: 503,
            retry_after: Some(1),
            times: None,
            then: Box::new(Behaviour::HtmlErrorPage),
        },
        Misbehaviour::Gzip => Behaviour::GzipRanges(resource),
        Misbehaviour::WebPage => Behaviour::HtmlErrorPage,
        Misbehaviour::NoLength => Behaviour::NoContentLength(resource.body),
        Misbehaviour::WrongRange => Behaviour::WrongContentRange {
            resource,
            shift: 1 + detail % 1000,
        },
        Misbehaviour::NoRanges => Behaviour::NoRanges(resource),
    }
}
