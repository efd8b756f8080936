"""nginx from Debian serving a folder on 127.0.0.1, with its own config in a private directory."""

import socket
import subprocess
import time
from pathlib import Path

CONFIG = """\
worker_processes 1;
daemon off;
pid {home}/nginx.pid;
error_log {home}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {home}/temp/body;
    proxy_temp_path {home}/temp/proxy;
    fastcgi_temp_path {home}/temp/fastcgi;
    uwsgi_temp_path {home}/temp/uwsgi;
    scgi_temp_path {home}/temp/scgi;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    default_type application/octet-stream;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        # The same files, each connection held to 20 MB/s as many servers and CDNs do.
        location /capped/ {{
            alias {root}/;
            limit_rate 20m;
        }}
    }}
}}
"""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class NginxServer:
    """Serves `root` over HTTP/1.1 (Range, ETag, Last-Modified) until the context exits, and
    the same files under `capped/` at 20 MB/s per connection (`limit_rate 20m`).

    `home` holds the config, pid file, error log and temp folders; nginx's worker runs as
    `nobody` when started by root, so `root` and the files in it must be world-readable.
    """

    def __init__(self, root: Path, home: Path):
        self.root = root
        self.home = home
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        """URL of `root`, with a trailing slash."""
        return f"http://127.0.0.1:{self.port}/"

    def __enter__(self) -> "NginxServer":
        (self.home / "temp").mkdir(parents=True, exist_ok=True)
        config = self.home / "nginx.conf"
        config.write_text(CONFIG.format(home=self.home, port=self.port, root=self.root))
        self.process = subprocess.Popen(
            ["nginx", "-p", str(self.home), "-c", str(config), "-e", str(self.home / "error.log")],
            stdin=subprocess.DEVNULL,
        )
        self._wait_until_listening()
        return self

    def __exit__(self, *exc_info) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = (self.home / "error.log").read_text(errors="replace")
                raise RuntimeError(f"nginx exited with {self.process.returncode}:\n{log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"nginx did not listen on 127.0.0.1:{self.port}")
