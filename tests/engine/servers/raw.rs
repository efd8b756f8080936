//! A server below HTTP: it reads each request's head and answers with fixed bytes, whatever
//! they are (no status line, a huge head, contradictory headers), then closes the connection.
//! For answers that hyper refuses to produce.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::{CancellationToken, DropGuard};

/// Longest request head read before answering anyway.
const MAX_HEAD: usize = 64 * 1024;

/// A running raw server on `127.0.0.1:<free port>`; it stops when dropped.
pub struct RawServer {
    addr: SocketAddr,
    requests: Arc<AtomicUsize>,
    _stop: DropGuard,
}

impl RawServer {
    /// Answers every request with exactly `answer` and closes the connection.
    pub async fn start(answer: Vec<u8>) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a raw test server on 127.0.0.1");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        let requests = Arc::new(AtomicUsize::new(0));
        let stop = CancellationToken::new();
        let answer: Arc<[u8]> = answer.into();
        let (count, token) = (Arc::clone(&requests), stop.clone());
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    () = token.cancelled() => return,
                    accepted = listener.accept() => accepted,
                };
                let Ok((stream, _)) = accepted else { continue };
                let (answer, count) = (Arc::clone(&answer), Arc::clone(&count));
                tokio::spawn(async move { answer_one(stream, &answer, &count).await });
            }
        });
        RawServer {
            addr,
            requests,
            _stop: stop.drop_guard(),
        }
    }

    /// The URL of `path` (which starts with `/`) on this server.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// How many request heads were read so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// Reads one request head, writes `answer`, closes. A client that hangs up early is normal.
async fn answer_one(mut stream: TcpStream, answer: &[u8], count: &AtomicUsize) {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_HEAD {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    count.fetch_add(1, Ordering::SeqCst);
    let _ = stream.write_all(answer).await;
    let _ = stream.shutdown().await;
}
