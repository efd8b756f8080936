//! A catalogue of real, misbehaving HTTP/1.1 servers on 127.0.0.1, one behaviour per failure
//! mode a download engine must survive (see [`Behaviour`]).
//!
//! Layout:
//! - `servers/mod.rs` (this file): [`TestServer`], its builder, routing and the request log.
//! - `servers/behaviour.rs`: [`Behaviour`], [`Resource`], [`body`]: what a path does.
//! - `servers/respond.rs`: ranges, validators and how bytes go out (whole, drip, chunked).
//! - `servers/wire.rs`: bodies cut short on the wire (dropped or stalled connections).
//! - `servers/chaos.rs`: [`Behaviour::Chaos`], a misbehaviour per request picked from a seed.
//! - `servers/raw.rs`: [`RawServer`], fixed bytes below HTTP (malformed answers hyper refuses
//!   to produce).
//! - `servers/auth.rs`: Basic and Digest checks; `servers/proxy.rs`: the proxy behaviour;
//!   `servers/tls.rs`: the run-time CA and certificate of https servers.

mod auth;
mod behaviour;
mod chaos;
mod proxy;
mod raw;
mod respond;
mod tls;
mod wire;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use hyper::body::Incoming;
use hyper::header::HeaderMap;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_util::sync::{CancellationToken, DropGuard};

use respond::Body;

pub use behaviour::{body, AuthScheme, Behaviour, DigestHeader, Login, Resource};
pub use chaos::{mix as chaos_mix, pick, Misbehaviour};
pub use raw::RawServer;

/// A request as the server received it, for assertions.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// Method.
    pub method: Method,
    /// Request target as sent (absolute-form for requests to a proxy).
    pub target: String,
    /// Path of the target.
    pub path: String,
    /// Headers.
    pub headers: HeaderMap,
    /// Connections open to the server when it arrived, its own included.
    pub open_connections: usize,
}

impl RecordedRequest {
    /// The value of header `name`, if present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The first byte asked for by a `Range: bytes=N-…` header, if there is one.
    pub fn range_start(&self) -> Option<u64> {
        self.header("range")?
            .strip_prefix("bytes=")?
            .split('-')
            .next()?
            .trim()
            .parse()
            .ok()
    }
}

/// A running server on `127.0.0.1:<free port>`; it stops, connections included, when dropped.
pub struct TestServer {
    addr: SocketAddr,
    ca_pem: Option<String>,
    state: Arc<ServerState>,
    _stop: DropGuard,
}

/// What the accept loop and the handlers share.
///
/// The locks are std mutexes: they are held for a few instructions and never across an await.
struct ServerState {
    routes: Mutex<Routes>,
    log: Mutex<Vec<RecordedRequest>>,
    /// The client the proxy behaviour forwards with (made on first use).
    forwarder: OnceLock<reqwest::Client>,
    /// Connections open now.
    open: AtomicUsize,
}

/// Counts a connection as open while it lives.
struct OpenConnection(Arc<ServerState>);

impl OpenConnection {
    fn new(state: &Arc<ServerState>) -> Self {
        state.open.fetch_add(1, Ordering::SeqCst);
        OpenConnection(Arc::clone(state))
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Behaviours by exact path, plus the one for every other path.
#[derive(Default)]
struct Routes {
    by_path: HashMap<String, Route>,
    any_path: Option<Route>,
}

/// A behaviour and how many requests it has answered since it was set.
struct Route {
    behaviour: Arc<Behaviour>,
    served: usize,
}

impl Route {
    fn new(behaviour: Behaviour) -> Self {
        Route {
            behaviour: Arc::new(behaviour),
            served: 0,
        }
    }
}

/// Collects the routes of a [`TestServer`] before starting it.
#[derive(Default)]
pub struct TestServerBuilder {
    routes: Routes,
    tls: bool,
}

impl TestServerBuilder {
    /// Serves `behaviour` at exactly `path` (e.g. `/a.bin`).
    pub fn route(mut self, path: &str, behaviour: Behaviour) -> Self {
        self.routes
            .by_path
            .insert(path.to_owned(), Route::new(behaviour));
        self
    }

    /// Serves `behaviour` at every path without a route of its own (otherwise they get 404).
    pub fn any_path(mut self, behaviour: Behaviour) -> Self {
        self.routes.any_path = Some(Route::new(behaviour));
        self
    }

    /// Serves https with a certificate from a fresh CA (see [`TestServer::ca_pem`]).
    pub fn tls(mut self) -> Self {
        self.tls = true;
        self
    }

    /// Binds `127.0.0.1:0` and starts serving.
    pub async fn start(self) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a test server on 127.0.0.1");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        let identity = self.tls.then(tls::identity);
        let state = Arc::new(ServerState {
            routes: Mutex::new(self.routes),
            log: Mutex::new(Vec::new()),
            forwarder: OnceLock::new(),
            open: AtomicUsize::new(0),
        });
        let stop = CancellationToken::new();
        let acceptor = identity.as_ref().map(|identity| identity.acceptor.clone());
        tokio::spawn(accept_loop(
            listener,
            acceptor,
            Arc::clone(&state),
            stop.clone(),
        ));
        TestServer {
            addr,
            ca_pem: identity.map(|identity| identity.ca_pem),
            state,
            _stop: stop.drop_guard(),
        }
    }
}

impl TestServer {
    /// A server with `behaviour` at every path.
    pub async fn start(behaviour: Behaviour) -> TestServer {
        TestServer::builder().any_path(behaviour).start().await
    }

    /// An https server with `behaviour` at every path; clients must trust [`TestServer::ca_pem`].
    pub async fn start_tls(behaviour: Behaviour) -> TestServer {
        TestServer::builder()
            .any_path(behaviour)
            .tls()
            .start()
            .await
    }

    /// A builder for a server with several paths.
    pub fn builder() -> TestServerBuilder {
        TestServerBuilder::default()
    }

    /// `http://127.0.0.1:PORT` (or `https://`), e.g. to use the server as a proxy.
    pub fn origin(&self) -> String {
        let scheme = if self.ca_pem.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }

    /// The URL of `path` (which starts with `/`) on this server.
    pub fn url(&self, path: &str) -> String {
        assert!(
            path.starts_with('/'),
            "a test server path starts with '/': {path:?}"
        );
        format!("{}{path}", self.origin())
    }

    /// The PEM of the CA that signed an https server's certificate, to be trusted by clients.
    pub fn ca_pem(&self) -> &str {
        self.ca_pem
            .as_deref()
            .expect("only servers started with tls() have a CA")
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state.log).clone()
    }

    /// Connections open to the server now.
    pub fn open_connections(&self) -> usize {
        self.state.open.load(Ordering::SeqCst)
    }

    /// Replaces the behaviour of every path without a route of its own; its count restarts.
    pub fn set_behaviour(&self, behaviour: Behaviour) {
        lock(&self.state.routes).any_path = Some(Route::new(behaviour));
    }

    /// Replaces (or adds) the behaviour of `path`; its count restarts.
    pub fn set_route(&self, path: &str, behaviour: Behaviour) {
        lock(&self.state.routes)
            .by_path
            .insert(path.to_owned(), Route::new(behaviour));
    }
}

/// Locks `mutex`, ignoring poisoning: a panicking test must not hide its cause behind ours.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    state: Arc<ServerState>,
    stop: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            () = stop.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, _)) = accepted else { continue };
        let (state, stop) = (Arc::clone(&state), stop.clone());
        match acceptor.clone() {
            None => {
                tokio::spawn(serve_connection(stream, state, stop));
            }
            Some(acceptor) => {
                tokio::spawn(async move {
                    // A client that gives up the handshake (e.g. one that rejects the
                    // certificate) is a normal outcome for a test server.
                    if let Ok(stream) = acceptor.accept(stream).await {
                        serve_connection(stream, state, stop).await;
                    }
                });
            }
        }
    }
}

async fn serve_connection<S>(stream: S, state: Arc<ServerState>, stop: CancellationToken)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let _open = OpenConnection::new(&state);
    let switch = wire::CutSwitch::default();
    let stream = wire::CuttableStream::new(stream, switch.clone());
    let service = service_fn(move |request| {
        let (state, switch) = (Arc::clone(&state), switch.clone());
        async move { Ok::<_, std::convert::Infallible>(handle(request, &state, &switch).await) }
    });
    let connection = http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::select! {
        () = stop.cancelled() => {}
        // Connections that end badly (cut bodies, clients that hang up) are part of the game.
        _ = connection => {}
    }
}

async fn handle(
    request: Request<Incoming>,
    state: &ServerState,
    switch: &wire::CutSwitch,
) -> Response<Body> {
    let path = request.uri().path().to_owned();
    let open_connections = state.open.load(Ordering::SeqCst);
    lock(&state.log).push(RecordedRequest {
        method: request.method().clone(),
        target: request.uri().to_string(),
        path: path.clone(),
        headers: request.headers().clone(),
        open_connections,
    });
    let (behaviour, served) = {
        let mut routes = lock(&state.routes);
        let Routes { by_path, any_path } = &mut *routes;
        match by_path.get_mut(&path).or(any_path.as_mut()) {
            Some(route) => {
                route.served += 1;
                (Arc::clone(&route.behaviour), route.served - 1)
            }
            None => (Arc::new(Behaviour::status(404)), 0),
        }
    };
    match respond::respond(&behaviour, served, &head(&request, open_connections)) {
        respond::Outcome::Reply(reply) => {
            let (response, cut) = reply.into_response(request.method() == Method::HEAD);
            if let Some(cut) = cut {
                switch.arm(cut);
            }
            response
        }
        respond::Outcome::Proxy(login) => {
            let client = state.forwarder.get_or_init(|| {
                reqwest::Client::builder()
                    .no_proxy()
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .expect("build the proxy's forwarding client")
            });
            proxy::handle(request, login.as_ref(), client).await
        }
    }
}

fn head(request: &Request<Incoming>, open_connections: usize) -> respond::RequestHead<'_> {
    respond::RequestHead {
        method: request.method(),
        uri: request.uri(),
        headers: request.headers(),
        open_connections,
    }
}
