#!/usr/bin/env -S python3 -B
"""Ferry's transfer benchmark: Ferry against curl and aria2c on the same local server.

nginx (from Debian) serves random data on 127.0.0.1. Each round downloads it once with every
tool, in rotating order, and every download is checked against the source's SHA-256:

  1. one 1 GiB file: `ferry transfer` vs `curl` vs `aria2c -x1 -s1` (one connection each);
  2. 1,000 files of 64 KiB in one job (`ferry transfer` with 1,000 URL PATH pairs) vs
     `aria2c -i -j1`;
  3. the 1 GiB file with a SHA-256 check (`ferry transfer --checksum sha256:…`) vs without: the
     cost of checking (Ferry hashes every file with SHA-256 either way, while it writes it);
  4. one 400 MiB file from nginx holding each connection to 20 MB/s (`limit_rate 20m`):
     `ferry transfer --connections 8` vs `curl` vs `aria2c -x8 -s8 -k1M`.

Ferry is two processes: the owner (`ferry service`), which does the transfer, and the
`ferry transfer` client. Each Ferry round starts an owner on a fresh data folder beforehand (its
start-up is not timed) and counts both: the client's wall time, the CPU time of the client and
of the owner during the round, and the sum of their peak resident sets.

Prints the medians and Ferry's ratios as Markdown and writes them to tests/bench/results.md.
Run it with `make bench`; `--help` lists the knobs (smaller sizes, fewer rounds, some tools).
"""

import argparse
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from measure import Sample, median_sample, run_measured, sha256_of
from nginx_server import NginxServer
from owner import Owner
from report import ScenarioResult, render

REPO = Path(__file__).resolve().parents[2]
BIG_NAME = "big.bin"
CAPPED_NAME = "capped.bin"
CHUNK = 8 << 20


@dataclass(frozen=True)
class Tool:
    """One way of downloading a scenario's files: `command(out_dir, data_dir)`; Ferry's tools
    talk to an owner on `data_dir` (see `run_once`)."""

    key: str
    label: str
    command: Callable[[Path, Path], list[str]]
    ferry: bool = False


@dataclass(frozen=True)
class Scenario:
    """Files served under one URL prefix and the tools that fetch them."""

    title: str
    expected: dict[str, str]  # file name -> SHA-256
    total_bytes: int
    tools: list[Tool]


def main() -> int:
    args = parse_args()
    tools = set(args.tools.split(","))
    os.environ.setdefault("CARGO_TARGET_DIR", str(Path.home() / ".cache/ferry/target"))
    ferry = Path(os.environ["CARGO_TARGET_DIR"]) / "release" / "ferry"
    if args.ferry:
        ferry = Path(args.ferry).resolve()
    elif tools & {"ferry", "checksum", "capped"}:
        build_ferry()

    load_before = os.getloadavg()[0]
    workdir = Path(tempfile.mkdtemp(prefix="ferry-bench-", dir=args.workdir))
    try:
        # nginx's worker runs as `nobody` when started by root: let it read the files.
        workdir.chmod(0o755)
        www = workdir / "www"
        big = write_big_file(www, args.size_mib << 20)
        small = write_small_files(www / "small", args.files, args.file_kib << 10)
        capped = (write_big_file(www, args.capped_mib << 20, CAPPED_NAME)
                  if "capped" in tools else {})
        with NginxServer(root=www, home=workdir / "nginx") as server:
            list_file = workdir / "small-urls.txt"
            list_file.write_text("".join(f"{server.base_url}small/{n}\n" for n in small))
            scenarios = define_scenarios(server.base_url, big, small, list_file, ferry, tools,
                                         args.size_mib, args.file_kib)
            scenarios.append(capped_scenario(server.base_url, capped, ferry, tools,
                                             args.capped_mib))
            settings = ferry_settings(len(small))
            results = [run_scenario(s, args.rounds, workdir / "run", ferry, settings)
                       for s in scenarios if s.tools]
            preamble = describe_setup(args.rounds, workdir, load_before)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    page = render(preamble, results)
    sys.stdout.write(page)
    Path(args.output).write_text(page)
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="downloads per tool (default 5)")
    parser.add_argument("--size-mib", type=int, default=1024, help="big file size (default 1024)")
    parser.add_argument("--files", type=int, default=1000, help="small files (default 1000)")
    parser.add_argument("--file-kib", type=int, default=64, help="small file size (default 64)")
    parser.add_argument("--capped-mib", type=int, default=400,
                        help="size of the file served at 20 MB/s per connection (default 400)")
    parser.add_argument("--tools", default="ferry,curl,aria2c,checksum,capped",
                        help="comma-separated subset of ferry,curl,aria2c,checksum,capped "
                             "(checksum: the 1 GiB file with a SHA-256 check and without; "
                             "capped: the file served at 20 MB/s per connection, by Ferry with "
                             "8 connections, curl and aria2c with 8)")
    parser.add_argument("--ferry", default=None,
                        help="the `ferry` binary to measure (default: a release build of it)")
    parser.add_argument("--workdir", default=None,
                        help="where the temporary files go (default: $TMPDIR)")
    parser.add_argument("--output", default=str(REPO / "tests/bench/results.md"),
                        help="Markdown file to write (default tests/bench/results.md)")
    return parser.parse_args()


def build_ferry() -> None:
    print("Building ferry (release)...", file=sys.stderr)
    subprocess.run(
        ["cargo", "build", "--release", "-p", "ferry-cli", "--bin", "ferry"],
        cwd=REPO, check=True,
    )


def ferry_settings(files: int) -> dict:
    """The owner's settings: no desktop notifications, and one job may hold every small file."""
    return {"notifications_enabled": False, "policies": {"MaxFilesPerJob": max(files, 200)}}


def write_big_file(folder: Path, size: int, name: str = BIG_NAME) -> dict[str, str]:
    """One file of `size` random bytes; returns {name: sha256}."""
    folder.mkdir(mode=0o755, parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with (folder / name).open("wb") as out:
        remaining = size
        while remaining:
            chunk = os.urandom(min(CHUNK, remaining))
            digest.update(chunk)
            out.write(chunk)
            remaining -= len(chunk)
    (folder / name).chmod(0o644)
    return {name: digest.hexdigest()}


def write_small_files(folder: Path, count: int, size: int) -> dict[str, str]:
    """`count` files of `size` random bytes; returns {name: sha256}."""
    folder.mkdir(mode=0o755, parents=True, exist_ok=True)
    expected = {}
    for index in range(count):
        path = folder / f"f{index:04d}.bin"
        path.write_bytes(os.urandom(size))
        path.chmod(0o644)
        expected[path.name] = sha256_of(path)
    return expected


def define_scenarios(base_url: str, big: dict[str, str], small: dict[str, str],
                     list_file: Path, ferry: Path, tools: set[str],
                     size_mib: int, file_kib: int) -> list[Scenario]:
    big_url = base_url + BIG_NAME
    aria2_common = ["aria2c", "-q", "--allow-overwrite=true", "--file-allocation=none"]

    def transfer(data: Path, *args: str) -> list[str]:
        return [str(ferry), "--data-dir", str(data), "transfer", *args]

    one_file = [
        Tool("ferry", "`ferry transfer`", lambda out, data: transfer(
            data, big_url, str(out / BIG_NAME)), ferry=True),
        Tool("curl", "`curl`", lambda out, data: [
            "curl", "-s", "-o", str(out / BIG_NAME), big_url]),
        Tool("aria2c", "`aria2c -x1 -s1`", lambda out, data: [
            *aria2_common, "-x1", "-s1", "-d", str(out), "-o", BIG_NAME, big_url]),
    ]
    many_files = [
        Tool("ferry", "`ferry transfer` (one job)", lambda out, data: transfer(
            data, "--name", "list",
            *(arg for name in small for arg in (f"{base_url}small/{name}", str(out / name)))),
            ferry=True),
        Tool("aria2c", "`aria2c -i -j1`", lambda out, data: [
            *aria2_common, "-i", str(list_file), "-j1", "-d", str(out)]),
    ]
    checksum = f"sha256:{big[BIG_NAME]}"
    checked = [
        Tool("checksum", "`ferry transfer --checksum sha256:…`", lambda out, data: transfer(
            data, "--checksum", checksum, big_url, str(out / BIG_NAME)), ferry=True),
        Tool("checksum", "`ferry transfer` (no checksum)", lambda out, data: transfer(
            data, big_url, str(out / BIG_NAME)), ferry=True),
    ]
    return [
        Scenario(f"One {_size_label(size_mib)} file", big, size_mib << 20,
                 [t for t in one_file if t.key in tools]),
        Scenario(f"{len(small):,} files × {file_kib} KiB in one job", small,
                 len(small) * (file_kib << 10),
                 [t for t in many_files if t.key in tools]),
        Scenario(f"One {_size_label(size_mib)} file with a SHA-256 check ÷ without", big,
                 size_mib << 20, [t for t in checked if t.key in tools]),
    ]


def capped_scenario(base_url: str, capped: dict[str, str], ferry: Path, tools: set[str],
                    size_mib: int) -> Scenario:
    """The file nginx serves at 20 MB/s per connection: Ferry with up to 8 connections per
    file, curl with one, aria2c with 8 (`-x8 -s8 -k1M`)."""
    url = f"{base_url}capped/{CAPPED_NAME}"
    aria2_common = ["aria2c", "-q", "--allow-overwrite=true", "--file-allocation=none"]
    wanted = [
        Tool("capped", "`ferry transfer --connections 8`", lambda out, data: [
            str(ferry), "--data-dir", str(data), "transfer", "--connections", "8", url,
            str(out / CAPPED_NAME)], ferry=True),
        Tool("capped", "`curl`", lambda out, data: [
            "curl", "-s", "-o", str(out / CAPPED_NAME), url]),
        Tool("capped", "`aria2c -x8 -s8 -k1M`", lambda out, data: [
            *aria2_common, "-x8", "-s8", "-k1M", "-d", str(out), "-o", CAPPED_NAME, url]),
    ]
    return Scenario(f"One {_size_label(size_mib)} file at 20 MB/s per connection", capped,
                    size_mib << 20, [t for t in wanted if t.key in tools])


def run_scenario(scenario: Scenario, rounds: int, scratch: Path, ferry: Path,
                 settings: dict) -> ScenarioResult:
    samples: dict[str, list[Sample]] = {tool.label: [] for tool in scenario.tools}
    for round_index in range(rounds):
        shift = round_index % len(scenario.tools)
        for tool in scenario.tools[shift:] + scenario.tools[:shift]:
            sample = run_once(tool, scenario.expected, scratch, ferry, settings)
            samples[tool.label].append(sample)
            print(f"{scenario.title}, round {round_index + 1}/{rounds}: {tool.label} "
                  f"{sample.wall_s:.2f} s wall, {sample.cpu_s:.2f} s CPU, "
                  f"{sample.peak_rss_kib / 1024:.1f} MiB", file=sys.stderr)
    ferry_label = next((t.label for t in scenario.tools if t.ferry), None)
    medians = {label: median_sample(runs) for label, runs in samples.items()}
    return ScenarioResult(scenario.title, scenario.total_bytes, len(scenario.expected),
                          medians, ferry_label)


def run_once(tool: Tool, expected: dict[str, str], scratch: Path, ferry: Path,
             settings: dict) -> Sample:
    """One measured download into an empty folder, checked file by file, then removed. A Ferry
    tool's figures are its client's and its owner's together (see the module's summary)."""
    shutil.rmtree(scratch, ignore_errors=True)
    out, data = scratch / "out", scratch / "data"
    out.mkdir(parents=True)
    data.mkdir()
    if tool.ferry:
        with Owner(ferry, data, scratch / "runtime", settings) as owner:
            before = owner.cpu_seconds()
            client = run_measured(tool.command(out, data), scratch, env=owner.env())
            sample = Sample(client.wall_s, client.cpu_s + owner.cpu_seconds() - before,
                            client.peak_rss_kib + owner.peak_rss_kib())
    else:
        sample = run_measured(tool.command(out, data), scratch)
    found = sorted(p.name for p in out.iterdir())
    if found != sorted(expected):
        raise RuntimeError(f"{tool.label} left {found[:5]}... instead of the expected files")
    for name, digest in expected.items():
        if sha256_of(out / name) != digest:
            raise RuntimeError(f"{tool.label}: {name} differs from the source (SHA-256)")
    shutil.rmtree(scratch)
    os.sync()  # write-back of this run must not land in the next one's measurement
    return sample


def describe_setup(rounds: int, workdir: Path, load_before: float) -> list[str]:
    nginx = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip()
    curl = subprocess.run(["curl", "--version"], capture_output=True, text=True).stdout
    aria2 = subprocess.run(["aria2c", "--version"], capture_output=True, text=True).stdout
    filesystem = subprocess.run(["df", "--output=fstype", str(workdir)], capture_output=True,
                                text=True).stdout.split()[-1]
    return [
        f"Median of {rounds} interleaved rounds per tool, each download checked by SHA-256. "
        f"Server: {nginx.split(': ')[-1]} on 127.0.0.1; files written to {filesystem}; "
        f"{os.cpu_count()} CPU cores, Linux {platform.release()}; "
        f"{curl.split()[0]} {curl.split()[1]}, {aria2.splitlines()[0].replace(' version', '')}.",
        "Wall and CPU (user + system) time and peak RSS are GNU time's figures for the tool's "
        "process; for Ferry, the `ferry transfer` client's wall time, the CPU time of the client "
        "and of the owner (`ferry service`, started on a fresh data folder before each round, "
        "its start-up not timed) during the round, and the sum of their peak RSS. 1-minute load "
        f"average when the run started: {load_before:.1f} (other work on the machine slows every "
        "tool alike, but widens the spread). Re-run with `make bench`.",
    ]


def _size_label(size_mib: int) -> str:
    return f"{size_mib >> 10} GiB" if size_mib % 1024 == 0 else f"{size_mib} MiB"


if __name__ == "__main__":
    sys.exit(main())
