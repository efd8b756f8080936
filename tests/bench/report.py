"""The benchmark's results as Markdown tables the README can quote."""

import statistics
from dataclasses import dataclass

from measure import Sample

MIB = 1 << 20


@dataclass(frozen=True)
class ScenarioResult:
    """What each tool cost on one scenario, round by round."""

    title: str
    total_bytes: int
    file_count: int
    samples: dict[str, list[Sample]]  # tool label -> one sample per round, in display order
    ferry_label: str | None  # the row the ratios are taken from, when Ferry ran


def render(preamble: list[str], scenarios: list[ScenarioResult],
           sections: list[list[str]]) -> str:
    """The whole results page: the transfer scenarios, then sections written elsewhere."""
    lines = ["# Ferry benchmark", "", *preamble]
    for scenario in scenarios:
        lines += ["", f"## {scenario.title}", "", *_cost_table(scenario)]
        ratios = _ratio_table(scenario)
        if ratios:
            lines += ["", *ratios]
    for section in sections:
        lines += ["", *section]
    return "\n".join(lines) + "\n"


def median_sample(samples: list[Sample]) -> Sample:
    """Median of each measure on its own."""
    return Sample(
        statistics.median(s.wall_s for s in samples),
        statistics.median(s.cpu_s for s in samples),
        int(statistics.median(s.peak_rss_kib for s in samples)),
    )


def _cost_table(scenario: ScenarioResult) -> list[str]:
    rate_header = "Throughput (MiB/s)" if scenario.file_count == 1 else "Files/s"
    rows = [
        f"| Tool | Wall (s) | Spread (s) | {rate_header} | CPU user+sys (s) | Peak RSS (MiB) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, samples in scenario.samples.items():
        sample = median_sample(samples)
        if scenario.file_count == 1:
            rate = scenario.total_bytes / MIB / sample.wall_s
        else:
            rate = scenario.file_count / sample.wall_s
        walls = [s.wall_s for s in samples]
        rows.append(
            f"| {label} | {sample.wall_s:.2f} | {min(walls):.2f}–{max(walls):.2f} "
            f"| {rate:,.0f} | {sample.cpu_s:.2f} | {sample.peak_rss_kib / 1024:.1f} |"
        )
    return rows


def _ratio_table(scenario: ScenarioResult) -> list[str]:
    if scenario.ferry_label is None or len(scenario.samples) < 2:
        return []
    ferry = scenario.samples[scenario.ferry_label]
    rows = [
        "| Ferry ÷ | Wall (lowest–highest) | CPU | Peak RSS |",
        "| --- | ---: | ---: | ---: |",
    ]
    for label, other in scenario.samples.items():
        if label == scenario.ferry_label:
            continue
        rows.append(
            f"| {label} | {_ratios(ferry, other, lambda s: s.wall_s, spread=True)} "
            f"| {_ratios(ferry, other, lambda s: s.cpu_s)} "
            f"| {_ratios(ferry, other, lambda s: s.peak_rss_kib)} |"
        )
    return rows


def _ratios(ferry: list[Sample], other: list[Sample], measure, spread: bool = False) -> str:
    # GNU time reports to 10 ms; a tool that used less than that has no meaningful ratio.
    ratios = [measure(f) / measure(o) for f, o in zip(ferry, other) if measure(o) > 0]
    if not ratios:
        return "n/a"
    text = f"{statistics.median(ratios):.2f}×"
    if spread:
        text += f" ({min(ratios):.2f}–{max(ratios):.2f})"
    return text
