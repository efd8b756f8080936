#!/usr/bin/env -S python3 -B
"""The window with 10,000 jobs: issue 14's last row of targets, measured in the real webview.

Runs the end-to-end test tests/e2e/bench/29-many-jobs.test.mjs (10,000 jobs made over one API
connection, a few transferring at a trickle) against an already built ferry-desktop, by default
the optimised `deb` profile's (`cargo build --profile deb -p ferry-desktop -p ferry-cli
-p ferry-tray`, with `ui/dist` built first); it builds nothing itself. Each round is one run of
the test file under its own Xvfb session (tests/e2e/run.sh); the test writes its figures to a
JSON file, and this reports the median of each figure over the rounds, with its range.

    python3 tests/bench/window_bench.py --rounds 3
    FERRY_E2E_APP=/usr/bin/ferry-desktop python3 tests/bench/window_bench.py

`run(rounds)` returns the Markdown lines; bench.py calls it.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
E2E_RUN = REPO / "tests/e2e/run.sh"
TEST_FILE = REPO / "tests/e2e/bench/29-many-jobs.test.mjs"

#: (figure's path in the JSON, label, target as text) in the order of issue 14's table.
FIGURES = [
    (("in_page", "first_rows_ms"), "first rows in the page, from its navigation start (ms)", "≤ 500"),
    (("in_page", "first_rows_painted_ms"), "… painted (ms)", ""),
    (("in_page", "first_paint_ms"), "… the page's first paint (Performance API, ms)", ""),
    (("in_page", "first_contentful_paint_ms"), "… its first contentful paint (Performance API, ms)", ""),
    (("in_page", "list_answered_ms"), "… the list of every job answered (ms)", ""),
    (("first_paint", "first_rows_painted_ms"), "first rows painted after the window's process started (ms)", ""),
    (("first_paint", "page_start_ms"), "… of which: the page started loading (ms)", ""),
    (("first_paint", "list_answered_ms"), "… the list of every job answered (ms)", ""),
    (("progress", "frame_max_ms"), "longest frame while 4 jobs tick progress (ms)", "≤ 16"),
    (("progress", "frame_p95_ms"), "p95 frame while progress ticks (ms)", ""),
    (("scroll", "frame_p95_ms"), "scrolling top to bottom: p95 frame (ms)", "≤ 16"),
    (("scroll", "frame_max_ms"), "scrolling: longest frame (ms)", ""),
    (("scroll", "intervals_over_50ms"), "scrolling: frames more than 50 ms apart", ""),
    (("search", "key_to_paint_max_ms"), "search box: key to paint, longest (ms)", ""),
    (("search", "key_to_result_max_ms"), "search box: key to the filtered list painted, longest (ms)", ""),
    (("idle_cpu_percent",), "CPU of the window's processes, nothing moving (% of a core)", "≤ 1"),
    (("idle_cpu_caret_percent",), "… with the search box focused, its caret blinking (% of a core)", ""),
    (("create_jobs_s",), "making the 10,000 jobs over one API connection (s)", ""),
]


def default_app() -> Path:
    """The deb-profile ferry-desktop in the cargo target folder."""
    target = Path(os.environ.get("CARGO_TARGET_DIR", Path.home() / ".cache/ferry/target"))
    return target / "deb" / "ferry-desktop"


def run_once(app: Path, figures_file: Path) -> dict:
    """One run of the e2e file against `app`; the figures it wrote."""
    env = dict(os.environ, FERRY_APP=str(app), FERRY_E2E_FIGURES=str(figures_file))
    completed = subprocess.run(
        [str(E2E_RUN), str(TEST_FILE)], env=env, cwd=REPO, capture_output=True, text=True
    )
    if not figures_file.exists():
        sys.stderr.write(completed.stdout[-4000:] + completed.stderr[-4000:])
        raise RuntimeError(f"the window test wrote no figures (exit status {completed.returncode})")
    if completed.returncode != 0:
        sys.stderr.write(f"window test failed (exit status {completed.returncode}); figures kept\n")
    return json.loads(figures_file.read_text())


def pick(figures: dict, path: tuple) -> float | None:
    """The figure at `path`, or None when the run did not reach it."""
    value = figures
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value if isinstance(value, (int, float)) else None


def run(rounds: int, app: Path | None = None) -> list[str]:
    """Runs the e2e file `rounds` times against `app` (FERRY_E2E_APP or the deb build by
    default) and returns a Markdown section with each figure's median and range."""
    app = app or Path(os.environ.get("FERRY_E2E_APP") or default_app())
    if not app.exists():
        raise FileNotFoundError(f"{app} is missing: build it first (see this file's docstring)")
    runs = []
    with tempfile.TemporaryDirectory(prefix="ferry-window-bench-") as scratch:
        for round_number in range(rounds):
            runs.append(run_once(app, Path(scratch) / f"round-{round_number}.json"))
    load = os.getloadavg()
    lines = [
        "## The window with 10,000 jobs",
        "",
        f"`{app}`, {rounds} round(s) of tests/e2e/bench/29-many-jobs.test.mjs under Xvfb; "
        f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}.",
        "",
        "| Measure | Median | Range | Target |",
        "| --- | ---: | ---: | --- |",
    ]
    for path, label, target in FIGURES:
        values = [v for v in (pick(figures, path) for figures in runs) if v is not None]
        if not values:
            lines.append(f"| {label} | — | — | {target} |")
            continue
        median = statistics.median(values)
        lines.append(f"| {label} | {median:g} | {min(values):g} – {max(values):g} | {target} |")
    lines.append("")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="runs of the test file (default 3)")
    parser.add_argument("--app", type=Path, help="the ferry-desktop to measure (default: deb build)")
    arguments = parser.parse_args()
    print("\n".join(run(arguments.rounds, arguments.app)))


if __name__ == "__main__":
    main()
