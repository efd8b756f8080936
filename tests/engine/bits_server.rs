//! A BITS upload server of our own (bits-spec.md §8) for the engine's upload tests.
//!
//! It speaks the BITS 1.5 Upload Protocol over HTTP/1.1 on 127.0.0.1: every request is a
//! `BITS_POST` carrying `BITS-Packet-Type`, every answer is an Ack with `Content-Length` (even 0).
//! Uploads land in a private temporary directory: a session writes into a partial file and, when
//! the last fragment arrives (end = total − 1), the file moves to `<upload dir>/<URL file name>`.
//! An upload-reply session can get a `BITS-Reply-URL` that the server serves with `GET`/`HEAD`
//! and single byte ranges, like any download.
//!
//! Layout of this file:
//! - protocol constants and error-code helpers;
//! - [`BitsServerConfig`] and [`Misbehaviour`], the knobs a test sets at start or at run time
//!   ([`Hold`] keeps one packet from being answered, so a test can kill the client in a phase);
//! - observations: [`Packet`], [`SessionSnapshot`], [`ReplyFetch`];
//! - [`BitsServer`]: lifecycle (start, reachability, stop on drop) and the observation API;
//! - request routing, then one handler per packet type, then the reply download;
//! - small parsers (Content-Range, Range, file names) and the Ack builder.
//!
//! Sessions live as long as the server, so a client that is killed and restarted can resume its
//! session (U3). Error codes follow `BG_E_HTTP_ERROR_<status>` = `0x80190000 + status` unless the
//! protocol names a code of its own (`BG_E_SESSION_NOT_FOUND`, `BG_E_CLIENT_SERVER_PROTOCOL_MISMATCH`).

use std::collections::{HashMap, VecDeque};
use std::io::SeekFrom;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncSeekExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket};
use tokio_util::sync::CancellationToken;

/// The BITS 1.5 Upload Protocol identifier a client must offer in `BITS-Supported-Protocols`.
pub const UPLOAD_PROTOCOL: &str = "{7df0354d-249b-430f-820d-3d2a9bef4931}";
/// `BG_E_SESSION_NOT_FOUND`: the packet names a session the server does not know.
pub const BG_E_SESSION_NOT_FOUND: u32 = 0x8020_001F;
/// `BG_E_CLIENT_SERVER_PROTOCOL_MISMATCH`: the client offered no protocol the server speaks.
pub const BG_E_CLIENT_SERVER_PROTOCOL_MISMATCH: u32 = 0x8020_0022;
/// `BITS-Error-Context` of failures of the server itself or of the remote file.
pub const CONTEXT_REMOTE_FILE: &str = "0x5";
/// `BITS-Error-Context` of failures of the server application that receives uploads.
pub const CONTEXT_REMOTE_APPLICATION: &str = "0x7";

/// `BG_E_HTTP_ERROR_<status>`: the HRESULT BITS reports for an HTTP status.
pub fn http_error_code(status: u16) -> u32 {
    0x8019_0000 + u32::from(status)
}

/// An HRESULT as it travels in `BITS-Error-Code`, e.g. `0x80190194`.
pub fn hresult_text(code: u32) -> String {
    format!("0x{code:08X}")
}

/// How the server starts. Everything that may change while it runs lives in [`Misbehaviour`].
#[derive(Clone, Debug, Default)]
pub struct BitsServerConfig {
    /// Session ids handed out by Create-Session, in order; once used up, ids are fresh GUIDs
    /// (`{xxxxxxxx-…}`). Each must be a legal header value of 1–100 characters (U1).
    pub session_ids: Vec<String>,
    /// Advertise a `BITS-Host-Id` in Create-Session Acks (U7).
    pub host_id: Option<HostId>,
    /// The knobs in force from the first request on.
    pub misbehaviour: Misbehaviour,
}

impl BitsServerConfig {
    /// The default configuration with `misbehaviour` in force from the first request on.
    pub fn misbehaving(misbehaviour: Misbehaviour) -> BitsServerConfig {
        BitsServerConfig {
            misbehaviour,
            ..BitsServerConfig::default()
        }
    }
}

/// The `BITS-Host-Id` advertisement of Create-Session Acks.
#[derive(Clone, Debug)]
pub struct HostId {
    /// Which host the Ack names.
    pub target: HostIdTarget,
    /// `BITS-Host-Id-Fallback-Timeout` in seconds; `None` leaves the header out.
    pub fallback_timeout_secs: Option<u64>,
}

/// The host a `BITS-Host-Id` header names.
#[derive(Clone, Debug)]
pub enum HostIdTarget {
    /// A second listener of this server, sharing its sessions: `127.0.0.1:<port>`.
    SecondListener,
    /// A literal host (for example one that never answers).
    Named(String),
}

/// Run-time behaviour: policy flags and misbehaviours. Counters count down as they fire.
#[derive(Clone, Debug, Default)]
pub struct Misbehaviour {
    /// `BITSAllowOverwrites`: when false, Create-Session for an existing file gets 409.
    pub allow_overwrite: bool,
    /// Require `Authorization: Basic` with these credentials on every request, else 401.
    pub basic_auth: Option<Credentials>,
    /// Refuse every Create-Session with this status (403 not allowed, 404 URL missing).
    pub refuse_create_session: Option<u16>,
    /// Drop the connection in the middle of the next fragments.
    pub drop_fragments: Option<DropFragments>,
    /// Answer this many Close-Session packets with 503 before closing for real.
    pub close_session_unavailable: usize,
    /// Hold back the Ack of the final fragment this long (the server application is "working").
    pub final_ack_delay: Option<Duration>,
    /// Fail as the server application when the upload completes.
    pub app_failure: Option<AppFailure>,
    /// The reply of an upload-reply session: the final Ack carries `BITS-Reply-URL` serving
    /// these bytes (possibly none). `None` sends no reply URL.
    pub reply: Option<Bytes>,
    /// Reply downloads send this many body bytes and then stall until the session is closed
    /// or cancelled (or the server stops), at which point the connection is cut.
    pub stall_reply_after: Option<u64>,
    /// Hold one packet for good (until the server stops), so that a test can kill the client
    /// in that phase of the upload. Fires once.
    pub hold: Option<Hold>,
}

/// Hold the packet of type `kind` that follows `skip` others of that type, at `point`.
#[derive(Clone, Copy, Debug)]
pub struct Hold {
    /// The packet type held.
    pub kind: PacketKind,
    /// How many packets of that type pass before the one held.
    pub skip: usize,
    /// Whether the server acts on the held packet first.
    pub point: HoldPoint,
}

/// Where a held packet stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoldPoint {
    /// Before the server acts on it: the request never reaches the application (the packet is
    /// recorded without an Ack).
    BeforeHandling,
    /// After the server acted on it, before the Ack goes out: the client never learns what
    /// the server did.
    BeforeAck,
}

/// User name and password of HTTP Basic authentication.
#[derive(Clone, Debug)]
pub struct Credentials {
    /// The user name.
    pub user: String,
    /// The password.
    pub password: String,
}

/// Cut the connection after `after_bytes` bytes of a fragment body, for the next `times`
/// fragments. The bytes received before the cut are kept (they reached the disk).
#[derive(Clone, Copy, Debug)]
pub struct DropFragments {
    /// Body bytes read (and stored) before the connection is cut.
    pub after_bytes: u64,
    /// How many fragments are cut.
    pub times: usize,
}

/// Fail as the server application when an upload completes: an error Ack with `status`,
/// `BG_E_HTTP_ERROR_<status>` and context 0x7. The upload stays complete on the server, and a
/// re-sent final fragment hands it to the application again (U8).
#[derive(Clone, Copy, Debug)]
pub struct AppFailure {
    /// The HTTP status of the failure, e.g. 500 or 403.
    pub status: u16,
    /// How many completions fail.
    pub times: usize,
}

/// The packet types of §8.2, read case-insensitively from `BITS-Packet-Type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PacketKind {
    /// `Ping`.
    Ping,
    /// `Create-Session`.
    CreateSession,
    /// `Fragment`.
    Fragment,
    /// `Close-Session`.
    CloseSession,
    /// `Cancel-Session`.
    CancelSession,
    /// Any other value, a missing header, or a method other than `BITS_POST`.
    Unexpected,
}

/// Which listening socket a request reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listener {
    /// The address of [`BitsServer::url`].
    Main,
    /// The second listener advertised by `BITS-Host-Id` ([`HostIdTarget::SecondListener`]).
    HostId,
}

/// One request to an upload URL, as the server saw and answered it.
#[derive(Clone, Debug)]
pub struct Packet {
    /// The listener the request reached.
    pub listener: Listener,
    /// The HTTP method (`BITS_POST` for every well-formed packet).
    pub method: String,
    /// The request path, without the query.
    pub path: String,
    /// The packet type.
    pub kind: PacketKind,
    /// `BITS-Session-Id`, if sent.
    pub session_id: Option<String>,
    /// `Content-Range`, if sent.
    pub content_range: Option<String>,
    /// `Content-Name`, if sent.
    pub content_name: Option<String>,
    /// Every request header, names in lower case, in arrival order.
    pub headers: Vec<(String, String)>,
    /// Body bytes the server read (fewer than sent when the connection was cut).
    pub body_len: u64,
    /// The Ack's status; `None` when the connection was cut instead of answering.
    pub ack_status: Option<u16>,
}

impl Packet {
    /// The value of a request header (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// A live session as the server tracks it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionSnapshot {
    /// The session id.
    pub id: String,
    /// The file name the upload will get (the last segment of the URL path).
    pub file_name: String,
    /// The next byte offset the server expects (the contiguous prefix it holds).
    pub received: u64,
    /// The total size announced by the first fragment.
    pub total: Option<u64>,
    /// Whether the upload is complete and in its final place.
    pub delivered: bool,
}

/// One `GET` or `HEAD` of a reply URL.
#[derive(Clone, Debug)]
pub struct ReplyFetch {
    /// `GET` or `HEAD`.
    pub method: String,
    /// The `Range` header, if sent.
    pub range: Option<String>,
    /// The answer's status.
    pub status: u16,
}

/// A running BITS upload server on 127.0.0.1. Dropping it stops every listener and connection
/// and deletes its directory.
pub struct BitsServer {
    shared: Arc<Shared>,
    main_listener: ListenerSlot,
    host_id_listener: Option<ListenerSlot>,
    shutdown: CancellationToken,
    // Declared last so that it is removed after everything else has been told to stop.
    _root: tempfile::TempDir,
}

impl BitsServer {
    /// Starts a server on `127.0.0.1:0` (and a second listener if the config asks for one).
    ///
    /// Panics if a configured session id is not a legal header value of 1–100 characters, or if
    /// the sockets or the directory cannot be created: the test cannot run without them.
    pub async fn start(config: BitsServerConfig) -> BitsServer {
        for id in &config.session_ids {
            assert!(
                !id.is_empty() && id.len() <= 100 && HeaderValue::from_str(id).is_ok(),
                "session id {id:?} must be a legal header value of 1-100 characters"
            );
        }
        let root = tokio::task::spawn_blocking(tempfile::TempDir::new)
            .await
            .expect("the temp-dir task runs to completion")
            .expect("a temporary directory for the BITS server");
        let upload_dir = root.path().join("uploads");
        let partial_dir = root.path().join("partial");
        for dir in [&upload_dir, &partial_dir] {
            tokio::fs::create_dir(dir)
                .await
                .expect("a directory inside the server's temporary directory");
        }

        let shutdown = CancellationToken::new();
        let main_socket = bind(SocketAddr::from(([127, 0, 0, 1], 0)));
        let main_addr = main_socket
            .local_addr()
            .expect("a bound socket has an address");
        let host_id_socket = match config.host_id.as_ref().map(|host_id| &host_id.target) {
            Some(HostIdTarget::SecondListener) => Some(bind(SocketAddr::from(([127, 0, 0, 1], 0)))),
            _ => None,
        };
        let host_id_addr = host_id_socket
            .as_ref()
            .map(|socket| socket.local_addr().expect("a bound socket has an address"));
        let host_id_header = config.host_id.map(|host_id| {
            let host = match host_id.target {
                HostIdTarget::SecondListener => host_id_addr
                    .map(|addr| addr.to_string())
                    .expect("the second listener is bound"),
                HostIdTarget::Named(host) => host,
            };
            (host, host_id.fallback_timeout_secs)
        });

        let shared = Arc::new(Shared {
            upload_dir,
            partial_dir,
            main_addr,
            host_id_header,
            shutdown: shutdown.clone(),
            state: Mutex::new(State {
                misbehaviour: config.misbehaviour,
                next_session_ids: config.session_ids.into(),
                sessions: HashMap::new(),
                replies: HashMap::new(),
                packets: Vec::new(),
                reply_fetches: Vec::new(),
                held: 0,
            }),
        });
        let main_listener = ListenerSlot::new(main_addr, Listener::Main);
        main_listener.serve(&shared, &shutdown, main_socket);
        let host_id_listener = host_id_socket.map(|socket| {
            let slot = ListenerSlot::new(
                socket.local_addr().expect("a bound socket has an address"),
                Listener::HostId,
            );
            slot.serve(&shared, &shutdown, socket);
            slot
        });
        BitsServer {
            shared,
            main_listener,
            host_id_listener,
            shutdown,
            _root: root,
        }
    }

    /// The upload URL of a file: `http://127.0.0.1:PORT/upload/<name>` (name percent-encoded).
    pub fn url(&self, name: &str) -> String {
        format!(
            "http://{}/upload/{}",
            self.shared.main_addr,
            percent_encode(name)
        )
    }

    /// The same upload URL on the `BITS-Host-Id` listener; `None` without one.
    pub fn host_id_url(&self, name: &str) -> Option<String> {
        let slot = self.host_id_listener.as_ref()?;
        Some(format!(
            "http://{}/upload/{}",
            slot.addr,
            percent_encode(name)
        ))
    }

    /// Every request to an upload URL so far, in arrival order.
    pub fn packets(&self) -> Vec<Packet> {
        self.shared.state().packets.clone()
    }

    /// The live sessions, ordered by id.
    pub fn sessions(&self) -> Vec<SessionSnapshot> {
        let state = self.shared.state();
        let mut sessions: Vec<SessionSnapshot> = state
            .sessions
            .values()
            .map(|entry| entry.session.snapshot())
            .collect();
        sessions.sort_by(|a, b| a.id.cmp(&b.id));
        sessions
    }

    /// Every `GET`/`HEAD` of a reply URL so far, in arrival order.
    pub fn reply_fetches(&self) -> Vec<ReplyFetch> {
        self.shared.state().reply_fetches.clone()
    }

    /// The path of a completed upload, if the file is in place.
    pub fn uploaded_file(&self, name: &str) -> Option<PathBuf> {
        let path = self.shared.upload_dir.join(name);
        path.is_file().then_some(path)
    }

    /// The directory completed uploads move into (to plant an existing file, say).
    pub fn upload_dir(&self) -> &Path {
        &self.shared.upload_dir
    }

    /// The partial files of incomplete uploads that exist on disk, sorted.
    pub fn partial_files(&self) -> Vec<PathBuf> {
        let Ok(entries) = std::fs::read_dir(&self.shared.partial_dir) else {
            return Vec::new();
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .collect();
        files.sort();
        files
    }

    /// How many packets reached a [`Hold`] so far (each stays there until the server stops).
    pub fn held(&self) -> usize {
        self.shared.state().held
    }

    /// The knobs in force now (counters show what is left).
    pub fn misbehaviour(&self) -> Misbehaviour {
        self.shared.state().misbehaviour.clone()
    }

    /// Replaces every knob at once; the next request sees the new ones.
    pub fn set_misbehaviour(&self, misbehaviour: Misbehaviour) {
        self.shared.state().misbehaviour = misbehaviour;
    }

    /// Makes the main address refuse connections (`false`: open connections are cut too) or
    /// accept them again on the same port (`true`). Sessions survive either way.
    pub async fn set_reachable(&self, reachable: bool) {
        self.main_listener
            .set_reachable(&self.shared, &self.shutdown, reachable)
            .await;
    }

    /// The same as [`BitsServer::set_reachable`] for the `BITS-Host-Id` listener.
    ///
    /// Panics if the server was started without one.
    pub async fn set_host_id_reachable(&self, reachable: bool) {
        self.host_id_listener
            .as_ref()
            .expect("the server was started with HostIdTarget::SecondListener")
            .set_reachable(&self.shared, &self.shutdown, reachable)
            .await;
    }
}

impl Drop for BitsServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// One listening address that can be switched off and on again.
struct ListenerSlot {
    addr: SocketAddr,
    role: Listener,
    // A std Mutex: it is only held to swap the running loop, never across an await.
    running: Mutex<Option<RunningLoop>>,
}

/// An accept loop and the token that stops it and its connections.
struct RunningLoop {
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl ListenerSlot {
    fn new(addr: SocketAddr, role: Listener) -> ListenerSlot {
        ListenerSlot {
            addr,
            role,
            running: Mutex::new(None),
        }
    }

    /// Spawns the accept loop on `socket`; its connections stop with the loop.
    fn serve(&self, shared: &Arc<Shared>, shutdown: &CancellationToken, socket: TcpSocket) {
        let listener = socket.listen(128).expect("a bound socket can listen");
        let stop = shutdown.child_token();
        let task = tokio::spawn(accept_loop(
            Arc::clone(shared),
            self.role,
            listener,
            stop.clone(),
        ));
        *lock(&self.running) = Some(RunningLoop { stop, task });
    }

    async fn set_reachable(
        &self,
        shared: &Arc<Shared>,
        shutdown: &CancellationToken,
        reachable: bool,
    ) {
        let running = lock(&self.running).take();
        match (reachable, running) {
            (true, Some(running)) => *lock(&self.running) = Some(running),
            (true, None) => self.serve(shared, shutdown, bind(self.addr)),
            (false, Some(running)) => {
                running.stop.cancel();
                // The listening socket is closed once the loop has returned.
                if let Err(error) = running.task.await {
                    panic!("the accept loop of {} failed: {error}", self.addr);
                }
            }
            (false, None) => {}
        }
    }
}

/// A socket bound to `addr` with SO_REUSEADDR, so a port can be taken again after a stop.
fn bind(addr: SocketAddr) -> TcpSocket {
    let socket = TcpSocket::new_v4().expect("an IPv4 TCP socket");
    socket
        .set_reuseaddr(true)
        .expect("SO_REUSEADDR on a fresh socket");
    socket
        .bind(addr)
        .unwrap_or_else(|error| panic!("binding {addr}: {error}"));
    socket
}

async fn accept_loop(
    shared: Arc<Shared>,
    role: Listener,
    listener: TcpListener,
    stop: CancellationToken,
) {
    loop {
        let stream = tokio::select! {
            _ = stop.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
        };
        let shared = Arc::clone(&shared);
        let stop = stop.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                route(Arc::clone(&shared), role, request)
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = connection => {}
                _ = stop.cancelled() => {}
            }
        });
    }
}

/// State shared by the listeners and the [`BitsServer`] handle.
struct Shared {
    upload_dir: PathBuf,
    partial_dir: PathBuf,
    main_addr: SocketAddr,
    /// `BITS-Host-Id` and `BITS-Host-Id-Fallback-Timeout` for Create-Session Acks.
    host_id_header: Option<(String, Option<u64>)>,
    shutdown: CancellationToken,
    // A std Mutex: it guards plain bookkeeping and is never held across an await (file I/O is
    // serialised per session by `SessionEntry::gate` instead).
    state: Mutex<State>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking test thread must not take the whole server down with it.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

struct State {
    misbehaviour: Misbehaviour,
    next_session_ids: VecDeque<String>,
    sessions: HashMap<String, SessionEntry>,
    /// Reply token (the last segment of a reply URL) to reply.
    replies: HashMap<String, Reply>,
    packets: Vec<Packet>,
    reply_fetches: Vec<ReplyFetch>,
    /// Packets that reached a [`Hold`].
    held: usize,
}

struct SessionEntry {
    session: Session,
    /// Held while a packet of this session touches its files, so packets of one session apply
    /// one after another even if a client misbehaves.
    gate: Arc<tokio::sync::Mutex<()>>,
}

struct Session {
    id: String,
    file_name: String,
    partial_path: PathBuf,
    received: u64,
    total: Option<u64>,
    content_name: Option<String>,
    delivered: bool,
    reply_token: Option<String>,
}

impl Session {
    fn snapshot(&self) -> SessionSnapshot {
        SessionSnapshot {
            id: self.id.clone(),
            file_name: self.file_name.clone(),
            received: self.received,
            total: self.total,
            delivered: self.delivered,
        }
    }
}

struct Reply {
    bytes: Bytes,
    etag: String,
    last_modified: String,
    /// Cut when the session is closed or cancelled: stalled downloads end there.
    cancelled: CancellationToken,
}

/// The service's error: hyper closes the connection without an answer.
#[derive(Debug)]
struct ConnectionCut;

impl std::fmt::Display for ConnectionCut {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("connection cut on purpose")
    }
}

impl std::error::Error for ConnectionCut {}

type Body = BoxBody<Bytes, std::io::Error>;

async fn route(
    shared: Arc<Shared>,
    role: Listener,
    request: Request<Incoming>,
) -> Result<Response<Body>, ConnectionCut> {
    let path = request.uri().path().to_owned();
    if let Some(token) = path.strip_prefix("/reply/") {
        if request.method() == Method::GET || request.method() == Method::HEAD {
            let token = token.to_owned();
            return Ok(serve_reply(&shared, &token, &request));
        }
    }
    bits_packet(&shared, role, request).await
}

/// What a packet handler decided.
struct Handled {
    /// The Ack; `None` cuts the connection instead.
    ack: Option<Ack>,
    body_len: u64,
    /// Hold the Ack back this long after recording the packet.
    delay: Option<Duration>,
}

impl Handled {
    fn answer(ack: Ack, body_len: u64) -> Handled {
        Handled {
            ack: Some(ack),
            body_len,
            delay: None,
        }
    }
}

async fn bits_packet(
    shared: &Shared,
    role: Listener,
    request: Request<Incoming>,
) -> Result<Response<Body>, ConnectionCut> {
    let (parts, body) = request.into_parts();
    let head = PacketHead::read(&parts.method, &parts.uri, &parts.headers);
    let hold = shared.take_hold(head.kind);
    if hold == Some(HoldPoint::BeforeHandling) {
        shared.record(role, &parts, &head, 0, None);
        return shared.hold_forever().await;
    }
    let credentials = shared.state().misbehaviour.basic_auth.clone();
    let handled = if !authorised(&parts.headers, credentials.as_ref()) {
        let body_len = drain(body).await;
        let ack = Ack::error(
            StatusCode::UNAUTHORIZED,
            http_error_code(401),
            CONTEXT_REMOTE_FILE,
        )
        .header("www-authenticate", "Basic realm=\"ferry-bits\"");
        Handled::answer(ack, body_len)
    } else {
        match head.kind {
            PacketKind::Ping => Handled::answer(Ack::new(StatusCode::OK), drain(body).await),
            PacketKind::CreateSession => {
                let body_len = drain(body).await;
                Handled::answer(create_session(shared, &head).await, body_len)
            }
            PacketKind::Fragment => fragment(shared, &head, body).await,
            PacketKind::CloseSession => {
                let body_len = drain(body).await;
                Handled::answer(
                    end_session(shared, &head, SessionEnd::Close).await,
                    body_len,
                )
            }
            PacketKind::CancelSession => {
                let body_len = drain(body).await;
                Handled::answer(
                    end_session(shared, &head, SessionEnd::Cancel).await,
                    body_len,
                )
            }
            PacketKind::Unexpected => Handled::answer(bad_request(), drain(body).await),
        }
    };

    let ack_status = handled.ack.as_ref().map(|ack| ack.status.as_u16());
    shared.record(role, &parts, &head, handled.body_len, ack_status);
    if hold == Some(HoldPoint::BeforeAck) {
        return shared.hold_forever().await;
    }
    if let Some(delay) = handled.delay {
        tokio::time::sleep(delay).await;
    }
    handled.ack.map(Ack::into_response).ok_or(ConnectionCut)
}

impl Shared {
    /// Appends a packet to the record.
    fn record(
        &self,
        role: Listener,
        parts: &hyper::http::request::Parts,
        head: &PacketHead,
        body_len: u64,
        ack_status: Option<u16>,
    ) {
        self.state().packets.push(Packet {
            listener: role,
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            kind: head.kind,
            session_id: head.session_id.clone(),
            content_range: header_text(&parts.headers, "content-range"),
            content_name: header_text(&parts.headers, "content-name"),
            headers: parts
                .headers
                .iter()
                .map(|(name, value)| {
                    (
                        name.as_str().to_owned(),
                        String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body_len,
            ack_status,
        });
    }

    /// Consumes [`Misbehaviour::hold`] if it is for a packet of `kind`: where to hold this one,
    /// or `None` to let it pass (counting it against `skip`).
    fn take_hold(&self, kind: PacketKind) -> Option<HoldPoint> {
        let mut state = self.state();
        let hold = state
            .misbehaviour
            .hold
            .as_mut()
            .filter(|h| h.kind == kind)?;
        if hold.skip > 0 {
            hold.skip -= 1;
            return None;
        }
        let point = hold.point;
        state.misbehaviour.hold = None;
        Some(point)
    }

    /// Counts a held packet and waits until the server stops; the connection is then cut.
    async fn hold_forever(&self) -> Result<Response<Body>, ConnectionCut> {
        self.state().held += 1;
        self.shutdown.cancelled().await;
        Err(ConnectionCut)
    }
}

/// The parts of a request every packet handler looks at.
struct PacketHead {
    kind: PacketKind,
    session_id: Option<String>,
    /// The decoded last segment of the URL path, if it is a usable file name.
    file_name: Option<String>,
    headers: HeaderMap,
}

impl PacketHead {
    fn read(method: &Method, uri: &hyper::Uri, headers: &HeaderMap) -> PacketHead {
        let kind = if method.as_str() == "BITS_POST" {
            match header_text(headers, "bits-packet-type")
                .map(|kind| kind.to_ascii_lowercase())
                .as_deref()
            {
                Some("ping") => PacketKind::Ping,
                Some("create-session") => PacketKind::CreateSession,
                Some("fragment") => PacketKind::Fragment,
                Some("close-session") => PacketKind::CloseSession,
                Some("cancel-session") => PacketKind::CancelSession,
                _ => PacketKind::Unexpected,
            }
        } else {
            PacketKind::Unexpected
        };
        PacketHead {
            kind,
            session_id: header_text(headers, "bits-session-id"),
            file_name: file_name_of(uri.path()),
            headers: headers.clone(),
        }
    }

    fn header(&self, name: &str) -> Option<String> {
        header_text(&self.headers, name)
    }
}

async fn create_session(shared: &Shared, head: &PacketHead) -> Ack {
    let (refusal, allow_overwrite) = {
        let state = shared.state();
        (
            state.misbehaviour.refuse_create_session,
            state.misbehaviour.allow_overwrite,
        )
    };
    if let Some(status) = refusal {
        return Ack::http_error(status, CONTEXT_REMOTE_FILE);
    }
    let offers_upload_protocol = head
        .header("bits-supported-protocols")
        .is_some_and(|offered| {
            offered
                .split_whitespace()
                .any(|guid| guid.eq_ignore_ascii_case(UPLOAD_PROTOCOL))
        });
    if !offers_upload_protocol {
        return Ack::error(
            StatusCode::BAD_REQUEST,
            BG_E_CLIENT_SERVER_PROTOCOL_MISMATCH,
            CONTEXT_REMOTE_FILE,
        );
    }
    let Some(file_name) = head.file_name.clone() else {
        return bad_request();
    };
    let target_exists = tokio::fs::try_exists(shared.upload_dir.join(&file_name))
        .await
        .unwrap_or(false);
    if target_exists && !allow_overwrite {
        return Ack::http_error(409, CONTEXT_REMOTE_FILE);
    }

    let id = {
        let mut state = shared.state();
        let id = state
            .next_session_ids
            .pop_front()
            .unwrap_or_else(|| uuid::Uuid::new_v4().braced().to_string());
        let partial_path = shared
            .partial_dir
            .join(format!("{}.part", uuid::Uuid::new_v4().simple()));
        let session = Session {
            id: id.clone(),
            file_name,
            partial_path,
            received: 0,
            total: None,
            content_name: None,
            delivered: false,
            reply_token: None,
        };
        let gate = Arc::new(tokio::sync::Mutex::new(()));
        state
            .sessions
            .insert(id.clone(), SessionEntry { session, gate });
        id
    };
    let mut ack = Ack::new(StatusCode::OK)
        .header("bits-protocol", UPLOAD_PROTOCOL)
        .header("bits-session-id", &id)
        .header("accept-encoding", "Identity");
    if let Some((host, fallback_timeout)) = &shared.host_id_header {
        ack = ack.header("bits-host-id", host);
        if let Some(seconds) = fallback_timeout {
            ack = ack.header("bits-host-id-fallback-timeout", &seconds.to_string());
        }
    }
    ack
}

/// The fragment's claims, checked against each other before the body is read.
struct FragmentHead {
    session_id: String,
    range: ContentRange,
    content_name: Option<String>,
}

fn read_fragment_head(head: &PacketHead) -> Result<FragmentHead, Ack> {
    let session_id = head.session_id.clone().ok_or_else(bad_request)?;
    let encoding = head.header("content-encoding");
    if encoding.is_some_and(|encoding| !encoding.trim().eq_ignore_ascii_case("identity")) {
        return Err(bad_request());
    }
    let range = head
        .header("content-range")
        .and_then(|range| ContentRange::parse(&range))
        .ok_or_else(bad_request)?;
    let content_length = head
        .header("content-length")
        .and_then(|length| length.trim().parse::<u64>().ok())
        .ok_or_else(bad_request)?;
    if content_length != range.len() {
        return Err(bad_request());
    }
    let content_name = head.header("content-name");
    if content_name
        .as_deref()
        .is_some_and(|name| name.is_empty() || name.contains(['/', '\\']))
    {
        return Err(bad_request());
    }
    Ok(FragmentHead {
        session_id,
        range,
        content_name,
    })
}

async fn fragment(shared: &Shared, head: &PacketHead, body: Incoming) -> Handled {
    let fragment = match read_fragment_head(head) {
        Ok(fragment) => fragment,
        Err(ack) => return Handled::answer(ack, drain(body).await),
    };
    let Some(gate) = shared.gate(&fragment.session_id) else {
        return Handled::answer(session_not_found(&fragment.session_id), drain(body).await);
    };
    let _serialised = gate.lock().await;

    let (partial_path, received) = match shared.admit_fragment(&fragment) {
        Ok(admitted) => admitted,
        Err(ack) => return Handled::answer(ack, drain(body).await),
    };

    let cut_after = shared.take_fragment_cut();
    let (bytes, complete_body) = match cut_after {
        Some(limit) => (read_at_most(body, limit).await, false),
        None => (collect(body).await, true),
    };
    let body_len = bytes.len() as u64;
    if complete_body && body_len != fragment.range.len() {
        return Handled::answer(bad_request(), body_len);
    }
    // Keep what is already held; write only what extends the contiguous prefix (U2).
    let new_bytes = tail_beyond(&bytes, fragment.range.start, received);
    if !new_bytes.is_empty() {
        if let Err(error) = append_at(&partial_path, received, new_bytes).await {
            panic!("writing {}: {error}", partial_path.display());
        }
    }
    let received = received + new_bytes.len() as u64;
    shared.update_session(&fragment.session_id, |session| session.received = received);
    if !complete_body {
        return Handled {
            ack: None,
            body_len,
            delay: None,
        };
    }

    let ack = Ack::new(StatusCode::OK)
        .header("bits-session-id", &fragment.session_id)
        .header("bits-received-content-range", &received.to_string());
    if fragment.range.end + 1 != fragment.range.total {
        return Handled::answer(ack, body_len);
    }
    match complete_upload(shared, &fragment.session_id).await {
        Ok(reply_token) => {
            let ack = match reply_token {
                Some(token) => ack.header(
                    "bits-reply-url",
                    &format!("http://{}/reply/{token}", shared.main_addr),
                ),
                None => ack,
            };
            let delay = shared.state().misbehaviour.final_ack_delay;
            Handled {
                ack: Some(ack),
                body_len,
                delay,
            }
        }
        Err(ack) => Handled::answer(ack, body_len),
    }
}

/// Hands a finished upload to the "server application": moves it into place and registers its
/// reply. Idempotent for a re-sent final fragment. Returns the reply token, or the app's failure.
async fn complete_upload(shared: &Shared, session_id: &str) -> Result<Option<String>, Ack> {
    let (partial_path, file_name, delivered, reply_token) = {
        let mut state = shared.state();
        let Some(entry) = state.sessions.get(session_id) else {
            return Err(session_not_found(session_id));
        };
        let session = &entry.session;
        let facts = (
            session.partial_path.clone(),
            session.file_name.clone(),
            session.delivered,
            session.reply_token.clone(),
        );
        if !facts.2 {
            let failure = state
                .misbehaviour
                .app_failure
                .take()
                .filter(|failure| failure.times > 0);
            if let Some(AppFailure { status, times }) = failure {
                if times > 1 {
                    state.misbehaviour.app_failure = Some(AppFailure {
                        status,
                        times: times - 1,
                    });
                }
                return Err(Ack::http_error(status, CONTEXT_REMOTE_APPLICATION)
                    .header("bits-session-id", session_id));
            }
        }
        facts
    };
    if delivered {
        return Ok(reply_token);
    }
    let final_path = shared.upload_dir.join(&file_name);
    if let Err(error) = tokio::fs::rename(&partial_path, &final_path).await {
        panic!("moving {} into place: {error}", partial_path.display());
    }
    let mut state = shared.state();
    let reply = state.misbehaviour.reply.clone().map(|bytes| Reply {
        etag: format!("\"{}\"", uuid::Uuid::new_v4().simple()),
        last_modified: httpdate::fmt_http_date(SystemTime::now()),
        bytes,
        cancelled: shared.shutdown.child_token(),
    });
    let token = reply.map(|reply| {
        let token = uuid::Uuid::new_v4().simple().to_string();
        state.replies.insert(token.clone(), reply);
        token
    });
    if let Some(entry) = state.sessions.get_mut(session_id) {
        entry.session.delivered = true;
        entry.session.reply_token = token.clone();
    }
    Ok(token)
}

/// How a session ends.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SessionEnd {
    Close,
    Cancel,
}

async fn end_session(shared: &Shared, head: &PacketHead, end: SessionEnd) -> Ack {
    let Some(session_id) = head.session_id.clone() else {
        return bad_request();
    };
    if end == SessionEnd::Close {
        let mut state = shared.state();
        if state.misbehaviour.close_session_unavailable > 0 {
            state.misbehaviour.close_session_unavailable -= 1;
            return Ack::http_error(503, CONTEXT_REMOTE_FILE)
                .header("bits-session-id", &session_id);
        }
    }
    let Some(gate) = shared.gate(&session_id) else {
        return session_not_found(&session_id);
    };
    let _serialised = gate.lock().await;
    let session = {
        let mut state = shared.state();
        let Some(entry) = state.sessions.remove(&session_id) else {
            return session_not_found(&session_id);
        };
        // The reply goes with the session: after Close or Cancel it can no longer be fetched.
        if let Some(reply) = entry
            .session
            .reply_token
            .as_ref()
            .and_then(|token| state.replies.remove(token))
        {
            reply.cancelled.cancel();
        }
        entry.session
    };
    // No partial uploads (U5, U6); a delivered upload stays where it is.
    if !session.delivered {
        match tokio::fs::remove_file(&session.partial_path).await {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => panic!("deleting {}: {error}", session.partial_path.display()),
        }
    }
    Ack::new(StatusCode::OK).header("bits-session-id", &session_id)
}

impl Shared {
    fn gate(&self, session_id: &str) -> Option<Arc<tokio::sync::Mutex<()>>> {
        self.state()
            .sessions
            .get(session_id)
            .map(|entry| Arc::clone(&entry.gate))
    }

    fn update_session(&self, session_id: &str, update: impl FnOnce(&mut Session)) {
        if let Some(entry) = self.state().sessions.get_mut(session_id) {
            update(&mut entry.session);
        }
    }

    /// Checks a fragment against its session as it is now (the caller holds the session's
    /// gate) and records its total and Content-Name: the partial file and the offset held, or
    /// the refusal.
    fn admit_fragment(&self, fragment: &FragmentHead) -> Result<(PathBuf, u64), Ack> {
        let mut state = self.state();
        let Some(entry) = state.sessions.get_mut(&fragment.session_id) else {
            return Err(session_not_found(&fragment.session_id));
        };
        let session = &mut entry.session;
        let range = fragment.range;
        if session.total.is_some_and(|total| total != range.total) {
            return Err(bad_request());
        }
        if session.content_name.is_none() && fragment.content_name.is_none() {
            // The first fragment names the local file.
            return Err(bad_request());
        }
        if range.start > session.received {
            return Err(Ack::http_error(416, CONTEXT_REMOTE_FILE)
                .header("bits-session-id", &fragment.session_id)
                .header("bits-received-content-range", &session.received.to_string()));
        }
        session.total = Some(range.total);
        if session.content_name.is_none() {
            session.content_name = fragment.content_name.clone();
        }
        Ok((session.partial_path.clone(), session.received))
    }

    /// Consumes one count of [`Misbehaviour::drop_fragments`]; the body limit if it fires.
    fn take_fragment_cut(&self) -> Option<u64> {
        let mut state = self.state();
        let DropFragments { after_bytes, times } = state
            .misbehaviour
            .drop_fragments
            .take()
            .filter(|cut| cut.times > 0)?;
        if times > 1 {
            state.misbehaviour.drop_fragments = Some(DropFragments {
                after_bytes,
                times: times - 1,
            });
        }
        Some(after_bytes)
    }
}

fn session_not_found(session_id: &str) -> Ack {
    Ack::error(
        StatusCode::INTERNAL_SERVER_ERROR,
        BG_E_SESSION_NOT_FOUND,
        CONTEXT_REMOTE_FILE,
    )
    .header("bits-session-id", session_id)
}

fn bad_request() -> Ack {
    Ack::http_error(400, CONTEXT_REMOTE_FILE)
}

/// The part of a fragment body at or beyond offset `received`, for a body starting at `start`
/// (callers guarantee `start <= received`).
fn tail_beyond(body: &[u8], start: u64, received: u64) -> &[u8] {
    let skip = usize::try_from(received - start).unwrap_or(usize::MAX);
    body.get(skip..).unwrap_or_default()
}

async fn append_at(path: &Path, offset: u64, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = tokio::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(false)
        .open(path)
        .await?;
    file.seek(SeekFrom::Start(offset)).await?;
    file.write_all(bytes).await?;
    file.flush().await
}

/// Serves `GET`/`HEAD` of a reply URL: the whole reply, or one byte range of it.
fn serve_reply(shared: &Shared, token: &str, request: &Request<Incoming>) -> Response<Body> {
    let mut state = shared.state();
    let credentials = state.misbehaviour.basic_auth.clone();
    let stall_after = state.misbehaviour.stall_reply_after;
    let range_header = header_text(request.headers(), "range");
    let answer = if !authorised(request.headers(), credentials.as_ref()) {
        plain(StatusCode::UNAUTHORIZED).header("www-authenticate", "Basic realm=\"ferry-bits\"")
    } else {
        match state.replies.get(token) {
            None => plain(StatusCode::NOT_FOUND),
            Some(reply) => reply_answer(reply, request, range_header.as_deref(), stall_after),
        }
    };
    state.reply_fetches.push(ReplyFetch {
        method: request.method().to_string(),
        range: range_header,
        status: answer.status.as_u16(),
    });
    answer.into_response()
}

fn reply_answer(
    reply: &Reply,
    request: &Request<Incoming>,
    range: Option<&str>,
    stall_after: Option<u64>,
) -> PlainAnswer {
    let total = reply.bytes.len() as u64;
    // If-Range that does not match the current version means "send everything" (RFC 9110).
    let if_range_matches = header_text(request.headers(), "if-range")
        .is_none_or(|validator| validator == reply.etag || validator == reply.last_modified);
    let wanted = range
        .filter(|_| if_range_matches)
        .map(|range| ByteRange::parse(range, total));
    let (status, slice) = match wanted {
        None | Some(ByteRange::Ignored) => (StatusCode::OK, reply.bytes.clone()),
        Some(ByteRange::Unsatisfiable) => {
            return plain(StatusCode::RANGE_NOT_SATISFIABLE)
                .header("content-range", &format!("bytes */{total}"));
        }
        Some(ByteRange::Satisfiable { start, end }) => {
            let slice = reply.bytes.slice(to_index(start)..to_index(end + 1));
            (StatusCode::PARTIAL_CONTENT, slice)
        }
    };
    let mut answer = PlainAnswer {
        status,
        headers: Vec::new(),
        body: if request.method() == Method::HEAD {
            Bytes::new()
        } else {
            slice.clone()
        },
        stall: None,
    }
    .header("content-length", &slice.len().to_string())
    .header("accept-ranges", "bytes")
    .header("etag", &reply.etag)
    .header("last-modified", &reply.last_modified);
    if let Some(ByteRange::Satisfiable { start, end }) = wanted {
        answer = answer.header("content-range", &format!("bytes {start}-{end}/{total}"));
    }
    if request.method() == Method::GET {
        answer.stall = stall_after.map(|after| (after, reply.cancelled.clone()));
    }
    answer
}

fn to_index(offset: u64) -> usize {
    usize::try_from(offset).unwrap_or(usize::MAX)
}

/// An ordinary (non-Ack) HTTP answer of the reply URL.
struct PlainAnswer {
    status: StatusCode,
    headers: Vec<(&'static str, String)>,
    body: Bytes,
    /// Send this many body bytes, then hold the rest back until the token is cancelled.
    stall: Option<(u64, CancellationToken)>,
}

fn plain(status: StatusCode) -> PlainAnswer {
    PlainAnswer {
        status,
        headers: Vec::new(),
        body: Bytes::new(),
        stall: None,
    }
    .header("content-length", "0")
}

impl PlainAnswer {
    fn header(mut self, name: &'static str, value: &str) -> PlainAnswer {
        self.headers.push((name, value.to_owned()));
        self
    }

    fn into_response(self) -> Response<Body> {
        let body = match self.stall {
            Some((after, cancelled)) if after < self.body.len() as u64 => {
                stalled_body(self.body.slice(..to_index(after)), cancelled)
            }
            _ => full(self.body),
        };
        build_response(self.status, &self.headers, body)
    }
}

/// A body that yields `sent` and then nothing until `cancelled`, where it fails so that the
/// connection is cut short of its Content-Length.
fn stalled_body(sent: Bytes, cancelled: CancellationToken) -> Body {
    let first = futures_util::stream::once(async move { Ok(Frame::data(sent)) });
    let cut = futures_util::stream::once(async move {
        cancelled.cancelled().await;
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "reply cancelled",
        ))
    });
    BodyExt::boxed(StreamBody::new(first.chain(cut)))
}

/// A BITS Ack: `BITS-Packet-Type: Ack`, a status, `Content-Length: 0`, and packet headers.
struct Ack {
    status: StatusCode,
    headers: Vec<(&'static str, String)>,
}

impl Ack {
    fn new(status: StatusCode) -> Ack {
        Ack {
            status,
            headers: vec![
                ("bits-packet-type", "Ack".to_owned()),
                ("content-length", "0".to_owned()),
            ],
        }
    }

    /// An error Ack with `BITS-Error-Code` and `BITS-Error-Context`.
    fn error(status: StatusCode, code: u32, context: &str) -> Ack {
        Ack::new(status)
            .header("bits-error-code", &hresult_text(code))
            .header("bits-error-context", context)
    }

    /// An error Ack for an HTTP status, with `BG_E_HTTP_ERROR_<status>`.
    fn http_error(status: u16, context: &str) -> Ack {
        let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Ack::error(code, http_error_code(code.as_u16()), context)
    }

    fn header(mut self, name: &'static str, value: &str) -> Ack {
        self.headers.push((name, value.to_owned()));
        self
    }

    fn into_response(self) -> Response<Body> {
        build_response(self.status, &self.headers, full(Bytes::new()))
    }
}

fn build_response(
    status: StatusCode,
    headers: &[(&'static str, String)],
    body: Body,
) -> Response<Body> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    for (name, value) in headers {
        // Values are built from validated ids, numbers and fixed text; a value that is not a
        // legal header is left out rather than sent corrupted.
        if let Ok(value) = HeaderValue::from_str(value) {
            response
                .headers_mut()
                .append(HeaderName::from_static(name), value);
        }
    }
    response
}

fn full(bytes: Bytes) -> Body {
    if bytes.is_empty() {
        return Empty::new().map_err(|never| match never {}).boxed();
    }
    Full::new(bytes).map_err(|never| match never {}).boxed()
}

/// Whether the request satisfies the configured Basic authentication (always, without one).
fn authorised(headers: &HeaderMap, credentials: Option<&Credentials>) -> bool {
    let Some(credentials) = credentials else {
        return true;
    };
    let expected =
        base64_encode(format!("{}:{}", credentials.user, credentials.password).as_bytes());
    header_text(headers, "authorization").is_some_and(|value| {
        value.split_once(' ').is_some_and(|(scheme, token)| {
            scheme.eq_ignore_ascii_case("basic") && token.trim() == expected
        })
    })
}

/// Standard base64 with padding (RFC 4648 §4), as HTTP Basic authentication uses it.
fn base64_encode(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut encoded = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let bytes = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let group = (u32::from(bytes[0]) << 16) | (u32::from(bytes[1]) << 8) | u32::from(bytes[2]);
        for (position, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if position <= chunk.len() {
                encoded.push(char::from(ALPHABET[((group >> shift) & 0x3F) as usize]));
            } else {
                encoded.push('=');
            }
        }
    }
    encoded
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
}

/// Reads and discards a request body; returns its length.
async fn drain(body: Incoming) -> u64 {
    collect(body).await.len() as u64
}

/// Reads a whole request body (what arrived, if the client stops early).
async fn collect(mut body: Incoming) -> Bytes {
    let mut bytes = Vec::new();
    while let Some(Ok(frame)) = body.frame().await {
        if let Ok(data) = frame.into_data() {
            bytes.extend_from_slice(&data);
        }
    }
    Bytes::from(bytes)
}

/// Reads at most `limit` bytes of a request body, leaving the rest unread.
async fn read_at_most(mut body: Incoming, limit: u64) -> Bytes {
    let limit = to_index(limit);
    let mut bytes = Vec::new();
    while bytes.len() < limit {
        let Some(Ok(frame)) = body.frame().await else {
            break;
        };
        if let Ok(data) = frame.into_data() {
            bytes.extend_from_slice(&data);
        }
    }
    bytes.truncate(limit);
    Bytes::from(bytes)
}

/// `Content-Range: bytes <start>-<end>/<total>` of a fragment (0-based, inclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ContentRange {
    start: u64,
    end: u64,
    total: u64,
}

impl ContentRange {
    fn parse(text: &str) -> Option<ContentRange> {
        let text = text.trim();
        let (unit, spec) = text.split_once(' ')?;
        if !unit.eq_ignore_ascii_case("bytes") {
            return None;
        }
        let (range, total) = spec.trim().split_once('/')?;
        let (start, end) = range.split_once('-')?;
        let range = ContentRange {
            start: start.trim().parse().ok()?,
            end: end.trim().parse().ok()?,
            total: total.trim().parse().ok()?,
        };
        (range.start <= range.end && range.end < range.total).then_some(range)
    }

    fn len(&self) -> u64 {
        self.end - self.start + 1
    }
}

/// A `Range` request header resolved against a representation of known length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ByteRange {
    /// Not a single byte range we serve: answer with the whole representation.
    Ignored,
    /// No byte of the range exists.
    Unsatisfiable,
    /// Bytes `start..=end`.
    Satisfiable { start: u64, end: u64 },
}

impl ByteRange {
    fn parse(text: &str, total: u64) -> ByteRange {
        let Some(spec) = text.trim().strip_prefix("bytes=") else {
            return ByteRange::Ignored;
        };
        if spec.contains(',') {
            return ByteRange::Ignored;
        }
        let Some((first, last)) = spec.trim().split_once('-') else {
            return ByteRange::Ignored;
        };
        let (first, last) = (first.trim(), last.trim());
        let bounds = if first.is_empty() {
            // A suffix: the last `last` bytes.
            match last.parse::<u64>() {
                Ok(0) | Err(_) => None,
                Ok(_) if total == 0 => None,
                Ok(suffix) => Some((total.saturating_sub(suffix), total - 1)),
            }
        } else {
            let Ok(start) = first.parse::<u64>() else {
                return ByteRange::Ignored;
            };
            let end = if last.is_empty() {
                Ok(total.saturating_sub(1))
            } else {
                last.parse::<u64>()
                    .map(|end| end.min(total.saturating_sub(1)))
            };
            match end {
                Err(_) => return ByteRange::Ignored,
                Ok(end) => (start < total && start <= end).then_some((start, end)),
            }
        };
        match bounds {
            Some((start, end)) => ByteRange::Satisfiable { start, end },
            None => ByteRange::Unsatisfiable,
        }
    }
}

/// The upload's file name: the percent-decoded last segment of the URL path, if it is a plain
/// name (not empty, `.` or `..`, no separators or NUL).
fn file_name_of(path: &str) -> Option<String> {
    let segment = path.rsplit('/').next()?;
    let name = percent_decode(segment)?;
    let plain =
        !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0']);
    plain.then_some(name)
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = text.get(index + 1..index + 3)?;
            decoded.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(decoded).ok()
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}
