"""Running many scenarios: in parallel on the cores there are, with a summary table.

Each scenario runs in its own process (the controller and plant are
single-threaded; processes use both cores without sharing state) and writes
its own run directory; the suite adds a combined ``junit.xml``,
``summary.json`` and an ``index.html`` linking each run's report.

Ctrl-C stops a suite within a second or two: the workers ignore SIGINT (a
terminal sends it to the whole process group) and watch a shared stop flag
instead, once per simulated second of their run; the main process sets the
flag, cancels the runs not yet started, collects the runs in flight (they end
ABORTED, keeping what they recorded, without a report) and writes the summary,
JUnit and index for what ran. The command then exits 130.
"""

from __future__ import annotations

import contextlib
import html
import json
import multiprocessing
import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from controller.errors import ConfigError, DockhilError
from hil.junit import write_junit
from hil.outdir import sigint_held
from hil.record import Outcome, RunRecord


def collect(paths: list[str]) -> list[Path]:
    """Scenario files named directly or found (``*.toml``, sorted) in named directories."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files.extend(sorted(p.glob("*.toml")))
        elif p.is_file():
            files.append(p)
        else:
            raise ConfigError(f"{p}: no such scenario file or directory")
    if not files:
        raise ConfigError(f"no scenario files (*.toml) in {', '.join(paths)}")
    return files


DRAIN_S = 2.0
"""After Ctrl-C, how long the runs in flight get to end and write their records, s.

A run checks the stop flag once per simulated second (tens of ms of wall time) and
then writes its record and telemetry without a report, well inside this; a worker
still compiling the plant cannot check anything and is ended when this runs out
(it had recorded nothing). A worker writing a run's outputs is waited for, up to
``WRITE_GRACE_S`` more."""

WRITE_GRACE_S = 30.0
"""After DRAIN_S, how much longer a worker still writing a run's outputs is waited for, s."""

_stop: Any = None
"""The worker's copy of the suite's stop flag (a ``multiprocessing.Event``)."""
_writing: Any = None
"""The worker's copy of the count of workers writing a run's outputs (a shared int)."""


def _worker_init(stop: Any, writing: Any) -> None:
    """In each worker: Ctrl-C is the main process's to handle; the flag says when to stop."""
    global _stop, _writing
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _stop = stop
    _writing = writing


def _check_stop(t_s: float, phase: str) -> None:
    if _stop is not None and _stop.is_set():
        raise KeyboardInterrupt  # ends the run ABORTED, with what it recorded


def run_one(
    path: str, run_dir: str, hal_url: str | None, report: bool = True
) -> dict[str, Any] | None:
    """Worker: run one scenario file and write its outputs into ``run_dir``; never raises.

    A run stopped by the suite's stop flag is written without its report, so
    the suite ends quickly; one whose turn comes after the flag is set is not
    started (None). The pool hands a worker its next run before it is free,
    so cancelling the futures alone would not keep those from starting.
    """
    if _stop is not None and _stop.is_set():
        return None
    from hil.outdir import OutputDir
    from hil.output import write_run_safely
    from hil.runner import run
    from hil.scenario import load_scenario

    target = OutputDir(Path(run_dir))
    try:
        scenario = load_scenario(path)
        tmp = target.prepare()
        result = run(
            scenario,
            hal_url=hal_url,
            telemetry_path=tmp / "telemetry.parquet",
            progress=_check_stop,
        )
        stopped = result.record.outcome == Outcome.ABORTED
        if _stop is not None and _stop.is_set():
            stopped = True  # ended just after Ctrl-C: the record now, the report later
        with _writing_outputs():
            paths = write_run_safely(result, target, report=report and not stopped)
        out = json.loads(result.record.to_json())
        out["run_dir"] = Path(run_dir).name
        out["report"] = "report" in paths
        return out  # type: ignore[no-any-return]
    except DockhilError as exc:
        rec = RunRecord(
            scenario=Path(path).stem,
            hal=hal_url or "sim://",
            seed=0,
            outcome=Outcome.ERROR,
            error=str(exc),
            scenario_path=path,
        )
        return json.loads(rec.to_json())  # type: ignore[no-any-return]
    finally:
        target.release()


@contextlib.contextmanager
def _writing_outputs() -> Iterator[None]:
    """Count this worker as writing, so that Ctrl-C waits for it rather than ending it."""
    if _writing is None:
        yield
        return
    with _writing.get_lock():
        _writing.value += 1
    try:
        yield
    finally:
        with _writing.get_lock():
            _writing.value -= 1


def run_dirs(files: list[Path], out: Path) -> list[Path]:
    """One output directory per file, inside ``out`` whatever the scenario names say.

    Named after each scenario's ``name`` (its file's stem when the file does
    not load), made safe and unique, so two scenarios of one name do not
    overwrite each other and ``name = "../../x"`` stays inside.
    """
    from hil.outdir import unique_names
    from hil.scenario import load_scenario

    names = []
    for f in files:
        try:
            names.append(load_scenario(f).name)
        except DockhilError:
            names.append(f.stem)
    return [out / n for n in unique_names(names)]


class SuiteInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped the suite; the summary of what ran is written (exit 130)."""


def run_suite(
    paths: list[str],
    out: Path,
    hal_url: str | None = None,
    jobs: int | None = None,
    console: Console | None = None,
    quiet: bool = False,
    report: bool = True,
) -> bool:
    """Run every scenario; print a summary; return True when all passed.

    Raises :class:`SuiteInterrupted` after Ctrl-C, once the summary of the
    runs that ended is written.
    """
    files = collect(paths)
    console = console or Console()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"--out {out}: cannot create it: {exc.strerror or exc}") from None
    if jobs is not None and jobs < 1:
        raise ConfigError(f"--jobs must be at least 1, not {jobs}")
    jobs = jobs or os.cpu_count() or 1
    dirs = run_dirs(files, out)
    results: dict[str, dict[str, Any]] = {}
    interrupted = False
    stop = multiprocessing.get_context().Event()
    writing = multiprocessing.get_context().Value("i", 0)
    with Progress(
        TextColumn("[bold]suite"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[last]}"),
        TimeElapsedColumn(),
        console=console,
        disable=quiet,
    ) as bar:
        task = bar.add_task("suite", total=len(files), last="")
        pool = ProcessPoolExecutor(
            max_workers=jobs, initializer=_worker_init, initargs=(stop, writing)
        )
        futures: dict[Future[dict[str, Any] | None], Path] = {
            pool.submit(run_one, str(f), str(d), hal_url, report): f
            for f, d in zip(files, dirs, strict=True)
        }
        pending = set(futures)

        def collect_done(done: set[Future[dict[str, Any] | None]]) -> None:
            for fut in done:
                rec = None if fut.cancelled() else fut.result()
                if rec is None:
                    continue
                results[str(futures[fut])] = rec
                bar.update(task, advance=1, last=f"{rec['scenario']}: {rec['outcome']}")

        try:
            while pending:
                done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                collect_done(done)
        except KeyboardInterrupt:
            interrupted = True
            with sigint_held():  # a second Ctrl-C must not lose the summary
                stop.set()
                for fut in pending:
                    fut.cancel()
                deadline = time.monotonic() + DRAIN_S
                hard = deadline + WRITE_GRACE_S
                while pending and (
                    time.monotonic() < deadline or (writing.value > 0 and time.monotonic() < hard)
                ):
                    done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                    collect_done(done)
                    pending = {f for f in pending if not f.cancelled()}
                if pending:  # stuck (a compile, a device), not writing: end those workers
                    for proc in list((pool._processes or {}).values()):
                        proc.terminate()
        finally:
            pool.shutdown(wait=not interrupted, cancel_futures=True)
    ran = [f for f in files if str(f) in results]
    ordered = [results[str(f)] for f in ran]
    title = f"{len(files)} scenarios"
    if interrupted:
        title += f", interrupted: {len(files) - len(ran)} not run or not finished"
    table = Table(title=title, show_edge=False)
    for col in ("scenario", "outcome", "final phase", "sim s", "wall s", "failed"):
        table.add_column(col)
    for rec in ordered:
        failed = [m["name"] for m in rec.get("measurements", []) if m["outcome"] == "FAIL"]
        failed += [c["name"] for c in rec.get("checks", []) if c["outcome"] == "FAIL"]
        if rec.get("error"):
            failed.append(str(rec["error"]))
        style = "green" if rec["outcome"] == "PASS" else "red"
        table.add_row(
            rec["scenario"],
            f"[{style}]{rec['outcome']}[/{style}]",
            str(rec["final_phase"]),
            f"{rec.get('sim_time_s', 0):.0f}",
            f"{rec.get('wall_time_s', 0):.1f}",
            "; ".join(failed)[:80],
        )
    console.print(table)
    (out / "summary.json").write_text(json.dumps(ordered, indent=1), encoding="utf-8")
    write_junit([_as_record(r) for r in ordered], out / "junit.xml")
    write_index(ordered, out / "index.html", len(files) - len(ran))
    passed = sum(1 for r in ordered if r["outcome"] == "PASS")
    console.print(f"{passed}/{len(ordered)} passed; outputs in {out}")
    if interrupted:
        console.print(
            f"interrupted: {len(files) - len(ran)} of {len(files)} scenarios not run; "
            "summary.json, junit.xml and index.html cover the runs that ended"
        )
        raise SuiteInterrupted
    return passed == len(ordered)


def write_index(records: list[dict[str, Any]], path: Path, not_run: int = 0) -> None:
    """``index.html``: one row per run with its outcome, linking the run's report."""
    esc = html.escape
    rows = []
    for rec in records:
        name = esc(str(rec["scenario"]))
        run_dir = rec.get("run_dir")
        if run_dir and rec.get("report"):
            name = f'<a href="{esc(run_dir)}/report.html">{name}</a>'
        failed = [m["name"] for m in rec.get("measurements", []) if m["outcome"] == "FAIL"]
        failed += [c["name"] for c in rec.get("checks", []) if c["outcome"] == "FAIL"]
        if rec.get("error"):
            failed.append(str(rec["error"]))
        outcome = str(rec["outcome"])
        rows.append(
            f'<tr class="{esc(outcome.lower())}"><td>{name}</td><td>{esc(outcome)}</td>'
            f"<td>{esc(str(rec.get('final_phase', '')))}</td>"
            f"<td>{float(rec.get('sim_time_s') or 0):.1f}</td>"
            f"<td>{float(rec.get('wall_time_s') or 0):.1f}</td>"
            f"<td>{esc('; '.join(failed))}</td></tr>"
        )
    passed = sum(1 for r in records if r["outcome"] == "PASS")
    note = f"; {not_run} not run (interrupted)" if not_run else ""
    path.write_text(
        f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dockhil suite</title>
<style>body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1150px; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: 0.25em 0.6em;
text-align: left; }} tr.pass td {{ background: #f1f8e9; }} tr.fail td, tr.error td,
tr.aborted td {{ background: #ffebee; }}</style></head><body>
<h1>dockhil suite: {passed}/{len(records)} passed{note}</h1>
<table><tr><th>scenario</th><th>outcome</th><th>final phase</th><th>sim s</th><th>wall s</th>
<th>failed</th></tr>
{chr(10).join(rows)}
</table></body></html>
""",
        encoding="utf-8",
    )


def _as_record(d: dict[str, Any]) -> RunRecord:
    from hil.record import Check, Measurement

    rec = RunRecord(
        scenario=d["scenario"],
        hal=d["hal"],
        seed=d["seed"],
        outcome=d["outcome"],
        final_phase=d.get("final_phase", ""),
        error=d.get("error"),
        wall_time_s=d.get("wall_time_s", 0.0),
    )
    rec.measurements = [Measurement(**m) for m in d.get("measurements", [])]
    rec.checks = [Check(**c) for c in d.get("checks", [])]
    return rec
