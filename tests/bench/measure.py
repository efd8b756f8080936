"""Wall time, CPU time and peak RSS of one command, measured by GNU time."""

import hashlib
import subprocess
from dataclasses import dataclass
from pathlib import Path

GNU_TIME = "/usr/bin/time"
# Elapsed wall seconds, user seconds, system seconds, peak resident set in KiB.
TIME_FORMAT = "%e %U %S %M"


@dataclass(frozen=True)
class Sample:
    """What one run of one tool cost."""

    wall_s: float
    cpu_s: float
    peak_rss_kib: int


def run_measured(command: list[str], scratch: Path, env: dict[str, str] | None = None) -> Sample:
    """Runs `command` (in `env`, else this process's environment) under GNU time; raises with
    its output if it fails."""
    times_file = scratch / "time.txt"
    output_file = scratch / "output.txt"
    with output_file.open("wb") as output:
        finished = subprocess.run(
            [GNU_TIME, "-f", TIME_FORMAT, "-o", str(times_file), *command],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
        )
    if finished.returncode != 0:
        shown = output_file.read_text(errors="replace")[-4000:]
        raise RuntimeError(f"{' '.join(command)} exited with {finished.returncode}:\n{shown}")
    # GNU time writes its figures on the last line (a failure note would come before them).
    wall, user, system, rss = times_file.read_text().split("\n")[-2].split()
    return Sample(float(wall), float(user) + float(system), int(rss))


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file's content."""
    digest = hashlib.sha256()
    with path.open("rb") as content:
        while chunk := content.read(8 << 20):
            digest.update(chunk)
    return digest.hexdigest()
