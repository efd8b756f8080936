#!/usr/bin/env -S python3 -B
"""Ferry's transfer benchmark: Ferry against curl, aria2c and cat on the same local server.

nginx (from Debian) serves random data on 127.0.0.1. Each round downloads it once with every
tool, in rotating order, and every download is checked against the source's SHA-256:

  big:      one 1 GiB file: `ferry transfer` (one connection or several, as Ferry picks) vs
            `curl` vs `aria2c -x1 -s1`, and `cat` of the served file into the same folder (the
            machine's own limit for writing it);
  many:     1,000 files of 64 KiB in one job (`ferry transfer --list`) vs `curl -K` (one after
            another, one connection) vs `aria2c -i -j1`;
  tiny:     10,000 files of 4 KiB in one job vs `curl -K`;
  checksum: the 1 GiB file with a SHA-256 check (`ferry transfer --checksum sha256:…`) vs
            without: the cost of checking;
  capped:   one 400 MiB file from nginx holding each connection to 20 MB/s (`limit_rate 20m`):
            `ferry transfer --connections 8` vs `curl` vs `aria2c -x8 -s8 -k1M`;
  queue:    10,000 jobs in one owner (tests/bench/queue_bench.py);
  window:   the window with 10,000 jobs (tests/bench/window_bench.py, through the end-to-end
            harness).

Ferry is two processes: the owner (`ferry service`), which does the transfer, and the
`ferry transfer` client. Each Ferry round starts an owner on a fresh data folder beforehand (its
start-up is not timed) and counts both: the client's wall time, the CPU time of the client and
of the owner during the round, and the sum of their peak resident sets.

Prints the medians, how far each tool's wall time moved between rounds and Ferry's ratios
(the median of the rounds' ratios, with their lowest and highest) as Markdown, and writes them
to tests/bench/results.md. Ferry is the `deb` profile build (optimised, as packaged). Run it
with `make bench`; `--help` lists the knobs (smaller sizes, fewer rounds, some scenarios).
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
from typing import Callable, Iterator

from measure import Sample, run_measured, sha256_of
from nginx_server import NginxServer
from owner import Owner
from report import ScenarioResult, render

REPO = Path(__file__).resolve().parents[2]
BIG_NAME = "big.bin"
CAPPED_NAME = "capped.bin"
CHUNK = 8 << 20
SCENARIOS = ("big", "many", "tiny", "checksum", "capped", "queue", "window")


@dataclass(frozen=True)
class Tool:
    """One way of downloading a scenario's files: `command(out_dir, data_dir)`; Ferry's tools
    talk to an owner on `data_dir` (see `run_once`). `compared`: a Ferry tool that is a row to
    compare Ferry with, not the one the ratios are taken from."""

    label: str
    command: Callable[[Path, Path], list[str]]
    ferry: bool = False
    compared: bool = False


@dataclass(frozen=True)
class Scenario:
    """Files served under one URL prefix and the tools that fetch them."""

    title: str
    expected: dict[str, str]  # file name -> SHA-256
    total_bytes: int
    tools: list[Tool]


def main() -> int:
    args = parse_args()
    only = set(args.only.split(","))
    unknown = only - set(SCENARIOS)
    if unknown:
        sys.exit(f"unknown scenario(s) {', '.join(sorted(unknown))}; "
                 f"choose from {','.join(SCENARIOS)}")
    os.environ.setdefault("CARGO_TARGET_DIR", str(Path.home() / ".cache/ferry/target"))
    ferry = Path(os.environ["CARGO_TARGET_DIR"]) / "deb" / "ferry"
    if args.ferry:
        ferry = Path(args.ferry).resolve()
    else:
        build_ferry()

    load_before = os.getloadavg()[0]
    workdir = Path(tempfile.mkdtemp(prefix="ferry-bench-", dir=args.workdir))
    results: list[ScenarioResult] = []
    sections: list[list[str]] = []
    try:
        # nginx's worker runs as `nobody` when started by root: let it read the files.
        workdir.chmod(0o755)
        www = workdir / "www"
        with NginxServer(root=www, home=workdir / "nginx") as server:
            for scenario in define_scenarios(server.base_url, www, workdir, ferry, only, args):
                results.append(run_scenario(scenario, args.rounds, workdir / "run", ferry))
        if "queue" in only:
            import queue_bench
            sections.append(queue_bench.run(ferry, args.rounds, args.jobs))
        if "window" in only:
            import window_bench
            sections.append(window_bench.run(args.rounds))
        preamble = describe_setup(args.rounds, workdir, load_before, os.getloadavg()[0])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    page = render(preamble, results, sections)
    sys.stdout.write(page)
    Path(args.output).write_text(page)
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds per tool (default 5)")
    parser.add_argument("--size-mib", type=int, default=1024, help="big file size (default 1024)")
    parser.add_argument("--files", type=int, default=1000,
                        help="files of the many scenario (default 1000)")
    parser.add_argument("--file-kib", type=int, default=64,
                        help="their size in KiB (default 64)")
    parser.add_argument("--tiny-files", type=int, default=10000,
                        help="files of the tiny scenario (default 10000, 4 KiB each)")
    parser.add_argument("--capped-mib", type=int, default=400,
                        help="size of the file served at 20 MB/s per connection (default 400)")
    parser.add_argument("--jobs", type=int, default=10000,
                        help="jobs of the queue scenario (default 10000)")
    parser.add_argument("--only", default=",".join(SCENARIOS),
                        help=f"comma-separated scenarios (default all: {','.join(SCENARIOS)})")
    parser.add_argument("--ferry", default=None,
                        help="the `ferry` binary to measure (default: the deb profile build)")
    parser.add_argument("--workdir", default=None,
                        help="where the temporary files go (default: $TMPDIR)")
    parser.add_argument("--output", default=str(REPO / "tests/bench/results.md"),
                        help="Markdown file to write (default tests/bench/results.md)")
    return parser.parse_args()


def build_ferry() -> None:
    print("Building ferry (deb profile)...", file=sys.stderr)
    subprocess.run(
        ["cargo", "build", "--profile", "deb", "-p", "ferry-cli", "--bin", "ferry"],
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


def define_scenarios(base_url: str, www: Path, workdir: Path, ferry: Path, only: set[str],
                     args: argparse.Namespace) -> Iterator["Scenario"]:
    """The transfer scenarios asked for, each with its files written just before it runs."""
    aria2_common = ["aria2c", "-q", "--allow-overwrite=true", "--file-allocation=none"]

    def transfer(data: Path, *more: str) -> list[str]:
        return [str(ferry), "--data-dir", str(data), "transfer", *more]

    if {"big", "checksum"} & only:
        big = write_big_file(www, args.size_mib << 20)
        big_url = base_url + BIG_NAME
        size = _size_label(args.size_mib)
        if "big" in only:
            yield Scenario(f"One {size} file", big, args.size_mib << 20, [
                Tool("`ferry transfer`", lambda out, data: transfer(
                    data, big_url, str(out / BIG_NAME)), ferry=True),
                Tool("`curl`", lambda out, data: [
                    "curl", "-s", "-o", str(out / BIG_NAME), big_url]),
                Tool("`aria2c -x1 -s1`", lambda out, data: [
                    *aria2_common, "-x1", "-s1", "-d", str(out), "-o", BIG_NAME, big_url]),
                Tool("`cat` of the served file", lambda out, data: [
                    "sh", "-c", f'cat "$0" > "$1"', str(www / BIG_NAME), str(out / BIG_NAME)]),
            ])
        if "checksum" in only:
            checksum = f"sha256:{big[BIG_NAME]}"
            yield Scenario(f"One {size} file with a SHA-256 check ÷ without", big,
                           args.size_mib << 20, [
                Tool("`ferry transfer --checksum sha256:…`", lambda out, data: transfer(
                    data, "--checksum", checksum, big_url, str(out / BIG_NAME)), ferry=True),
                Tool("`ferry transfer` (no checksum)", lambda out, data: transfer(
                    data, big_url, str(out / BIG_NAME)), ferry=True, compared=True),
            ])
    for key, count, kib in (("many", args.files, args.file_kib), ("tiny", args.tiny_files, 4)):
        if key not in only:
            continue
        folder = f"{key}/"
        files = write_small_files(www / key, count, kib << 10)
        lists = workdir / f"{key}-lists"
        tools = [
            Tool("`ferry transfer --list` (one job)", lambda out, data, folder=folder,
                 files=files, lists=lists: transfer(
                     data, "--name", "list", "--list",
                     str(pair_list(lists, base_url + folder, files, out))), ferry=True),
            Tool("`curl -K` (one after another)", lambda out, data, folder=folder,
                 files=files, lists=lists: [
                     "curl", "-s", "-K", str(curl_config(lists, base_url + folder, files, out))]),
        ]
        if key == "many":
            tools.append(Tool("`aria2c -i -j1`", lambda out, data, folder=folder, files=files,
                              lists=lists: [
                *aria2_common, "-i", str(url_list(lists, base_url + folder, files)), "-j1",
                "-d", str(out)]))
        yield Scenario(f"{count:,} files × {kib} KiB in one job", files, count * (kib << 10),
                       tools)
    if "capped" in only:
        capped = write_big_file(www, args.capped_mib << 20, CAPPED_NAME)
        url = f"{base_url}capped/{CAPPED_NAME}"
        yield Scenario(f"One {_size_label(args.capped_mib)} file at 20 MB/s per connection",
                       capped, args.capped_mib << 20, [
            Tool("`ferry transfer --connections 8`", lambda out, data: transfer(
                data, "--connections", "8", url, str(out / CAPPED_NAME)), ferry=True),
            Tool("`curl`", lambda out, data: ["curl", "-s", "-o", str(out / CAPPED_NAME), url]),
            Tool("`aria2c -x8 -s8 -k1M`", lambda out, data: [
                *aria2_common, "-x8", "-s8", "-k1M", "-d", str(out), "-o", CAPPED_NAME, url]),
        ])


def pair_list(folder: Path, base_url: str, files: dict[str, str], out: Path) -> Path:
    """A `ferry transfer --list` file: `URL PATH` per line."""
    return _write_list(folder, "ferry.txt",
                       (f"{base_url}{name} {out / name}\n" for name in files))


def curl_config(folder: Path, base_url: str, files: dict[str, str], out: Path) -> Path:
    """A `curl -K` config: a `url` and an `output` per file."""
    return _write_list(folder, "curl.txt", (f'url = "{base_url}{name}"\noutput = "{out / name}"\n'
                                            for name in files))


def url_list(folder: Path, base_url: str, files: dict[str, str]) -> Path:
    """An `aria2c -i` list: one URL per line."""
    return _write_list(folder, "aria2.txt", (f"{base_url}{name}\n" for name in files))


def _write_list(folder: Path, name: str, lines: Iterator[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("".join(lines))
    return path


def run_scenario(scenario: "Scenario", rounds: int, scratch: Path,
                 ferry: Path) -> ScenarioResult:
    settings = ferry_settings(len(scenario.expected))
    samples: dict[str, list[Sample]] = {tool.label: [] for tool in scenario.tools}
    for round_index in range(rounds):
        shift = round_index % len(scenario.tools)
        for tool in scenario.tools[shift:] + scenario.tools[:shift]:
            sample = run_once(tool, scenario.expected, scratch, ferry, settings)
            samples[tool.label].append(sample)
            print(f"{scenario.title}, round {round_index + 1}/{rounds}: {tool.label} "
                  f"{sample.wall_s:.2f} s wall, {sample.cpu_s:.2f} s CPU, "
                  f"{sample.peak_rss_kib / 1024:.1f} MiB", file=sys.stderr)
    ferry_label = next((t.label for t in scenario.tools if t.ferry and not t.compared), None)
    return ScenarioResult(scenario.title, scenario.total_bytes, len(scenario.expected),
                          samples, ferry_label)


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


def describe_setup(rounds: int, workdir: Path, load_before: float,
                   load_after: float) -> list[str]:
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
        "",
        "Wall and CPU (user + system) time and peak RSS are GNU time's figures for the tool's "
        "process; for Ferry, the `ferry transfer` client's wall time, the CPU time of the client "
        "and of the owner (`ferry service`, started on a fresh data folder before each round, "
        "its start-up not timed) during the round, and the sum of their peak RSS. \"Spread\" "
        "is the lowest and highest wall time of the rounds; a ratio is the median of the "
        "rounds' ratios (each round runs every tool back to back), with the lowest and highest. "
        f"1-minute load average: {load_before:.2f} when the run started, {load_after:.2f} when "
        "it ended (other work on the machine slows every tool alike, but widens the spread). "
        "Re-run with `make bench`.",
    ]


def _size_label(size_mib: int) -> str:
    return f"{size_mib >> 10} GiB" if size_mib % 1024 == 0 else f"{size_mib} MiB"


if __name__ == "__main__":
    sys.exit(main())
