//! Where an upload's packets go (bits-spec.md §8.3, U7). A Create-Session Ack may name another
//! host in `BITS-Host-Id`: every later packet of the session goes there. If that host stays
//! unreachable for `BITS-Host-Id-Fallback-Timeout` seconds (counted from the first failure, reset
//! by any answer; no header: never), the upload returns to the original URL and starts over, and
//! does not follow the server back to the host it just gave up.

use url::Url;

use crate::job::UnixMillis;
use crate::record::UploadHost;

/// The original upload URL and the host the session moved to, if any.
pub struct Route {
    original: Url,
    host: Option<UploadHost>,
    /// The host this route fell back from.
    abandoned: Option<String>,
}

impl Route {
    /// A route for the job's URL and the host its session was moved to.
    pub fn new(original: Url, host: Option<UploadHost>) -> Self {
        let host = host.filter(|h| moved(&original, &h.host).is_some());
        Route {
            original,
            host,
            abandoned: None,
        }
    }

    /// The URL of the next packet.
    pub fn url(&self) -> Url {
        self.host
            .as_ref()
            .and_then(|h| moved(&self.original, &h.host))
            .unwrap_or_else(|| self.original.clone())
    }

    /// The host in force, as persisted.
    pub fn host(&self) -> Option<UploadHost> {
        self.host.clone()
    }

    /// True while packets go to a host the server named.
    pub fn is_moved(&self) -> bool {
        self.host.is_some()
    }

    /// Moves the session to the host a Create-Session Ack named (`None`: stay). A host that
    /// cannot stand in a URL, or that this route fell back from, is ignored.
    pub fn move_to(&mut self, host: Option<UploadHost>) {
        self.host = host.filter(|h| {
            let usable = moved(&self.original, &h.host).is_some();
            if !usable {
                tracing::warn!(host = %h.host, "ignoring a BITS-Host-Id that is not a host name");
            }
            usable && self.abandoned.as_deref() != Some(h.host.as_str())
        });
    }

    /// Returns to the original URL, leaving the host in force behind for good.
    pub fn reset(&mut self) {
        if let Some(host) = self.host.take() {
            self.abandoned = Some(host.host);
        }
    }

    /// The host answered. True when that ends a run of failures (the change is to be saved).
    pub fn answered(&mut self) -> bool {
        self.host
            .as_mut()
            .is_some_and(|h| h.failing_since.take().is_some())
    }

    /// The host could not be reached at `now`. True when it has been failing for at least its
    /// fall-back timeout: the upload must start over at the original URL.
    pub fn unreachable(&mut self, now: UnixMillis) -> bool {
        let Some(host) = self.host.as_mut() else {
            return false;
        };
        let since = *host.failing_since.get_or_insert(now);
        host.fallback_timeout_secs.is_some_and(|timeout| {
            let waited = now.saturating_sub(since).max(0) as u64;
            waited >= timeout.saturating_mul(1000)
        })
    }
}

/// `url` with its host (and port, when `host` names one) replaced by `host`.
fn moved(url: &Url, host: &str) -> Option<Url> {
    let probe = Url::parse(&format!("{}://{}/", url.scheme(), host.trim())).ok()?;
    let valid = probe.path() == "/" && probe.username().is_empty() && probe.query().is_none();
    if !valid {
        return None;
    }
    let mut out = url.clone();
    out.set_host(probe.host_str()).ok()?;
    out.set_port(probe.port().or(url.port())).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(name: &str, timeout: Option<u64>) -> UploadHost {
        UploadHost {
            host: name.into(),
            fallback_timeout_secs: timeout,
            failing_since: None,
        }
    }

    #[test]
    fn a_host_id_replaces_host_and_port_and_keeps_the_path() {
        let original = Url::parse("http://upload.example:8080/in/file.bin?x=1").unwrap();
        let mut route = Route::new(original.clone(), None);
        assert_eq!(route.url(), original);
        route.move_to(Some(host("127.0.0.1:4567", None)));
        assert_eq!(
            route.url().as_str(),
            "http://127.0.0.1:4567/in/file.bin?x=1"
        );
        route.move_to(Some(host("farm-node-2", None)));
        assert_eq!(
            route.url().as_str(),
            "http://farm-node-2:8080/in/file.bin?x=1",
            "a host without a port keeps the URL's port"
        );
        route.move_to(Some(host("bad host/with path", None)));
        assert!(!route.is_moved(), "an unusable host id is ignored");
    }

    #[test]
    fn after_a_fall_back_the_abandoned_host_is_not_taken_again() {
        let original = Url::parse("http://a.example/up").unwrap();
        let mut route = Route::new(original.clone(), Some(host("b.example", Some(0))));
        assert!(route.unreachable(5));
        route.reset();
        assert_eq!(route.url(), original);
        route.move_to(Some(host("b.example", Some(0))));
        assert!(
            !route.is_moved(),
            "the server named the host that just failed"
        );
        route.move_to(Some(host("c.example", Some(0))));
        assert!(route.is_moved(), "another host is fine");
    }

    #[test]
    fn falls_back_only_after_the_timeout_counted_from_the_first_failure() {
        let original = Url::parse("http://a.example/up").unwrap();
        let mut route = Route::new(original, Some(host("b.example", Some(10))));
        assert!(!route.unreachable(1_000));
        assert!(!route.unreachable(9_999));
        assert!(route.answered(), "an answer ends the run of failures");
        assert!(!route.unreachable(20_000), "the timer restarted");
        assert!(route.unreachable(30_000));
    }

    #[test]
    fn without_a_timeout_it_never_falls_back() {
        let original = Url::parse("http://a.example/up").unwrap();
        let mut route = Route::new(original, Some(host("b.example", None)));
        assert!(!route.unreachable(0));
        assert!(!route.unreachable(i64::MAX / 2));
    }
}
