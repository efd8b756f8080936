//! nginx from Debian as a real third-party server for ranges and validators: it serves a
//! directory on 127.0.0.1 with a configuration, logs and temporary files of its own.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Where Debian's nginx (packages nginx-light, nginx) lives.
const NGINX: &str = "/usr/sbin/nginx";
/// How many times [`Nginx::start`] tries to connect before giving up, 20 ms apart.
const STARTUP_POLLS: usize = 250;

/// A running nginx serving one directory; it is killed when dropped.
pub struct Nginx {
    addr: SocketAddr,
    child: Child,
    /// Holds the configuration, pid file, logs and temporary paths.
    prefix: tempfile::TempDir,
}

impl Nginx {
    /// Starts nginx serving `root` on `127.0.0.1:<free port>` and waits until it accepts
    /// connections. Fails the test if nginx is not installed or does not start.
    ///
    /// Blocking (it runs a process and polls a socket), so it works under paused tokio time.
    pub fn start(root: &Path) -> Nginx {
        assert!(
            Path::new(NGINX).exists(),
            "{NGINX} is missing: install Debian's nginx-light (`apt-get install nginx-light`) to run the nginx tests"
        );
        let prefix = tempfile::Builder::new()
            .prefix("ferry-nginx-")
            .tempdir()
            .expect("create nginx's directory");
        let addr = free_port();
        let conf = prefix.path().join("nginx.conf");
        std::fs::write(&conf, config(prefix.path(), root, addr)).expect("write nginx.conf");
        let child = Command::new(NGINX)
            .arg("-p")
            .arg(prefix.path())
            .arg("-e")
            .arg(prefix.path().join("error.log"))
            .arg("-c")
            .arg(&conf)
            .args(["-g", "daemon off;"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {NGINX}: {e}"));
        let mut nginx = Nginx {
            addr,
            child,
            prefix,
        };
        nginx.wait_until_listening();
        nginx
    }

    /// A new folder (`label` shows in its name) holding one file `name` with `bytes`, and nginx
    /// serving that folder, as [`Nginx::start`] does.
    pub fn serving_one_file(label: &str, name: &str, bytes: &[u8]) -> (tempfile::TempDir, Nginx) {
        let root = crate::util::temp_dir(label);
        std::fs::write(root.path().join(name), bytes).expect("write the served file");
        let nginx = Nginx::start(root.path());
        (root, nginx)
    }

    /// The URL of `path` (which starts with `/`), relative to the served directory.
    pub fn url(&self, path: &str) -> String {
        assert!(
            path.starts_with('/'),
            "an nginx path starts with '/': {path:?}"
        );
        format!("http://{}{path}", self.addr)
    }

    fn wait_until_listening(&mut self) {
        for _ in 0..STARTUP_POLLS {
            if let Some(status) = self.child.try_wait().expect("check on nginx") {
                panic!("nginx exited at start ({status}): {}", self.error_log());
            }
            if TcpStream::connect(self.addr).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "nginx did not listen on {} in time: {}",
            self.addr,
            self.error_log()
        );
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.prefix.path().join("error.log"))
            .unwrap_or_else(|e| format!("(no error log: {e})"))
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // One process (master_process off), so killing it leaves nothing behind.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port that was free a moment ago: bind port 0, read the port, release it.
fn free_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0 to find a free port");
    listener
        .local_addr()
        .expect("a bound listener has an address")
}

/// A minimal static-file configuration with every path inside `prefix`.
fn config(prefix: &Path, root: &Path, addr: SocketAddr) -> String {
    let inside = |name: &str| -> PathBuf { prefix.join(name) };
    // As root, workers would otherwise switch to an unprivileged user that cannot read the
    // test's private directories; for other users nginx ignores the directive.
    format!(
        "user root;
master_process off;
worker_processes 1;
pid {pid};
events {{ worker_connections 64; }}
http {{
    access_log {access};
    client_body_temp_path {body};
    proxy_temp_path {proxy};
    fastcgi_temp_path {fastcgi};
    uwsgi_temp_path {uwsgi};
    scgi_temp_path {scgi};
    default_type application/octet-stream;
    sendfile on;
    server {{
        listen {addr};
        root {root};
    }}
}}
",
        pid = inside("nginx.pid").display(),
        access = inside("access.log").display(),
        body = inside("client_body").display(),
        proxy = inside("proxy").display(),
        fastcgi = inside("fastcgi").display(),
        uwsgi = inside("uwsgi").display(),
        scgi = inside("scgi").display(),
        root = root.display(),
    )
}
