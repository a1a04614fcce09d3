"""Running a campaign on Dask distributed: a LocalCluster by default, or any scheduler.

The driver (this module) samples every run, skips those already in
``runs.parquet`` (resume), sends the rest to the workers in chunks, and
rewrites ``runs.parquet`` atomically as rows come back (every
:data:`FLUSH_S` seconds, or :data:`FLUSH_COST` times the last rewrite's
time if longer, and at the end), so Ctrl-C or a lost cluster keeps every
finished row. The workers compile (or load from their cache) the numba
kernels once, when they join (:class:`Warmup`), before any run.

Nothing here is home-made cluster management: ``--scheduler`` takes the
address of any Dask scheduler (one started by dask-jobqueue on Slurm/PBS,
by dask-kubernetes, or ``dask scheduler`` by hand); see docs/campaigns.md.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
import tomllib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from distributed import WorkerPlugin
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from controller.errors import ConfigError
from hil.campaign import results
from hil.campaign.execute import RunSpec
from hil.campaign.sampling import run_seed, sample
from hil.campaign.spec import Campaign, load_campaign

FLUSH_S = 2.0
"""Shortest time between two rewrites of ``runs.parquet`` while rows come in, s."""

FLUSH_COST = 25.0
"""... and at least this many times what the last rewrite took: the file is rewritten whole,
so with 10 000 rows each rewrite costs the driver tens of ms, taken from the workers' cores."""

LOCAL_CLUSTER_CONFIG: dict[str, Any] = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.gil.enabled": False,
}
"""Dask settings of the LocalCluster a campaign starts (not of a ``--scheduler``'s workers).

Each is a watcher waking up in every worker (and in the scheduler, which runs in
the driver) and taking the GIL: the statistical profiler samples the running
task's stack every 10 ms, the event-loop tick runs every 20 ms, the GIL monitor
(with ``gilknocker`` installed) every 1 ms. Without them the driver's CPU per run
fell from 2.5-4.7 ms to 1.5-1.8 ms (``benchmarks/campaign_cluster_cpu.py``), CPU
that the workers of a machine with as many cores want; on a worker's own CPU
per run their effect was within the noise of this shared machine. The dashboard
keeps every page but the profiler's."""


STATE = "campaign-state.json"
"""Which campaign a directory holds (its digest): resume continues only the same one."""


class Warmup(WorkerPlugin):  # type: ignore[misc]
    """Dask worker plugin: load (or compile) the numba kernels once per worker.

    Each worker runs one short lockstep step of the plant when it joins, so
    the first real run does not pay the ~45 s compile, and N workers do not
    each compile in the middle of the campaign. ``NUMBA_CACHE_DIR`` is pointed
    at the worker's local directory when the package directory is read-only
    (a shared install on a cluster), so every node keeps its own cache.
    """

    idempotent = True
    name = "dockhil-warmup"

    def setup(self, worker: Any) -> None:
        import sim_bridge

        pkg = Path(sim_bridge.__file__).parent / "_kernel"
        if not os.access(pkg, os.W_OK) and "NUMBA_CACHE_DIR" not in os.environ:
            os.environ["NUMBA_CACHE_DIR"] = str(Path(worker.local_directory) / "numba-cache")
        warm()


def warm() -> None:
    """Step a plant once so every kernel a run uses is compiled or loaded from cache."""
    from controller.types import ActuatorCommand, InitialConditions
    from sim_bridge.plant import Plant

    plant = Plant("cn-10t-100t", InitialConditions(), 0)
    plant.advance(ActuatorCommand(), 2)
    plant.sense()
    plant.truth()


@contextmanager
def client_for(
    scheduler: str | None, workers: int | None, console: Console, quiet: bool
) -> Iterator[Any]:
    """A Dask client on ``scheduler``, or on a new LocalCluster of ``workers`` processes
    (default: one per core, one thread each: the runs are single-threaded)."""
    from distributed import Client, LocalCluster

    if workers is not None and workers < 1:
        raise ConfigError(f"--workers must be at least 1, not {workers}")
    cluster = None
    try:
        if scheduler:
            try:
                client = Client(scheduler, timeout="20s")
            except OSError as exc:
                raise ConfigError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
        else:
            import dask

            with dask.config.set(LOCAL_CLUSTER_CONFIG):  # the nannies pass it on to workers
                cluster = LocalCluster(
                    n_workers=workers or os.cpu_count() or 1,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",
                    silence_logs=logging.ERROR,
                )
            client = Client(cluster)
    except ImportError as exc:  # pragma: no cover - dask is a dependency
        raise ConfigError(f"Dask distributed is not installed: {exc}") from None
    try:
        if not quiet:
            console.print(f"dashboard: {client.dashboard_link}")
        client.register_plugin(Warmup(), name=Warmup.name)
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def prepare_dir(campaign: Campaign, out: Path) -> None:
    """Create ``out`` with copies of the campaign and base files; refuse a different campaign."""
    import tomli_w

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"--out {out}: cannot create it: {exc.strerror or exc}") from None
    state = out / STATE
    if state.is_file():
        old = json.loads(state.read_text(encoding="utf-8"))
        if old.get("digest") != campaign.digest:
            raise ConfigError(
                f"--out {out} holds campaign {old.get('name')!r} made from other files "
                "(resume continues only the same campaign); choose another --out"
            )
    base_copy = out / "base-scenario.toml"
    shutil.copyfile(campaign.base_path, base_copy)
    data = tomllib.loads(Path(campaign.path).read_text(encoding="utf-8"))
    data["campaign"]["scenario"] = base_copy.name
    results.atomic_bytes(out / "campaign.toml", tomli_w.dumps(data).encode())
    results.atomic_bytes(
        state,
        json.dumps(
            {"name": campaign.name, "digest": campaign.digest, "runs": campaign.runs}
        ).encode(),
    )


def run_campaign(
    campaign: Campaign,
    out: Path,
    scheduler: str | None = None,
    workers: int | None = None,
    console: Console | None = None,
    quiet: bool = False,
) -> dict[str, Any]:
    """Run every run not yet in ``out/runs.parquet``, then the statistics and the report.

    Returns the summary written to ``campaign.json``. Ctrl-C writes the rows
    finished so far and re-raises :class:`KeyboardInterrupt`.
    """
    console = console or Console()
    prepare_dir(campaign, out)
    saved = load_campaign(out / "campaign.toml")  # what replays will load
    inputs = sample(campaign)
    done = results.read_rows(out)
    have = {int(r["run_id"]) for r in done}
    todo = [
        RunSpec(
            i,
            run_seed(campaign.seed, i)
            if campaign.noise_seed == "per_run"
            else _base_seed(campaign),
            inputs[i],
        )
        for i in range(len(inputs))
        if i not in have
    ]
    if have and not quiet:
        console.print(f"resuming: {len(have)} runs already in {out / 'runs.parquet'}")
    t0 = time.perf_counter()
    with client_for(scheduler, workers, console, quiet) as client:
        rows = list(done)
        fan0 = time.perf_counter()
        if todo:
            _fan_out(client, saved, todo, rows, out, console, quiet)
        fan_out_s = time.perf_counter() - fan0
        kept = _keep(client, saved, rows, out)
        boundary = None
        if saved.boundary is not None:
            from hil.campaign.boundary import search

            boundary = search(client, saved, out)
    summary = results.summarise(saved, rows, out, wall_s=time.perf_counter() - t0)
    summary["runs_this_session"] = len(todo)
    summary["fan_out_s"] = fan_out_s
    summary["kept_telemetry"] = kept
    if boundary is not None:
        summary["boundary"] = boundary
    results.atomic_bytes(out / "campaign.json", json.dumps(summary, indent=1).encode())
    from hil.campaign.report import build_report

    build_report(out, saved, summary)
    return summary


def _base_seed(campaign: Campaign) -> int:
    return int(campaign.base.get("seed", 1))


def _chunks(specs: Sequence[RunSpec], size: int) -> list[list[RunSpec]]:
    return [list(specs[i : i + size]) for i in range(0, len(specs), size)]


def _fan_out(
    client: Any,
    campaign: Campaign,
    todo: list[RunSpec],
    rows: list[dict[str, Any]],
    out: Path,
    console: Console,
    quiet: bool,
) -> None:
    from distributed import as_completed

    from hil.campaign.execute import execute_many

    n_workers = max(1, len(client.scheduler_info().get("workers", {})) or 1)
    size = max(1, min(25, len(todo) // (n_workers * 8) or 1))
    # a fresh key each fan-out: under the content hash, an interrupted campaign's released
    # future could delete the data a resumed one on the same cluster had just scattered
    # ("lost dependencies" on a loaded host)
    [shared] = client.scatter([campaign], broadcast=True, hash=False)
    futures = [
        client.submit(execute_many, shared, chunk, pure=False) for chunk in _chunks(todo, size)
    ]
    failures = sum(1 for r in rows if r["outcome"] != "PASS")
    last_flush = time.monotonic()
    flush_s = 0.0
    pending: list[dict[str, Any]] = []
    with Progress(
        TextColumn(f"[bold]{campaign.name}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("failed {task.fields[failed]}"),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        disable=quiet,
        refresh_per_second=2,  # rich's 10 Hz redraw took 2.4 % of a core from the workers
    ) as bar:
        task = bar.add_task(
            "runs", total=len(todo) + len(rows), completed=len(rows), failed=failures, rate=""
        )
        t0 = time.monotonic()
        finished = 0
        try:
            for fut in as_completed(futures):
                chunk = fut.result()
                pending += chunk
                finished += len(chunk)
                failures += sum(1 for r in chunk if r["outcome"] != "PASS")
                rate = finished / max(1e-9, time.monotonic() - t0)
                bar.update(task, advance=len(chunk), failed=failures, rate=f"{rate:.1f} runs/s")
                if time.monotonic() - last_flush >= max(FLUSH_S, FLUSH_COST * flush_s):
                    rows += pending
                    pending = []
                    w0 = time.monotonic()
                    results.write_rows(out, rows)
                    last_flush = time.monotonic()
                    flush_s = last_flush - w0
        except BaseException:
            rows += pending
            results.write_rows(out, rows)
            client.cancel(futures)
            if not quiet:
                console.print(
                    f"stopped: {len(rows)} finished runs kept in {out / 'runs.parquet'}; "
                    "the same command resumes"
                )
            raise
    rows += pending
    results.write_rows(out, rows)


def _keep(client: Any, campaign: Campaign, rows: list[dict[str, Any]], out: Path) -> list[int]:
    """Re-run the worst N and the first failures with telemetry (bit-identical replays)
    and write ``telemetry/<run_id>.parquet`` and a replayable ``scenarios/<run_id>.toml``."""
    from hil.campaign.execute import execute_many

    ids = results.kept_ids(campaign, rows)
    folder = out / "telemetry"
    missing = [i for i in ids if not (folder / f"{i}.parquet").is_file()]
    if missing:
        inputs = sample(campaign)
        by_id = {int(r["run_id"]): r for r in rows}
        specs = [RunSpec(i, int(by_id[i]["seed"]), inputs[i]) for i in missing]
        folder.mkdir(exist_ok=True)
        for chunk in client.gather(
            [client.submit(execute_many, campaign, [s], True, pure=False) for s in specs]
        ):
            for r in chunk:
                data = r.pop("_telemetry", None)
                if data is not None:
                    results.atomic_bytes(folder / f"{r['run_id']}.parquet", data)
    from hil.campaign.replay import write_scenario

    for i in ids:
        write_scenario(out, i)
    return ids
