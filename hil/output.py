"""Writing a run's outputs and printing its summary (the only file I/O of a run)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from hil.junit import write_junit
from hil.record import RunRecord
from hil.report import build_report
from hil.runner import RunResult
from hil.telemetry import write_csv, write_parquet


def write_run(result: RunResult, out: Path, csv: bool = False) -> dict[str, Path]:
    """Write everything a run produces into ``out``; returns name -> path."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "result": out / "result.json",
        "telemetry": out / "telemetry.parquet",
        "junit": out / "junit.xml",
    }
    # telemetry first: if anything below fails, what was recorded is on disk
    cols = result.telemetry.columns()
    write_parquet(cols, paths["telemetry"])
    if csv:
        paths["csv"] = out / "telemetry.csv"
        write_csv(cols, paths["csv"])
    write_junit([result.record], paths["junit"])
    result.record.write(paths["result"])
    paths["report"] = build_report(out)
    return paths


def _fmt(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:.4g}"


def top_level_timeline(
    phases: list[dict[str, Any]],
) -> list[tuple[str, float, list[str]]]:
    """Phase entries merged by top-level phase: (phase, entry time, sub-states in order)."""
    out: list[tuple[str, float, list[str]]] = []
    for p in phases:
        top, _, sub = str(p["phase"]).partition(".")
        if not out or out[-1][0] != top:
            out.append((top, float(p["t_s"]), []))
        if sub and sub not in out[-1][2]:
            out[-1][2].append(sub)
    return out


def print_summary(console: Console, record: RunRecord, paths: dict[str, Path]) -> None:
    """Phase timeline, measurements with limits, outcome, and where the files went."""
    console.print(f"[bold]{record.scenario}[/bold] on {record.hal} (seed {record.seed})")
    timeline = Table(title="Phase timeline", show_edge=False)
    timeline.add_column("t [s]", justify="right")
    timeline.add_column("phase")
    timeline.add_column("sub-states seen")
    for top, t_s, subs in top_level_timeline(record.phases):
        timeline.add_row(f"{t_s:.3f}", top, ", ".join(subs))
    console.print(timeline)
    table = Table(title="Measurements", show_edge=False)
    for col, just in (
        ("name", "left"),
        ("value", "right"),
        ("units", "left"),
        ("low", "right"),
        ("high", "right"),
        ("outcome", "left"),
    ):
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    for m in record.measurements:
        style = {"PASS": "green", "FAIL": "red"}.get(m.outcome, "")
        table.add_row(
            m.name,
            _fmt(m.value),
            m.units,
            _fmt(m.low),
            _fmt(m.high),
            f"[{style}]{m.outcome}[/{style}]" if style else m.outcome,
        )
    for c in record.checks:
        style = "green" if c.outcome == "PASS" else "red"
        table.add_row(c.name, c.detail, "", "", "", f"[{style}]{c.outcome}[/{style}]")
    console.print(table)
    kinds = Counter(e["kind"] for e in record.events if e["kind"] != "phase")
    if kinds:
        listed = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
        console.print(f"events: {listed} (details in result.json)")
    colour = "green" if record.outcome == "PASS" else "red"
    rtf = record.timing.get("real_time_factor")
    speed = f", {rtf:.0f}x real time" if rtf else ""
    console.print(
        f"outcome: [bold {colour}]{record.outcome}[/bold {colour}]"
        f"  final phase {record.final_phase}"
        f"  ({record.sim_time_s:.1f} s simulated in {record.wall_time_s:.1f} s{speed})"
    )
    if record.error:
        console.print(f"error: {record.error}")
    for name, path in paths.items():
        console.print(f"{name}: {path}")
