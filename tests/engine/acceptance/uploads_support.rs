//! Shared pieces of the upload tests: upload jobs on real files, a look at the packets the
//! server saw, and a slow link (a TCP relay on 127.0.0.1 that passes the client's bytes on at a
//! fixed rate) for tests that must catch an upload in the middle.

use std::path::PathBuf;
use std::time::Duration;

use ferry_engine::{FileSpec, JobId, JobType, Priority};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use crate::bits_server::{
    BitsServer, BitsServerConfig, DropFragments, Listener, Misbehaviour, Packet, PacketKind,
};
use crate::harness::TestEngine;

/// A server whose first fragment is cut after 500 bytes: the job waits in TRANSIENT_ERROR with
/// its session open and part of the file on the server.
pub fn cutting_first_fragment() -> BitsServerConfig {
    BitsServerConfig::misbehaving(Misbehaviour {
        drop_fragments: Some(DropFragments {
            after_bytes: 500,
            times: 1,
        }),
        ..Misbehaviour::default()
    })
}

/// Creates a SUSPENDED FOREGROUND job of `job_type` uploading a new local file `name` holding
/// `bytes` to `url`. Returns the job and the local file.
pub fn upload_job(
    t: &TestEngine,
    job_type: JobType,
    url: &str,
    name: &str,
    bytes: &[u8],
) -> (JobId, PathBuf) {
    let source = t.path(name);
    std::fs::write(&source, bytes).expect("write the file to upload");
    let id = t
        .engine
        .create_job(&format!("upload {name}"), job_type)
        .expect("create an upload job");
    t.engine
        .add_file(
            id,
            FileSpec {
                remote_url: url.to_owned(),
                local_path: source.clone(),
            },
        )
        .expect("add the file to upload");
    t.engine
        .set_priority(id, Priority::Foreground)
        .expect("set the priority");
    (id, source)
}

/// [`upload_job`], resumed.
pub fn start_upload(
    t: &TestEngine,
    job_type: JobType,
    url: &str,
    name: &str,
    bytes: &[u8],
) -> JobId {
    let (id, _) = upload_job(t, job_type, url, name, bytes);
    t.engine.resume(id).expect("resume the upload");
    id
}

/// [`upload_job`] of a new local file `name` to the same name on `server`.
pub fn upload_job_to(
    t: &TestEngine,
    server: &BitsServer,
    job_type: JobType,
    name: &str,
    bytes: &[u8],
) -> (JobId, PathBuf) {
    upload_job(t, job_type, &server.url(name), name, bytes)
}

/// [`start_upload`] of a new local file `name` to the same name on `server`.
pub fn start_upload_to(
    t: &TestEngine,
    server: &BitsServer,
    job_type: JobType,
    name: &str,
    bytes: &[u8],
) -> JobId {
    start_upload(t, job_type, &server.url(name), name, bytes)
}

/// A raw `BITS_POST` of `packet_type` for `session_id` to `url`, as another sender of the same
/// session would send it.
pub fn session_packet(url: &str, packet_type: &str, session_id: &str) -> reqwest::RequestBuilder {
    let method = reqwest::Method::from_bytes(b"BITS_POST").expect("BITS_POST is a valid method");
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a reqwest client");
    client
        .request(method, url)
        .header("BITS-Packet-Type", packet_type)
        .header("BITS-Session-Id", session_id)
}

/// The packet types the server saw, in order.
pub fn kinds(server: &BitsServer) -> Vec<PacketKind> {
    server.packets().iter().map(|p| p.kind).collect()
}

/// The packets of one type.
pub fn packets_of(server: &BitsServer, kind: PacketKind) -> Vec<Packet> {
    server
        .packets()
        .into_iter()
        .filter(|p| p.kind == kind)
        .collect()
}

/// The packets that reached one listener.
pub fn packets_at(server: &BitsServer, listener: Listener) -> Vec<Packet> {
    server
        .packets()
        .into_iter()
        .filter(|p| p.listener == listener)
        .collect()
}

/// The bytes of the file the server holds under `name`.
pub fn uploaded(server: &BitsServer, name: &str) -> Vec<u8> {
    let path = server
        .uploaded_file(name)
        .unwrap_or_else(|| panic!("the server holds no upload named {name}"));
    std::fs::read(path).expect("read the uploaded file")
}

/// A TCP relay on 127.0.0.1 in front of another address: bytes from the client reach the
/// server at about `bytes_per_second`, answers come back at full speed. Stops when dropped.
pub struct SlowLink {
    port: u16,
    stop: CancellationToken,
}

/// How many bytes the relay passes on per step.
const SLOW_LINK_STEP: usize = 16 * 1024;

impl SlowLink {
    /// Starts a relay to the host and port of `upstream_url`.
    pub async fn start(upstream_url: &str, bytes_per_second: u64) -> SlowLink {
        let parsed = url::Url::parse(upstream_url).expect("a valid upstream URL");
        let upstream = format!(
            "{}:{}",
            parsed.host_str().expect("an upstream host"),
            parsed.port_or_known_default().expect("an upstream port")
        );
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the relay");
        let port = listener.local_addr().expect("the relay's address").port();
        let stop = CancellationToken::new();
        let pause = Duration::from_secs_f64(SLOW_LINK_STEP as f64 / bytes_per_second as f64);
        let token = stop.clone();
        tokio::spawn(async move {
            loop {
                let client = tokio::select! {
                    _ = token.cancelled() => return,
                    accepted = listener.accept() => match accepted {
                        Ok((client, _)) => client,
                        Err(_) => continue,
                    },
                };
                let upstream = upstream.clone();
                let token = token.clone();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = token.cancelled() => {}
                        _ = relay(client, server, pause) => {}
                    }
                });
            }
        });
        SlowLink { port, stop }
    }

    /// `url` with its host and port replaced by the relay's.
    pub fn url(&self, url: &str) -> String {
        let mut url = url::Url::parse(url).expect("a valid URL");
        url.set_port(Some(self.port))
            .expect("an http URL takes a port");
        url.into()
    }
}

impl Drop for SlowLink {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Copies client → server in steps with a pause after each, server → client at once; ends when
/// either side closes.
async fn relay(client: TcpStream, server: TcpStream, pause: Duration) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let upward = async {
        let mut buffer = vec![0; SLOW_LINK_STEP];
        loop {
            let read = match client_read.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(read) => read,
            };
            if server_write.write_all(&buffer[..read]).await.is_err() {
                return;
            }
            tokio::time::sleep(pause).await;
        }
    };
    let downward = async {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
    };
    tokio::select! {
        _ = upward => {}
        _ = downward => {}
    }
}
