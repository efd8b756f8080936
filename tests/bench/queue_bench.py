#!/usr/bin/env -S python3 -B
"""Ferry's queue benchmark: a queue of many jobs (10,000 by default) in a real owner.

Each round starts `ferry service` on a fresh data folder (policies raised so that one user may
hold every job) and drives it over one connection to its socket (PROTOCOL.md), with requests
pipelined so that what is timed is the owner, not process starts or round trips:

  1. creating N download jobs (`create_with_files`, one file each): the time in all, and the
     owner's time for the first 100 jobs against the last 100; then resuming them (`resume`);
  2. the owner's resident set (VmRSS) with N jobs queued;
  3. one listing (`list`): from the request to the last byte of the answer (not parsed);
  4. Pause all (`suspend_all`) while one job connects and the others wait QUEUED: the time to
     its answer, and how many jobs changed state to anything but SUSPENDED while it ran (from
     the event stream of a second connection) and how many connections reached the server
     during it (none should: nothing may start while a bulk verb runs);
  5. the store reopened: the owner stopped and started again on the same data folder, timed
     from the start of the process to its first answer (`hello`: process start, store open
     and reload, the first scheduling pass, the socket) and to the answer of a `list` of the
     N jobs.

The files' URLs point at a local server that accepts connections, counts them, and never
answers, so the job that runs stays CONNECTING and nothing is downloaded.

Prints Markdown; `run(ferry, rounds, jobs)` returns the section's lines for bench.py.
"""

import argparse
import itertools
import json
import os
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from owner import Owner

REPO = Path(__file__).resolve().parents[2]
# Requests in flight at once on the connection (enough to keep the owner busy, few enough that
# neither side's socket buffer fills while the other waits).
PIPELINE = 64
MIB = 1024 * 1024


@dataclass(frozen=True)
class Round:
    """What one round measured."""

    create_s: float
    resume_s: float
    first_100_ms: float
    last_100_ms: float
    rss_mib: float
    list_ms: float
    pause_all_ms: float
    paused: int
    other_changes: int
    connections_during_pause: int
    reopen_hello_ms: float
    reopen_ms: float


class SilentServer:
    """A TCP server on 127.0.0.1 that accepts connections, counts them, and never answers."""

    def __init__(self) -> None:
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1024)
        self.port = self.listener.getsockname()[1]
        self.accepted = 0
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> "SilentServer":
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.listener.close()
        for held in self.held:
            held.close()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.accepted += 1
            self.held.append(connection)


class Connection:
    """One connection to the owner's socket: JSON lines both ways (PROTOCOL.md)."""

    def __init__(self, path: Path) -> None:
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.socket.connect(str(path))
        self.reader = self.socket.makefile("rb")
        self.ids = itertools.count(1)

    def close(self) -> None:
        self.reader.close()
        self.socket.close()

    def send(self, call: str, args: dict | None = None) -> int:
        request_id = next(self.ids)
        frame = {"v": 1, "id": request_id, "call": call}
        if args is not None:
            frame["args"] = args
        self.socket.sendall(json.dumps(frame).encode() + b"\n")
        return request_id

    def read_frame(self) -> dict:
        line = self.reader.readline()
        if not line:
            raise RuntimeError("the owner closed the connection")
        return json.loads(line)

    def answer(self, request_id: int) -> object:
        """Reads frames up to the answer to `request_id` (events are skipped)."""
        while True:
            frame = self.read_frame()
            if frame.get("id") == request_id:
                if "error" in frame:
                    raise RuntimeError(f"the owner refused a request: {frame['error']}")
                return frame["ok"]

    def call(self, call: str, args: dict | None = None) -> object:
        return self.answer(self.send(call, args))

    def timed_call(self, call: str) -> tuple[float, object]:
        """Calls `call` on a connection without a subscription (so the next line is its answer);
        returns the milliseconds until the answer's last byte arrived, not counting the time
        Python takes to parse it, and the answer."""
        started = time.monotonic()
        self.send(call)
        line = self.reader.readline()
        took = (time.monotonic() - started) * 1000
        frame = json.loads(line)
        if "ok" not in frame:
            raise RuntimeError(f"the owner refused {call}: {frame}")
        return took, frame["ok"]

    def pipelined(self, requests: list[tuple[str, dict]]) -> list[float]:
        """Sends `requests` with at most PIPELINE in flight; returns when each answer arrived
    (monotonic seconds), in order."""
        sent: list[int] = []
        arrived: list[float] = []
        pending = iter(requests)
        for call, args in itertools.islice(pending, PIPELINE):
            sent.append(self.send(call, args))
        while len(arrived) < len(sent):
            self.answer(sent[len(arrived)])
            arrived.append(time.monotonic())
            following = next(pending, None)
            if following is not None:
                sent.append(self.send(*following))
        return arrived


def run(ferry: Path, rounds: int, jobs: int) -> list[str]:
    """Runs `rounds` rounds of `jobs` jobs and returns a Markdown section with the medians."""
    load_before = os.getloadavg()[0]
    workdir = Path(tempfile.mkdtemp(prefix="ferry-queue-bench-"))
    try:
        measured = []
        for index in range(rounds):
            result = run_round(ferry, jobs, workdir / f"round-{index}")
            print(f"queue of {jobs:,} jobs, round {index + 1}/{rounds}: {result}",
                  file=sys.stderr)
            measured.append(result)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return render(measured, jobs, load_before, workdir)


def owner_settings(jobs: int) -> dict:
    """No desktop notifications, and one user may hold every job."""
    limit = max(jobs * 2, 300)
    return {"notifications_enabled": False,
            "policies": {"MaxJobsPerUser": limit, "MaxJobsPerMachine": limit}}


def run_round(ferry: Path, jobs: int, scratch: Path) -> Round:
    data, out, runtime = scratch / "data", scratch / "out", scratch / "runtime"
    out.mkdir(parents=True)
    settings = owner_settings(jobs)
    with SilentServer() as server:
        with Owner(ferry, data, runtime, settings) as owner:
            client = Connection(owner.socket())
            create_s, resume_s, first_100, last_100 = create_jobs(client, server.port, out,
                                                                  jobs)
            rss = rss_mib(owner.process.pid)
            list_ms, _ = client.timed_call("list")
            pause = pause_all(client, owner, server)
            client.close()
        started = time.monotonic()
        with Owner(ferry, data, runtime, settings) as reopened:
            client = Connection(reopened.socket())
            client.call("hello")
            hello_ms = (time.monotonic() - started) * 1000
            _, listed = client.timed_call("list")
            reopen_ms = (time.monotonic() - started) * 1000
            client.close()
        if len(listed) != jobs:
            raise RuntimeError(f"the reopened store lists {len(listed)} jobs, not {jobs}")
    shutil.rmtree(scratch, ignore_errors=True)
    return Round(create_s, resume_s, first_100, last_100, rss, list_ms, *pause, hello_ms,
                 reopen_ms)


def create_jobs(client: Connection, port: int, out: Path, jobs: int) -> tuple[float, float,
                                                                                float, float]:
    """Creates `jobs` jobs, then resumes them; returns the seconds each took in all and the
    milliseconds the first and the last 100 creations took."""
    creations = [("create_with_files", {
        "display_name": f"job {n}", "job_type": "DOWNLOAD", "priority": "NORMAL",
        "files": [{"remote_url": f"http://127.0.0.1:{port}/f{n}",
                   "local_path": str(out / f"f{n}.bin")}],
        "credentials": None, "reply_file_name": None}) for n in range(jobs)]
    started = time.monotonic()
    arrived = client.pipelined(creations)
    create_s = time.monotonic() - started
    listed = client.call("list")
    started = time.monotonic()
    client.pipelined([("resume", {"job": job["id"]}) for job in listed])
    resume_s = time.monotonic() - started
    span = min(100, jobs - 1)
    first = (arrived[span] - arrived[0]) * 1000
    last = (arrived[-1] - arrived[-1 - span]) * 1000
    return create_s, resume_s, first, last


def pause_all(client: Connection, owner: Owner, server: SilentServer) -> tuple[float, int, int,
                                                                                 int]:
    """Pause all, timed; returns its milliseconds, the jobs it paused, the jobs that changed
    state to anything else meanwhile (-1 when the owner dropped events for a snapshot), and
    the connections the server saw meanwhile."""
    watcher = Connection(owner.socket())
    watcher.call("subscribe")
    connections_before = server.accepted
    started = time.monotonic()
    paused = client.call("suspend_all")
    pause_ms = (time.monotonic() - started) * 1000
    connections = server.accepted - connections_before
    # Answers and events share the watcher's connection in order: the answer to this marker
    # comes after every event the sweep sent.
    marker = watcher.send("hello")
    others = 0
    while True:
        frame = watcher.read_frame()
        if frame.get("id") == marker:
            break
        event = frame.get("event", {})
        if event.get("kind") == "snapshot":
            others = -1
        elif event.get("kind") == "state_changed" and others >= 0:
            others += event["job"]["state"] != "SUSPENDED"
    watcher.close()
    return pause_ms, paused, others, connections


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in the owner's status")


def render(measured: list[Round], jobs: int, load_before: float, workdir: Path) -> list[str]:
    def median(field: str) -> float:
        return statistics.median(getattr(r, field) for r in measured)

    def spread(field: str) -> str:
        values = [getattr(r, field) for r in measured]
        return f"{min(values):.4g}–{max(values):.4g}"

    others = [r.other_changes for r in measured]
    others_text = ("events dropped (snapshot)" if -1 in others
                   else f"{max(others)} (most in a round)")
    rows = [
        ("Create the jobs (`create_with_files`, s)", "create_s", "≤ 6"),
        ("… the first 100 jobs (ms)", "first_100_ms", "same as the last 100"),
        ("… the last 100 jobs (ms)", "last_100_ms", "same as the first 100"),
        ("Resume the jobs (`resume`, s)", "resume_s", ""),
        ("Owner RSS with the jobs queued (MiB)", "rss_mib", "≤ 40"),
        ("Store reopen: owner start to its first answer (ms)", "reopen_hello_ms", "≤ 150"),
        ("… and to a listing of every job answered (ms)", "reopen_ms", ""),
        ("One listing (ms)", "list_ms", ""),
        ("Pause all (ms)", "pause_all_ms", ""),
    ]
    lines = [
        f"## A queue of {jobs:,} jobs",
        "",
        f"Median of {len(measured)} rounds (range in brackets), each on a fresh data folder in "
        f"{filesystem_of(workdir.parent)}; {os.cpu_count()} CPU cores; 1-minute load average "
        f"when the run started: {load_before:.1f}. One connection to the owner's socket, "
        f"{PIPELINE} requests in flight. Each job has one file on a local server that never "
        "answers, so one job stays CONNECTING and the rest QUEUED. The reopen times count the "
        "owner's process start, the store's load, the first scheduling pass and the socket "
        "(to the answer of `hello`), then one listing of every job. A listing is timed to the "
        "last byte of its answer (Python's parsing of it not counted).",
        "",
        "| Measure | Median | Range | Target |",
        "| --- | ---: | --- | --- |",
    ]
    for label, field, target in rows:
        lines.append(f"| {label} | {median(field):.4g} | {spread(field)} | {target} |")
    lines += [
        f"| Jobs Pause all paused | {median('paused'):.0f} | {spread('paused')} | every job |",
        f"| Jobs that changed state to anything else during Pause all | {others_text} | | 0 |",
        f"| Connections to the server during Pause all | "
        f"{max(r.connections_during_pause for r in measured)} (most in a round) | | 0 |",
        "",
    ]
    return lines


def filesystem_of(path: Path) -> str:
    import subprocess
    found = subprocess.run(["df", "--output=fstype", str(path)], capture_output=True,
                           text=True).stdout.split()
    return found[-1] if found else "an unknown file system"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ferry", default=None,
                        help="the `ferry` binary to measure (default: the deb profile build in "
                             "$CARGO_TARGET_DIR)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (default 3)")
    parser.add_argument("--jobs", type=int, default=10_000, help="jobs (default 10000)")
    args = parser.parse_args()
    target = Path(os.environ.get("CARGO_TARGET_DIR", Path.home() / ".cache/ferry/target"))
    ferry = Path(args.ferry).resolve() if args.ferry else target / "deb" / "ferry"
    sys.stdout.write("\n".join(run(ferry, args.rounds, args.jobs)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
