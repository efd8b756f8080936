//! Cancel-Session for cancelled uploads (bits-spec.md §3 X3–X6, §10.11). Cancelling a job with
//! an open upload session reports CANCELLED at once and stores a hidden cleanup record with the
//! job's final state. This task sends the record's Cancel-Session right away and, while the
//! server cannot be reached or answers 5xx, again after the job's retry delay, for up to 24 hours
//! (or the job's no-progress timeout, if shorter). Records survive restarts.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::packet::{Channel, Packet, SessionEnd};
use super::route::Route;
use crate::core::Inner;
use crate::job::{now_millis, JobId, ProxySettings, UnixMillis};
use crate::record::JobRecord;

/// Longest time a cancelled upload's session is chased (BITS: 24 hours).
pub const CLEANUP_HORIZON: Duration = Duration::from_secs(24 * 60 * 60);

/// An upload session that a cancelled job left on its server, to be cancelled there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionCleanup {
    /// The cancelled job.
    pub job: JobId,
    /// Where the session's packets go (the job's URL, on the host the server named if any).
    pub url: String,
    /// The session to cancel.
    pub session_id: String,
    /// The job's proxy.
    pub proxy: ProxySettings,
    /// The job's credentials and custom headers, still sealed.
    pub sealed_secrets: Option<String>,
    /// Seconds between attempts (the job's minimum retry delay).
    pub retry_delay_secs: u32,
    /// Wall-clock time after which the session is given up (after one last attempt).
    pub give_up_at: UnixMillis,
}

impl SessionCleanup {
    /// The cleanup a job being cancelled needs: one for its upload session, if one is open.
    pub fn for_job(record: &JobRecord) -> Option<SessionCleanup> {
        if !record.job_type.is_upload() {
            return None;
        }
        let file = record.files.first()?;
        let session_id = file.upload_session.clone()?;
        let url = url::Url::parse(&file.remote_url).ok()?;
        let url = Route::new(url, file.upload_host.clone()).url();
        let settings = &record.settings;
        let horizon = CLEANUP_HORIZON
            .min(Duration::from_secs(u64::from(
                settings.no_progress_timeout_secs,
            )))
            .as_millis() as UnixMillis;
        Some(SessionCleanup {
            job: record.id,
            url: url.into(),
            session_id,
            proxy: settings.proxy.clone(),
            sealed_secrets: record.sealed_secrets.clone(),
            retry_delay_secs: settings.minimum_retry_delay_secs,
            give_up_at: now_millis().saturating_add(horizon),
        })
    }
}

/// The cleanup task: works through the stored records whenever one is added, and when a retry
/// is due.
pub async fn run(inner: Arc<Inner>) {
    let mut retry_at: HashMap<JobId, Instant> = HashMap::new();
    loop {
        let pending = match inner.store().cleanups() {
            Ok(pending) => pending,
            Err(error) => {
                tracing::warn!("cannot read the upload cleanups: {error}");
                Vec::new()
            }
        };
        retry_at.retain(|job, _| pending.iter().any(|c| c.job == *job));
        for cleanup in pending {
            if retry_at
                .get(&cleanup.job)
                .is_some_and(|at| *at > Instant::now())
            {
                continue;
            }
            let done = tokio::select! {
                _ = inner.shutdown.cancelled() => return,
                done = attempt(&inner, &cleanup) => done,
            };
            if done || now_millis() >= cleanup.give_up_at {
                if !done {
                    tracing::warn!(job = %cleanup.job, session = %cleanup.session_id,
                        "giving up cancelling an upload session; the server drops it when it expires");
                }
                retry_at.remove(&cleanup.job);
                if let Err(error) = inner.store().delete_cleanup(cleanup.job) {
                    tracing::warn!("cannot delete an upload cleanup: {error}");
                }
            } else {
                let delay = Duration::from_secs(u64::from(cleanup.retry_delay_secs));
                retry_at.insert(cleanup.job, Instant::now() + delay);
            }
        }
        let next = retry_at.values().min().copied();
        let sleep = async {
            match next {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = inner.shutdown.cancelled() => return,
            _ = inner.cleanups.notified() => {}
            _ = sleep => {}
        }
    }
}

/// Sends one Cancel-Session. True when the record is done with: the session is gone, the
/// server refused for good, or the record cannot work at all.
async fn attempt(inner: &Inner, cleanup: &SessionCleanup) -> bool {
    let secrets = match &cleanup.sealed_secrets {
        Some(sealed) => inner.secrets.open_sealed(sealed).unwrap_or_default(),
        None => Default::default(),
    };
    let prepared = url::Url::parse(&cleanup.url).ok().zip(
        crate::transfer::custom_headers(&secrets.headers)
            .ok()
            .zip(inner.http.client(&cleanup.proxy, &secrets.credentials).ok()),
    );
    let Some((url, (headers, client))) = prepared else {
        tracing::warn!(job = %cleanup.job, "cannot set up the Cancel-Session of a cancelled upload");
        return true;
    };
    let mut channel = Channel::new(&client, headers, &secrets.credentials);
    let packet = Packet::CancelSession {
        session: cleanup.session_id.clone(),
    };
    match channel.send(&url, packet).await {
        Ok(ack) => match ack.session_end() {
            SessionEnd::Ended => {
                tracing::info!(job = %cleanup.job, "upload session cancelled on the server");
                true
            }
            SessionEnd::Refused => {
                tracing::warn!(job = %cleanup.job, "{}", ack.failure("Cancel-Session").description);
                true
            }
            SessionEnd::Retry => false,
        },
        Err(failure) => {
            tracing::info!(job = %cleanup.job, "Cancel-Session failed, will retry: {}", failure.description);
            false
        }
    }
}
