//! A client of the local API: calls (answered in any order, matched by id) and the event
//! stream, over one connection.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use ferry_engine::{ErrorCode, JobInfo};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Deserialize;
use serde_json::Value;
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::UnixStream;
use tokio::sync::{broadcast, oneshot};
use tokio_util::sync::CancellationToken;

use crate::api_error::ApiError;
use crate::frames::{read_frame, Frame};
use crate::protocol::{
    Call, OwnerEvent, Request, MAX_ANSWER_BYTES, MAX_FRAME_BYTES, PROTOCOL_VERSION,
};

/// Events a client keeps for a slow reader before it reports a lag.
const EVENT_BUFFER: usize = 4096;

/// Where the answers go: the whole frame of a successful answer, read as its caller's type only
/// there (never first as a `serde_json::Value`, which for a job of 10,000 files took several
/// times the frame's size), or the error.
type Waiting = Arc<Mutex<HashMap<u64, AnswerSender>>>;

/// Where one call's answer goes.
type AnswerSender = oneshot::Sender<Result<Vec<u8>, ApiError>>;

/// Why the owner turned the connection away (an error without an id, then the end of the
/// connection: another user, too many clients), once it has.
type Refusal = Arc<Mutex<Option<ApiError>>>;

/// How long a call whose request could not be sent waits to read why the owner closed.
const REFUSAL_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// One connection to an owner. Cheap to clone; every clone shares the connection.
#[derive(Clone)]
pub struct Client {
    write: Arc<tokio::sync::Mutex<OwnedWriteHalf>>,
    waiting: Waiting,
    next_id: Arc<AtomicU64>,
    events: broadcast::Sender<OwnerEvent>,
    closed: CancellationToken,
    refusal: Refusal,
}

impl Client {
    /// Connects to the owner listening on `socket`.
    pub async fn connect(socket: &Path) -> std::io::Result<Client> {
        let stream = UnixStream::connect(socket).await?;
        let (read, write) = stream.into_split();
        let waiting: Waiting = Arc::default();
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        let closed = CancellationToken::new();
        let refusal: Refusal = Arc::default();
        tokio::spawn(read_loop(
            read,
            Arc::clone(&waiting),
            events.clone(),
            closed.clone(),
            Arc::clone(&refusal),
        ));
        Ok(Client {
            write: Arc::new(tokio::sync::Mutex::new(write)),
            waiting,
            next_id: Arc::new(AtomicU64::new(1)),
            events,
            closed,
            refusal,
        })
    }

    /// Sends `call` and waits for its answer, as JSON.
    pub async fn call_value(&self, call: Call) -> Result<Value, ApiError> {
        self.call(call).await
    }

    /// Sends `call` and reads its answer as `T`.
    pub async fn call<T: DeserializeOwned>(&self, call: Call) -> Result<T, ApiError> {
        let frame = self.answer_frame(call).await?;
        serde_json::from_slice::<Answer<T>>(&frame)
            .map(|answer| answer.ok)
            .map_err(|error| {
                ApiError::internal(format!(
                    "the owner's answer is not what was expected: {error}"
                ))
            })
    }

    /// Sends `call` and waits for the frame of its successful answer. A request longer than the
    /// owner reads ([`MAX_FRAME_BYTES`]) is refused here with E_INVALIDARG, and not sent.
    async fn answer_frame(&self, call: Call) -> Result<Vec<u8>, ApiError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let request = Request {
            v: PROTOCOL_VERSION,
            id,
            call,
        };
        let mut line = serde_json::to_vec(&request).map_err(ApiError::internal)?;
        if line.len() > MAX_FRAME_BYTES {
            return Err(ApiError::new(
                ErrorCode::E_INVALIDARG,
                format!(
                    "the request is {} bytes long; the owner reads requests of at most {MAX_FRAME_BYTES} bytes",
                    line.len()
                ),
            ));
        }
        line.push(b'\n');
        let (answer, answered) = oneshot::channel();
        lock(&self.waiting).insert(id, answer);
        let sent = {
            let mut write = self.write.lock().await;
            match write.write_all(&line).await {
                Ok(()) => write.flush().await,
                Err(error) => Err(error),
            }
        };
        if let Err(error) = sent {
            lock(&self.waiting).remove(&id);
            // An owner that turned the connection away said why before closing it.
            let _ = tokio::time::timeout(REFUSAL_WAIT, self.closed.cancelled()).await;
            return Err(self.refused().unwrap_or_else(|| broken(&error.to_string())));
        }
        // The read loop hands over every answer it read before it marks the connection closed,
        // so an answer that came is taken before the closing is noticed.
        tokio::select! {
            biased;
            answer = answered => answer.unwrap_or_else(|_| Err(broken("it closed before answering"))),
            () = self.closed.cancelled() => {
                lock(&self.waiting).remove(&id);
                Err(self.refused().unwrap_or_else(|| broken("it closed before answering")))
            }
        }
    }

    /// Why the owner turned this connection away, if it did.
    fn refused(&self) -> Option<ApiError> {
        self.refusal
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Every job now, and from then on every event. Events that happen while the answer is on
    /// its way wait in the receiver, so applying them after the jobs loses nothing. A receiver
    /// that lags should ask for [`Call::List`] again.
    pub async fn subscribe(
        &self,
    ) -> Result<(Vec<JobInfo>, broadcast::Receiver<OwnerEvent>), ApiError> {
        let events = self.events.subscribe();
        let jobs = self.call(Call::Subscribe).await?;
        Ok((jobs, events))
    }

    /// True once the connection is gone (the owner stopped or was killed).
    pub fn is_closed(&self) -> bool {
        self.closed.is_cancelled()
    }

    /// Waits until the connection is gone.
    pub async fn closed(&self) {
        self.closed.cancelled().await;
    }
}

/// What the read loop takes from a frame (a [`crate::protocol::Reply`]) to route it: the
/// answer itself is skipped here and read by its caller.
#[derive(Deserialize)]
struct Head {
    id: Option<u64>,
    #[serde(default)]
    ok: Present,
    error: Option<ApiError>,
    event: Option<OwnerEvent>,
}

/// Whether a field is in a frame, whatever its value (`null`, the answer of many calls,
/// included).
#[derive(Default)]
struct Present(bool);

impl<'de> Deserialize<'de> for Present {
    fn deserialize<D: serde::Deserializer<'de>>(field: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(field).map(|_| Present(true))
    }
}

/// The answer of a successful [`crate::protocol::Reply`], read as its caller's type.
#[derive(Deserialize)]
struct Answer<T> {
    ok: T,
}

fn lock(waiting: &Waiting) -> std::sync::MutexGuard<'_, HashMap<u64, AnswerSender>> {
    waiting.lock().unwrap_or_else(PoisonError::into_inner)
}

fn broken(why: &str) -> ApiError {
    ApiError::new(
        ErrorCode::E_FAIL,
        format!("the connection to the Ferry owner broke: {why}"),
    )
}

async fn read_loop(
    read: OwnedReadHalf,
    waiting: Waiting,
    events: broadcast::Sender<OwnerEvent>,
    closed: CancellationToken,
    refusal: Refusal,
) {
    let mut reader = BufReader::with_capacity(64 * 1024, read);
    // An error without an id that turns out to be the last frame: the owner's refusal.
    let mut last_unanswerable: Option<ApiError> = None;
    loop {
        let line = match read_frame(&mut reader, MAX_ANSWER_BYTES).await {
            Ok(Some(Frame::Line(line))) => line,
            Ok(Some(Frame::TooLong)) => {
                tracing::warn!("the owner sent a frame longer than the limit; skipped");
                continue;
            }
            Ok(None) | Err(_) => break,
        };
        last_unanswerable = None;
        match serde_json::from_slice::<Head>(&line) {
            Ok(Head {
                id: Some(id),
                ok: Present(true),
                ..
            }) => settle(&waiting, Some(id), Ok(line)),
            Ok(Head {
                id: None,
                error: Some(error),
                ..
            }) => {
                tracing::debug!("the owner sent an error for no request: {error}");
                last_unanswerable = Some(error);
            }
            Ok(Head {
                id,
                error: Some(error),
                ..
            }) => settle(&waiting, id, Err(error)),
            Ok(Head {
                event: Some(event), ..
            }) => {
                let _ = events.send(event);
            }
            Ok(_) => tracing::warn!("cannot read a frame from the owner: it is no reply"),
            Err(error) => tracing::warn!("cannot read a frame from the owner: {error}"),
        }
    }
    // Everyone still waiting learns that no answer will come, and why when the owner said.
    if let Some(refused) = last_unanswerable {
        for (_, answer) in lock(&waiting).drain() {
            let _ = answer.send(Err(refused.clone()));
        }
        *refusal.lock().unwrap_or_else(PoisonError::into_inner) = Some(refused);
    }
    closed.cancel();
    lock(&waiting).clear();
}

fn settle(waiting: &Waiting, id: Option<u64>, result: Result<Vec<u8>, ApiError>) {
    let Some(id) = id else {
        tracing::warn!("the owner refused a request: {:?}", result.err());
        return;
    };
    if let Some(answer) = lock(waiting).remove(&id) {
        let _ = answer.send(result);
    }
}
