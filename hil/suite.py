"""Running many scenarios: in parallel on the cores there are, with a summary table.

Each scenario runs in its own process (the controller and plant are
single-threaded; processes use both cores without sharing state) and writes
its own run directory; the suite adds a combined ``junit.xml`` and
``summary.json``.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from controller.errors import ConfigError, DockhilError
from hil.junit import write_junit
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


def run_one(path: str, run_dir: str, hal_url: str | None) -> dict[str, Any]:
    """Worker: run one scenario file and write its outputs into ``run_dir``; never raises."""
    from hil.outdir import OutputDir
    from hil.output import write_run_safely
    from hil.runner import run
    from hil.scenario import load_scenario

    target = OutputDir(Path(run_dir))
    try:
        scenario = load_scenario(path)
        tmp = target.prepare()
        result = run(scenario, hal_url=hal_url, telemetry_path=tmp / "telemetry.parquet")
        write_run_safely(result, target)
        return json.loads(result.record.to_json())  # type: ignore[no-any-return]
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


def run_suite(
    paths: list[str],
    out: Path,
    hal_url: str | None = None,
    jobs: int | None = None,
    console: Console | None = None,
    quiet: bool = False,
) -> bool:
    """Run every scenario; print a summary; return True when all passed."""
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
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = {
                pool.submit(run_one, str(f), str(d), hal_url): f
                for f, d in zip(files, dirs, strict=True)
            }
            for fut in as_completed(futures):
                rec = fut.result()
                results[str(futures[fut])] = rec
                bar.update(task, advance=1, last=f"{rec['scenario']}: {rec['outcome']}")
    ordered = [results[str(f)] for f in files]
    table = Table(title=f"{len(files)} scenarios", show_edge=False)
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
    passed = sum(1 for r in ordered if r["outcome"] == "PASS")
    console.print(f"{passed}/{len(ordered)} passed; outputs in {out}")
    return passed == len(ordered)


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
