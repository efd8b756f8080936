//! A client of the local API: calls (answered in any order, matched by id) and the event
//! stream, over one connection.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use ferry_engine::{ErrorCode, JobInfo};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::io::BufReader;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::UnixStream;
use tokio::sync::{broadcast, oneshot};
use tokio_util::sync::CancellationToken;

use crate::api_error::ApiError;
use crate::frames::{read_frame, write_frame, Frame};
use crate::protocol::{Call, OwnerEvent, Reply, Request, PROTOCOL_VERSION};

/// Events a client keeps for a slow reader before it reports a lag.
const EVENT_BUFFER: usize = 4096;

type Waiting = Arc<Mutex<HashMap<u64, oneshot::Sender<Result<Value, ApiError>>>>>;

/// One connection to an owner. Cheap to clone; every clone shares the connection.
#[derive(Clone)]
pub struct Client {
    write: Arc<tokio::sync::Mutex<OwnedWriteHalf>>,
    waiting: Waiting,
    next_id: Arc<AtomicU64>,
    events: broadcast::Sender<OwnerEvent>,
    closed: CancellationToken,
}

impl Client {
    /// Connects to the owner listening on `socket`.
    pub async fn connect(socket: &Path) -> std::io::Result<Client> {
        let stream = UnixStream::connect(socket).await?;
        let (read, write) = stream.into_split();
        let waiting: Waiting = Arc::default();
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        let closed = CancellationToken::new();
        tokio::spawn(read_loop(
            read,
            Arc::clone(&waiting),
            events.clone(),
            closed.clone(),
        ));
        Ok(Client {
            write: Arc::new(tokio::sync::Mutex::new(write)),
            waiting,
            next_id: Arc::new(AtomicU64::new(1)),
            events,
            closed,
        })
    }

    /// Sends `call` and waits for its answer.
    pub async fn call_value(&self, call: Call) -> Result<Value, ApiError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (answer, answered) = oneshot::channel();
        lock(&self.waiting).insert(id, answer);
        let request = Request {
            v: PROTOCOL_VERSION,
            id,
            call,
        };
        let sent = {
            let mut write = self.write.lock().await;
            write_frame(&mut *write, &request).await
        };
        if let Err(error) = sent {
            lock(&self.waiting).remove(&id);
            return Err(broken(&error.to_string()));
        }
        // The read loop hands over every answer it read before it marks the connection closed,
        // so an answer that came is taken before the closing is noticed.
        tokio::select! {
            biased;
            answer = answered => answer.unwrap_or_else(|_| Err(broken("it closed before answering"))),
            () = self.closed.cancelled() => {
                lock(&self.waiting).remove(&id);
                Err(broken("it closed before answering"))
            }
        }
    }

    /// Sends `call` and reads its answer as `T`.
    pub async fn call<T: DeserializeOwned>(&self, call: Call) -> Result<T, ApiError> {
        let value = self.call_value(call).await?;
        serde_json::from_value(value).map_err(|error| {
            ApiError::internal(format!(
                "the owner's answer is not what was expected: {error}"
            ))
        })
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

fn lock(
    waiting: &Waiting,
) -> std::sync::MutexGuard<'_, HashMap<u64, oneshot::Sender<Result<Value, ApiError>>>> {
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
) {
    let mut reader = BufReader::with_capacity(64 * 1024, read);
    loop {
        let line = match read_frame(&mut reader).await {
            Ok(Some(Frame::Line(line))) => line,
            Ok(Some(Frame::TooLong)) => {
                tracing::warn!("the owner sent a frame longer than the limit; skipped");
                continue;
            }
            Ok(None) | Err(_) => break,
        };
        match serde_json::from_slice::<Reply>(&line) {
            Ok(Reply::Ok { id, ok, .. }) => settle(&waiting, Some(id), Ok(ok)),
            Ok(Reply::Err { id, error, .. }) => settle(&waiting, id, Err(error)),
            Ok(Reply::Event { event, .. }) => {
                let _ = events.send(event);
            }
            Err(error) => tracing::warn!("cannot read a frame from the owner: {error}"),
        }
    }
    // Everyone still waiting learns that no answer will come.
    closed.cancel();
    lock(&waiting).clear();
}

fn settle(waiting: &Waiting, id: Option<u64>, result: Result<Value, ApiError>) {
    let Some(id) = id else {
        tracing::warn!("the owner refused a request: {:?}", result.err());
        return;
    };
    if let Some(answer) = lock(waiting).remove(&id) {
        let _ = answer.send(result);
    }
}
