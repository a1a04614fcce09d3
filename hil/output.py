"""Writing a run's outputs and printing its summary (the only file I/O of a run)."""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from controller.errors import DockhilError
from hil.junit import write_junit
from hil.outdir import OutputDir, sigint_held
from hil.record import RunRecord
from hil.report import build_report, top_level_timeline
from hil.runner import RunResult
from hil.telemetry import write_csv, write_parquet


def write_run(
    result: RunResult, out: Path, csv: bool = False, report: bool = True
) -> dict[str, Path]:
    """Write everything a run produces into ``out``; returns name -> path.

    ``report=False`` skips the HTML report and its plots (seconds of a short
    run's wall time); ``dockhil report`` makes them later from the files.
    """
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "result": out / "result.json",
        "telemetry": out / "telemetry.parquet",
        "junit": out / "junit.xml",
    }
    # telemetry first: if anything below fails, what was recorded is on disk
    cols = result.telemetry.columns()
    streamed = result.telemetry.path
    if streamed is None or streamed.resolve() != paths["telemetry"].resolve():
        write_parquet(cols, paths["telemetry"], result.telemetry.metadata)
    if csv:
        paths["csv"] = out / "telemetry.csv"
        write_csv(cols, paths["csv"])
    write_junit([result.record], paths["junit"])
    result.record.write(paths["result"])
    if report:
        paths["report"] = build_report(out)
    return paths


def rescue(result: RunResult) -> Path | None:
    """Write the record and telemetry to a fresh temporary directory; None if even that fails.

    The last resort when the run's own directory could not be written (a full
    disk, a vanished mount): what was recorded is kept somewhere, and the
    caller's message says where.
    """
    for base in (None, Path.cwd()):
        try:
            where = Path(tempfile.mkdtemp(prefix="dockhil-rescued-", dir=base))
            streamed = result.telemetry.path
            result.telemetry.close()  # a streamed file is complete only once closed
            if streamed is not None and streamed.is_file():
                shutil.copyfile(streamed, where / "telemetry.parquet")
            else:
                cols = result.telemetry.columns()
                write_parquet(cols, where / "telemetry.parquet", result.telemetry.metadata)
            result.record.write(where / "result.json")
            return where
        except OSError:
            continue
    return None


def write_run_safely(
    result: RunResult, target: OutputDir, csv: bool = False, report: bool = True
) -> dict[str, Path]:
    """Write into the prepared temporary directory, then rename into place.

    On any failure the record goes to :func:`rescue` and the
    :class:`~controller.errors.DockhilError` raised says where it went. Ctrl-C
    while writing is held off until the record is on disk.
    """
    assert target.tmp is not None, "prepare() the output directory before the run"
    tmp = target.tmp
    try:
        with sigint_held() as caught:
            paths = write_run(result, tmp, csv=csv, report=report)
            final = target.commit()
    except OSError as exc:
        where = rescue(result)
        saved = f"the record was saved in {where}" if where else "the record could not be saved"
        raise DockhilError(f"could not write {target.target}: {exc}; {saved}") from None
    if caught:
        raise KeyboardInterrupt  # now that the record is in place
    return {name: final / p.relative_to(tmp) for name, p in paths.items()}


def _fmt(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:.4g}"


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
