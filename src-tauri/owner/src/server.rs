//! The owner's side of the local API: accepts connections on the Unix socket, refuses other
//! users, reads requests one by one and answers each, and streams events to subscribers.
//!
//! No client can stall the owner or another client: each connection has its own tasks, its
//! answers wait in a bounded outbox, a client that stops reading gets its events replaced by
//! one snapshot once it reads again (or is dropped after [`WRITE_TIMEOUT`]), and a broken or
//! oversized request gets an error answer while the connection stays usable.

use std::sync::Arc;
use std::time::Duration;

use ferry_engine::{EngineEvent, ErrorCode};
use tokio::io::BufReader;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{broadcast, mpsc, watch, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::api_error::ApiError;
use crate::dispatch::{dispatch, dispatch_creations, Queue};
use crate::endpoint::peer_allowed;
use crate::frames::{read_frame, write_answer, write_frame, Frame};
use crate::protocol::{
    parse_request, Call, NewJobRequest, OwnerEvent, OwnerNotice, QuitAnswer, Reply, Request,
    Snapshot, MAX_FRAME_BYTES,
};

/// Most connections served at once; more are answered with an error and closed. Fewer where
/// the limit on open files is low (see [`connection_limit`]).
pub const MAX_CONNECTIONS: usize = 1024;

/// Open files kept for the owner's own use beside its clients' connections: the store, the
/// log, transfers' connections and temporaries, and the one a refusal needs.
const FILES_FOR_THE_OWNER: u64 = 256;

/// Frames waiting for a slow client before its events are dropped (and replaced by a snapshot).
const OUTBOX_FRAMES: usize = 256;

/// Most `create_with_files` requests of one connection made as one step and saved in one
/// commit (see [`read_creations`]).
const CREATIONS_PER_COMMIT: usize = 64;

/// How long a stopping owner waits for its last answers to reach their clients.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(2);

/// How long one frame may take to reach a client before the connection is dropped.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// What a [`Call::Quit`] does besides telling every subscriber.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnQuit {
    /// The owner stops too: a client started it on demand, so Quit ends all of Ferry.
    Stop,
    /// The owner keeps running: it was started by hand or by a service manager.
    KeepRunning,
}

/// Serves `listener` until `stop` is cancelled (a [`Call::Shutdown`] cancels it too, and so
/// does a [`Call::Quit`] when `on_quit` says so).
pub async fn serve(listener: UnixListener, queue: Queue, stop: CancellationToken, on_quit: OnQuit) {
    // Counts Quits; each connection tells its subscriber when it changes.
    let quits = Arc::new(watch::Sender::new(0u64));
    let most = connection_limit();
    let slots = Arc::new(Semaphore::new(most));
    let connections = TaskTracker::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = stop.cancelled() => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(error) => {
                tracing::warn!("cannot accept a connection: {error}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            tokio::spawn(refuse(
                stream,
                ApiError::new(
                    ErrorCode::E_FAIL,
                    format!("the owner already serves {most} connections; try again"),
                ),
            ));
            continue;
        };
        let queue = queue.clone();
        let stop = stop.clone();
        let quit = Quit {
            quits: Arc::clone(&quits),
            on_quit,
        };
        connections.spawn(async move {
            connection(stream, queue, stop, quit).await;
            drop(slot);
        });
    }
    // Every connection ends on `stop`; their last answers (the Shutdown's "ok") still go out.
    connections.close();
    if tokio::time::timeout(DRAIN_TIMEOUT, connections.wait())
        .await
        .is_err()
    {
        tracing::debug!("some clients did not take their last answers");
    }
}

/// How many connections this process can serve at once: [`MAX_CONNECTIONS`], or fewer when
/// the limit on open files would run out first. A client beyond it is then answered with an
/// error, where running out of files would leave it waiting unanswered. The soft limit is
/// raised as far as the hard one allows (up to what the owner needs) first.
pub fn connection_limit() -> usize {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let wanted = MAX_CONNECTIONS as u64 + FILES_FOR_THE_OWNER;
    let limit = getrlimit(Resource::Nofile);
    let mut files = limit.current.unwrap_or(u64::MAX);
    if files < wanted {
        let raised = wanted.min(limit.maximum.unwrap_or(u64::MAX));
        if raised > files {
            let new = Rlimit {
                current: Some(raised),
                maximum: limit.maximum,
            };
            match setrlimit(Resource::Nofile, new) {
                Ok(()) => files = raised,
                Err(error) => tracing::debug!("cannot raise the limit on open files: {error}"),
            }
        }
    }
    let most = usize::try_from(files.saturating_sub(FILES_FOR_THE_OWNER)).unwrap_or(usize::MAX);
    if most < MAX_CONNECTIONS {
        tracing::info!(
            open_files = files,
            "the limit on open files allows {most} clients at once"
        );
    }
    most.clamp(1, MAX_CONNECTIONS)
}

/// Answers one error and closes.
async fn refuse(stream: UnixStream, error: ApiError) {
    let (_, mut write) = stream.into_split();
    let _ = tokio::time::timeout(
        WRITE_TIMEOUT,
        write_frame(&mut write, &Reply::err(None, error)),
    )
    .await;
}

/// A connection's part in Quit: the counter of Quits and what a Quit does.
struct Quit {
    quits: Arc<watch::Sender<u64>>,
    on_quit: OnQuit,
}

async fn connection(stream: UnixStream, queue: Queue, stop: CancellationToken, quit: Quit) {
    let uid = match stream.peer_cred() {
        Ok(credentials) => credentials.uid(),
        Err(error) => {
            tracing::warn!("cannot tell who connected; closing: {error}");
            return;
        }
    };
    if !peer_allowed(uid) {
        tracing::warn!(uid, "refused a connection from another user");
        return refuse(
            stream,
            ApiError::new(
                ErrorCode::E_ACCESSDENIED,
                "this Ferry owner answers only the user it runs as",
            ),
        )
        .await;
    }
    let (read, write) = stream.into_split();
    let (outbox, pending) = mpsc::channel(OUTBOX_FRAMES);
    let writer = tokio::spawn(write_loop(write, pending));
    let mut reader = BufReader::with_capacity(64 * 1024, read);
    let mut subscription: Option<tokio::task::JoinHandle<()>> = None;
    // A request read after a batch of creations (see `read_creations`): served next.
    let mut held: Option<Frame> = None;
    'requests: loop {
        let frame = match held.take() {
            Some(frame) => Ok(Some(frame)),
            None => tokio::select! {
                frame = read_frame(&mut reader, MAX_FRAME_BYTES) => frame,
                () = stop.cancelled() => break,
            },
        };
        let reply = match frame {
            Ok(Some(Frame::Line(line))) => match parse_request(&line) {
                Ok(request) => {
                    let id = request.id;
                    match request.call {
                        Call::Subscribe => {
                            let events = queue.engine.subscribe();
                            let jobs = queue.engine.list();
                            if let Some(old) = subscription.replace(tokio::spawn(forward(
                                queue.engine.clone(),
                                events,
                                outbox.clone(),
                                quit.quits.subscribe(),
                                queue.settings.changes(),
                                quit.on_quit,
                            ))) {
                                old.abort();
                            }
                            answer(id, serde_json::to_string(&jobs).map_err(ApiError::internal))
                        }
                        Call::Shutdown => {
                            tracing::info!("a client asked the owner to stop");
                            stop.cancel();
                            Outgoing::Reply(Reply::ok(id, serde_json::Value::Null))
                        }
                        Call::Quit => {
                            let stopping = quit.on_quit == OnQuit::Stop;
                            tracing::info!(stopping, "a client chose Quit");
                            quit.quits.send_modify(|count| *count += 1);
                            if stopping {
                                stop.cancel();
                            }
                            answer(
                                id,
                                serde_json::to_string(&QuitAnswer { stopping })
                                    .map_err(ApiError::internal),
                            )
                        }
                        Call::CreateWithFiles(request) => {
                            let (batch, next) = read_creations(&mut reader, id, request).await;
                            held = next;
                            let ids: Vec<u64> = batch.iter().map(|(id, _)| *id).collect();
                            let queue = queue.clone();
                            let made = tokio::task::spawn_blocking(move || {
                                dispatch_creations(&queue, batch)
                            })
                            .await;
                            let answers = match made {
                                Ok(answers) => answers,
                                Err(error) => ids
                                    .into_iter()
                                    .map(|id| {
                                        let error = ApiError::internal(format!(
                                            "the call stopped unexpectedly: {error}"
                                        ));
                                        (id, Err(error))
                                    })
                                    .collect(),
                            };
                            for (id, made) in answers {
                                if outbox.send(answer(id, made)).await.is_err() {
                                    break 'requests;
                                }
                            }
                            continue;
                        }
                        Call::Probe(request) => {
                            // Probes wait for servers (seconds): answered when ready, so the
                            // connection's other calls do not wait behind them.
                            let (engine, outbox) = (queue.engine.clone(), outbox.clone());
                            tokio::spawn(async move {
                                let answers = engine.probe(request).await;
                                let reply = answer(
                                    id,
                                    serde_json::to_string(&answers).map_err(ApiError::internal),
                                );
                                // A client gone meanwhile no longer needs the answer.
                                let _ = outbox.send(reply).await;
                            });
                            continue;
                        }
                        call => {
                            let queue = queue.clone();
                            let done = tokio::task::spawn_blocking(move || dispatch(&queue, call))
                                .await
                                .unwrap_or_else(|error| {
                                    Err(ApiError::internal(format!(
                                        "the call stopped unexpectedly: {error}"
                                    )))
                                });
                            answer(id, done)
                        }
                    }
                }
                Err((id, error)) => Outgoing::Reply(Reply::err(id, error)),
            },
            Ok(Some(Frame::TooLong)) => Outgoing::Reply(Reply::err(
                None,
                ApiError::new(
                    ErrorCode::E_INVALIDARG,
                    format!("the request is longer than {MAX_FRAME_BYTES} bytes and was skipped"),
                ),
            )),
            Ok(None) => break,
            Err(error) => {
                tracing::debug!("a client's connection broke: {error}");
                break;
            }
        };
        if outbox.send(reply).await.is_err() {
            break;
        }
    }
    if let Some(mut subscription) = subscription {
        // After a Quit that stops the owner, the subscriber's last event is `quitting`: its
        // forwarder ends once it has sent it.
        let quitting = quit.on_quit == OnQuit::Stop && *quit.quits.borrow() > 0;
        if !quitting
            || tokio::time::timeout(DRAIN_TIMEOUT, &mut subscription)
                .await
                .is_err()
        {
            subscription.abort();
        }
    }
    drop(outbox);
    let _ = writer.await;
}

/// The creation `first` (request `id`) and the creations that follow it in what the client
/// has already sent, up to [`CREATIONS_PER_COMMIT`]: a client that sends many at once gets
/// them made in order as one step and saved in one commit, each answered once it is saved.
/// Only requests wholly in `reader`'s buffer are taken, so nothing waits for the client; the
/// first request that is not a creation is handed back, to be served next.
async fn read_creations(
    reader: &mut BufReader<OwnedReadHalf>,
    id: u64,
    first: NewJobRequest,
) -> (Vec<(u64, NewJobRequest)>, Option<Frame>) {
    let mut batch = vec![(id, first)];
    while batch.len() < CREATIONS_PER_COMMIT && reader.buffer().contains(&b'\n') {
        let Ok(Some(frame)) = read_frame(reader, MAX_FRAME_BYTES).await else {
            break;
        };
        match &frame {
            Frame::Line(line) => match parse_request(line) {
                Ok(Request {
                    id,
                    call: Call::CreateWithFiles(request),
                    ..
                }) => batch.push((id, request)),
                _ => return (batch, Some(frame)),
            },
            Frame::TooLong => return (batch, Some(frame)),
        }
    }
    (batch, None)
}

/// A frame on its way to a client: a reply or an event, or an answer already in JSON (so that
/// a long answer, such as the listing of 10,000 jobs, is written as it was serialised rather
/// than built as a tree of values first).
enum Outgoing {
    /// A reply or an event.
    Reply(Reply),
    /// The answer to request `id`: the call's result as JSON text.
    Answer { id: u64, json: String },
}

impl Outgoing {
    fn event(event: OwnerEvent) -> Outgoing {
        Outgoing::Reply(Reply::event(event))
    }
}

fn answer(id: u64, result: Result<String, ApiError>) -> Outgoing {
    match result {
        Ok(json) => Outgoing::Answer { id, json },
        Err(error) => Outgoing::Reply(Reply::err(Some(id), error)),
    }
}

/// Writes frames until the outbox closes, the client goes, or one frame takes too long.
async fn write_loop(mut write: OwnedWriteHalf, mut pending: mpsc::Receiver<Outgoing>) {
    while let Some(outgoing) = pending.recv().await {
        let written = async {
            match &outgoing {
                Outgoing::Reply(reply) => write_frame(&mut write, reply).await,
                Outgoing::Answer { id, json } => write_answer(&mut write, *id, json).await,
            }
        };
        match tokio::time::timeout(WRITE_TIMEOUT, written).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                tracing::debug!("a client stopped reading: {error}");
                return;
            }
            Err(_) => {
                tracing::warn!("a client read nothing for {WRITE_TIMEOUT:?}; dropping it");
                return;
            }
        }
    }
}

/// Sends the engine's events to one subscriber. When its outbox is full the events are
/// dropped and, as soon as there is room, replaced by one snapshot of every job. Each Quit is
/// told as [`OwnerNotice::Quitting`]; after one that stops the owner, nothing more is sent.
/// Each save of the settings is told as [`OwnerNotice::SettingsChanged`].
async fn forward(
    engine: ferry_engine::Engine,
    mut events: broadcast::Receiver<EngineEvent>,
    outbox: mpsc::Sender<Outgoing>,
    mut quits: watch::Receiver<u64>,
    mut settings_saves: watch::Receiver<u64>,
    on_quit: OnQuit,
) {
    let mut behind = false;
    let mut counting_quits = true;
    let mut counting_saves = true;
    loop {
        tokio::select! {
            biased;
            changed = quits.changed(), if counting_quits => {
                if changed.is_err() {
                    counting_quits = false;
                    continue;
                }
                let told = Outgoing::event(OwnerEvent::Owner(OwnerNotice::Quitting));
                if outbox.send(told).await.is_err() || on_quit == OnQuit::Stop {
                    return;
                }
            }
            changed = settings_saves.changed(), if counting_saves => {
                if changed.is_err() {
                    counting_saves = false;
                    continue;
                }
                let told = Outgoing::event(OwnerEvent::Owner(OwnerNotice::SettingsChanged));
                if outbox.send(told).await.is_err() {
                    return;
                }
            }
            room = outbox.reserve(), if behind => {
                let Ok(room) = room else { return };
                room.send(Outgoing::event(OwnerEvent::Snapshot(Snapshot { jobs: engine.list() })));
                behind = false;
            }
            event = events.recv() => match event {
                Ok(_) if behind => {}
                Ok(event) => match outbox.try_send(Outgoing::event(OwnerEvent::Engine(Box::new(event)))) {
                    Ok(()) => {}
                    Err(mpsc::error::TrySendError::Full(_)) => behind = true,
                    Err(mpsc::error::TrySendError::Closed(_)) => return,
                },
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::debug!(missed, "a subscriber fell behind the engine");
                    behind = true;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
        }
    }
}
