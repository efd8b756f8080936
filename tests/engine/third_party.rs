//! Web servers nobody here wrote, from Debian: nginx, lighttpd and apache2, each serving one
//! directory on 127.0.0.1 as one foreground process with a configuration, pid file and logs of
//! its own in a temporary directory (no system service, nothing under /etc), killed when dropped.
//!
//! Every server writes the same access log line, so tests can see what each request asked for
//! and got: `METHOD PATH STATUS BODY_BYTES RANGE IF-RANGE` (`-` for a missing header).

use std::fmt;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// How many times [`ThirdPartyServer::start`] tries to connect before giving up, 20 ms apart.
const STARTUP_POLLS: usize = 250;

/// Which server software.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Software {
    /// nginx (Debian package nginx-light).
    Nginx,
    /// lighttpd (Debian package lighttpd).
    Lighttpd,
    /// Apache httpd (Debian package apache2).
    Apache2,
}

impl fmt::Display for Software {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Software::Nginx => "nginx",
            Software::Lighttpd => "lighttpd",
            Software::Apache2 => "apache2",
        })
    }
}

/// Whether the server answers `Range` requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ranges {
    /// Byte ranges as the server serves them out of the box.
    Served,
    /// Turned off in the configuration: every `Range` is ignored and answered with the whole file.
    Ignored,
}

impl Software {
    /// The executable, where Debian installs it.
    fn binary(self) -> &'static str {
        match self {
            Software::Nginx => "/usr/sbin/nginx",
            Software::Lighttpd => "/usr/sbin/lighttpd",
            Software::Apache2 => "/usr/sbin/apache2",
        }
    }

    /// The Debian package that provides [`Software::binary`].
    fn package(self) -> &'static str {
        match self {
            Software::Nginx => "nginx-light",
            Software::Lighttpd => "lighttpd",
            Software::Apache2 => "apache2",
        }
    }

    /// The configuration serving `root` on `addr` with every other path inside `dir`.
    fn config(self, dir: &Path, root: &Path, addr: SocketAddr, ranges: Ranges) -> String {
        let files = ServerFiles::in_dir(dir);
        match self {
            Software::Nginx => nginx_config(&files, root, addr, ranges),
            Software::Lighttpd => lighttpd_config(&files, root, addr, ranges),
            Software::Apache2 => apache2_config(&files, root, addr, ranges),
        }
    }

    /// The command that runs the server in the foreground as one process on `conf`.
    fn command(self, dir: &Path, conf: &Path) -> Command {
        let mut command = Command::new(self.binary());
        match self {
            Software::Nginx => {
                command
                    .arg("-p")
                    .arg(dir)
                    .arg("-e")
                    .arg(ServerFiles::in_dir(dir).error_log)
                    .arg("-c")
                    .arg(conf)
                    .args(["-g", "daemon off;"]);
            }
            Software::Lighttpd => {
                command.arg("-D").arg("-f").arg(conf);
            }
            Software::Apache2 => {
                // -X: one process, in the foreground, so killing it leaves nothing behind.
                command.arg("-X").arg("-f").arg(conf).arg("-d").arg(dir);
            }
        }
        command
    }
}

/// The paths a server writes, all inside its own temporary directory.
struct ServerFiles {
    dir: PathBuf,
    pid: PathBuf,
    access_log: PathBuf,
    error_log: PathBuf,
}

impl ServerFiles {
    fn in_dir(dir: &Path) -> ServerFiles {
        ServerFiles {
            dir: dir.to_owned(),
            pid: dir.join("server.pid"),
            access_log: dir.join("access.log"),
            error_log: dir.join("error.log"),
        }
    }
}

/// A running third-party server serving one directory; it is killed when dropped.
pub struct ThirdPartyServer {
    software: Software,
    addr: SocketAddr,
    child: Child,
    /// Holds the configuration, pid file, logs and temporary paths.
    dir: tempfile::TempDir,
}

impl ThirdPartyServer {
    /// Starts `software` serving `root` on `127.0.0.1:<free port>` and waits until it accepts
    /// connections. Fails the test if the server is not installed or does not start.
    ///
    /// Blocking (it runs a process and polls a socket), so it works under paused tokio time.
    pub fn start(software: Software, root: &Path, ranges: Ranges) -> ThirdPartyServer {
        let binary = software.binary();
        assert!(
            Path::new(binary).exists(),
            "{binary} is missing: install Debian's {package} (`apt-get install {package}`) to run the {software} tests",
            package = software.package(),
        );
        let dir = tempfile::Builder::new()
            .prefix(&format!("ferry-{software}-"))
            .tempdir()
            .unwrap_or_else(|e| panic!("create {software}'s directory: {e}"));
        let addr = free_port();
        let conf = dir.path().join(format!("{software}.conf"));
        std::fs::write(&conf, software.config(dir.path(), root, addr, ranges))
            .unwrap_or_else(|e| panic!("write {}: {e}", conf.display()));
        let child = software
            .command(dir.path(), &conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {binary}: {e}"));
        let mut server = ThirdPartyServer {
            software,
            addr,
            child,
            dir,
        };
        server.wait_until_listening();
        server
    }

    /// A new folder (`label` shows in its name) holding one file `name` with `bytes`, and
    /// `software` serving that folder, as [`ThirdPartyServer::start`] does.
    pub fn serving_one_file(
        software: Software,
        label: &str,
        name: &str,
        bytes: &[u8],
        ranges: Ranges,
    ) -> (tempfile::TempDir, ThirdPartyServer) {
        let root = crate::util::temp_dir(label);
        std::fs::write(root.path().join(name), bytes).expect("write the served file");
        let server = ThirdPartyServer::start(software, root.path(), ranges);
        (root, server)
    }

    /// Which server this is.
    pub fn software(&self) -> Software {
        self.software
    }

    /// The URL of `path` (which starts with `/`), relative to the served directory.
    pub fn url(&self, path: &str) -> String {
        assert!(
            path.starts_with('/'),
            "a served path starts with '/': {path:?}"
        );
        format!("http://{}{path}", self.addr)
    }

    /// The requests the server logged so far, in the order it finished them.
    pub fn access_log(&self) -> Vec<LoggedRequest> {
        let path = ServerFiles::in_dir(self.dir.path()).access_log;
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        text.lines()
            .map(|line| {
                LoggedRequest::parse(line).unwrap_or_else(|| {
                    panic!("{}: not an access log line: {line:?}", self.software)
                })
            })
            .collect()
    }

    fn wait_until_listening(&mut self) {
        let software = self.software;
        for _ in 0..STARTUP_POLLS {
            if let Some(status) = self.child.try_wait().expect("check on the server") {
                panic!(
                    "{software} exited at start ({status}): {}",
                    self.error_log()
                );
            }
            if TcpStream::connect(self.addr).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "{software} did not listen on {} in time: {}",
            self.addr,
            self.error_log()
        );
    }

    fn error_log(&self) -> String {
        let path = ServerFiles::in_dir(self.dir.path()).error_log;
        std::fs::read_to_string(path).unwrap_or_else(|e| format!("(no error log: {e})"))
    }
}

impl Drop for ThirdPartyServer {
    fn drop(&mut self) {
        // One process each (nginx without a master, lighttpd -D, apache2 -X).
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One line of a server's access log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedRequest {
    /// `GET`, `HEAD`, ...
    pub method: String,
    /// The request path.
    pub path: String,
    /// The answer's status.
    pub status: u16,
    /// Body bytes sent (all of them when the request ran to its end).
    pub bytes: u64,
    /// The `Range` header, if sent.
    pub range: Option<String>,
    /// The `If-Range` header, if sent (as the server logs it, possibly escaped).
    pub if_range: Option<String>,
}

impl LoggedRequest {
    fn parse(line: &str) -> Option<LoggedRequest> {
        let mut words = line.splitn(6, ' ');
        let header = |word: &str| (word != "-").then(|| word.to_owned());
        Some(LoggedRequest {
            method: words.next()?.to_owned(),
            path: words.next()?.to_owned(),
            status: words.next()?.parse().ok()?,
            // apache's %B and nginx's $body_bytes_sent write 0 for none; lighttpd writes `-`.
            bytes: words.next().map(|b| b.parse().unwrap_or(0))?,
            range: header(words.next()?),
            if_range: header(words.next()?),
        })
    }

    /// The first byte a `Range: bytes=N-...` asked for.
    pub fn range_start(&self) -> Option<u64> {
        let spec = self.range.as_deref()?.strip_prefix("bytes=")?;
        spec.split('-').next()?.parse().ok()
    }
}

/// A port that was free a moment ago: bind port 0, read the port, release it.
fn free_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0 to find a free port");
    listener
        .local_addr()
        .expect("a bound listener has an address")
}

/// nginx: one process (`master_process off`), ranges off with `max_ranges 0`.
fn nginx_config(files: &ServerFiles, root: &Path, addr: SocketAddr, ranges: Ranges) -> String {
    let inside = |name: &str| files.dir.join(name).display().to_string();
    let max_ranges = match ranges {
        Ranges::Served => "",
        Ranges::Ignored => "max_ranges 0;",
    };
    // As root, workers would otherwise switch to an unprivileged user that cannot read the
    // test's private directories; for other users nginx ignores the directive.
    format!(
        "user root;
master_process off;
worker_processes 1;
pid {pid};
events {{ worker_connections 64; }}
http {{
    log_format ferry '$request_method $uri $status $body_bytes_sent $http_range $http_if_range';
    access_log {access} ferry;
    client_body_temp_path {body};
    proxy_temp_path {proxy};
    fastcgi_temp_path {fastcgi};
    uwsgi_temp_path {uwsgi};
    scgi_temp_path {scgi};
    default_type application/octet-stream;
    sendfile on;
    {max_ranges}
    server {{
        listen {addr};
        root {root};
    }}
}}
",
        pid = files.pid.display(),
        access = files.access_log.display(),
        body = inside("client_body"),
        proxy = inside("proxy"),
        fastcgi = inside("fastcgi"),
        uwsgi = inside("uwsgi"),
        scgi = inside("scgi"),
        root = root.display(),
    )
}

/// lighttpd: ranges off with `server.range-requests = "disable"`. A MIME type for every file,
/// because lighttpd sends neither ETag nor Last-Modified for a file of unknown type; no stat
/// cache, so a file changed by a test shows its new validators at once.
fn lighttpd_config(files: &ServerFiles, root: &Path, addr: SocketAddr, ranges: Ranges) -> String {
    let range_requests = match ranges {
        Ranges::Served => "enable",
        Ranges::Ignored => "disable",
    };
    format!(
        r#"server.document-root = "{root}"
server.bind = "{ip}"
server.port = {port}
server.pid-file = "{pid}"
server.errorlog = "{error}"
server.modules = ( "mod_accesslog", "mod_staticfile" )
server.stat-cache-engine = "disable"
server.range-requests = "{range_requests}"
mimetype.assign = ( "" => "application/octet-stream" )
accesslog.filename = "{access}"
accesslog.format = "%m %U %>s %b %{{Range}}i %{{If-Range}}i"
"#,
        root = root.display(),
        ip = addr.ip(),
        port = addr.port(),
        pid = files.pid.display(),
        error = files.error_log.display(),
        access = files.access_log.display(),
    )
}

/// apache2: the MPM and access control as modules, ranges off with `MaxRanges none`.
fn apache2_config(files: &ServerFiles, root: &Path, addr: SocketAddr, ranges: Ranges) -> String {
    const MODULES: &str = "/usr/lib/apache2/modules";
    let max_ranges = match ranges {
        Ranges::Served => "",
        Ranges::Ignored => "MaxRanges none",
    };
    format!(
        r#"ServerName 127.0.0.1
Listen {addr}
LoadModule mpm_prefork_module {MODULES}/mod_mpm_prefork.so
LoadModule authz_core_module {MODULES}/mod_authz_core.so
PidFile {pid}
DefaultRuntimeDir {dir}
Mutex file:{dir} default
ErrorLog {error}
LogFormat "%m %U %>s %B %{{Range}}i %{{If-Range}}i" ferry
CustomLog {access} ferry
DocumentRoot {root}
<Directory {root}>
    Require all granted
</Directory>
{max_ranges}
"#,
        pid = files.pid.display(),
        dir = files.dir.display(),
        error = files.error_log.display(),
        access = files.access_log.display(),
        root = root.display(),
    )
}

#[test]
fn access_log_lines_are_parsed_with_and_without_range_headers() {
    let line = "GET /f.bin 206 999990 bytes=10- \"f4240-661ba2409bf7b\"";
    let request = LoggedRequest::parse(line).unwrap();
    assert_eq!(request.status, 206);
    assert_eq!(request.range_start(), Some(10));
    assert!(request.if_range.is_some());
    let dated =
        LoggedRequest::parse("GET /f 206 5 bytes=1- Thu, 01 Jan 2026 00:00:00 GMT").unwrap();
    assert_eq!(
        dated.if_range.as_deref(),
        Some("Thu, 01 Jan 2026 00:00:00 GMT")
    );
    let plain = LoggedRequest::parse("HEAD /f.bin 200 - - -").unwrap();
    assert_eq!((plain.bytes, plain.range, plain.if_range), (0, None, None));
}
