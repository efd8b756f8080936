"""A Ferry owner (`ferry service`) for one measured round: started on a fresh data folder before
the round, so its start-up is not timed, and read from /proc while its client runs."""

import hashlib
import json
import os
import subprocess
import time
from pathlib import Path

# How long the owner gets to listen, then to stop.
PATIENCE_S = 20


class Owner:
    """`ferry service --data-dir DATA` with a runtime folder of its own (`XDG_RUNTIME_DIR`), so
    its socket is the benchmark's alone; stopped with `ferry stop` on leaving the block."""

    def __init__(self, ferry: Path, data_dir: Path, runtime_dir: Path, settings: dict):
        self.ferry = ferry
        self.data_dir = data_dir.resolve()
        self.runtime_dir = runtime_dir
        self.settings = settings
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Owner":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.runtime_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        (self.data_dir / "settings.json").write_text(json.dumps(self.settings))
        self.process = subprocess.Popen(
            [str(self.ferry), "--data-dir", str(self.data_dir), "service"],
            env=self.env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + PATIENCE_S
        while not self.socket().exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"ferry service did not start; see {self.data_dir}/ferry.log")
            time.sleep(0.02)
        return self

    def __exit__(self, *_exc) -> None:
        subprocess.run([str(self.ferry), "--data-dir", str(self.data_dir), "stop"],
                       env=self.env(), stdin=subprocess.DEVNULL, capture_output=True)
        try:
            self.process.wait(timeout=PATIENCE_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def env(self) -> dict[str, str]:
        """The environment of `ferry` commands that talk to this owner."""
        return {**os.environ, "XDG_RUNTIME_DIR": str(self.runtime_dir),
                "FERRY_PROGRAM": str(self.ferry)}

    def socket(self) -> Path:
        """Where the owner listens: named after the digest of the data folder's path."""
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:16]
        return self.runtime_dir / "ferry" / f"owner-{digest}.sock"

    def cpu_seconds(self) -> float:
        """User + system time the owner has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        # utime and stime: fields 14 and 15 of stat; the first field after the name is field 3.
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_kib(self) -> int:
        """The owner's peak resident set so far (VmHWM)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise RuntimeError("no VmHWM in the owner's status")
