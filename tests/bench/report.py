"""The benchmark's results as Markdown tables the README can quote."""

from dataclasses import dataclass

from measure import Sample

MIB = 1 << 20


@dataclass(frozen=True)
class ScenarioResult:
    """Median cost of each tool on one scenario."""

    title: str
    total_bytes: int
    file_count: int
    medians: dict[str, Sample]  # tool label -> median sample, in display order
    ferry_label: str | None  # the row the ratios are taken from, when Ferry ran


def render(preamble: list[str], scenarios: list[ScenarioResult]) -> str:
    """The whole results page."""
    lines = ["# Ferry transfer benchmark", "", *preamble]
    for scenario in scenarios:
        lines += ["", f"## {scenario.title}", "", *_cost_table(scenario)]
        ratios = _ratio_table(scenario)
        if ratios:
            lines += ["", *ratios]
    return "\n".join(lines) + "\n"


def _cost_table(scenario: ScenarioResult) -> list[str]:
    rate_header = "Throughput (MiB/s)" if scenario.file_count == 1 else "Files/s"
    rows = [
        f"| Tool | Wall (s) | {rate_header} | CPU user+sys (s) | Peak RSS (MiB) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for label, sample in scenario.medians.items():
        if scenario.file_count == 1:
            rate = scenario.total_bytes / MIB / sample.wall_s
        else:
            rate = scenario.file_count / sample.wall_s
        rows.append(
            f"| {label} | {sample.wall_s:.2f} | {rate:,.0f} | {sample.cpu_s:.2f} "
            f"| {sample.peak_rss_kib / 1024:.1f} |"
        )
    return rows


def _ratio_table(scenario: ScenarioResult) -> list[str]:
    if scenario.ferry_label is None or len(scenario.medians) < 2:
        return []
    ferry = scenario.medians[scenario.ferry_label]
    rows = [
        "| Ferry ÷ | Wall | CPU | Peak RSS |",
        "| --- | ---: | ---: | ---: |",
    ]
    for label, other in scenario.medians.items():
        if label == scenario.ferry_label:
            continue
        rows.append(
            f"| {label} | {_ratio(ferry.wall_s, other.wall_s)} "
            f"| {_ratio(ferry.cpu_s, other.cpu_s)} "
            f"| {_ratio(ferry.peak_rss_kib, other.peak_rss_kib)} |"
        )
    return rows


def _ratio(ferry: float, other: float) -> str:
    # GNU time reports to 10 ms; a tool that used less than that has no meaningful ratio.
    return f"{ferry / other:.2f}×" if other > 0 else "n/a"
