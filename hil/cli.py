"""The ``dockhil`` command.

Every error a user can cause (a malformed scenario, an unknown HAL URL, a
port that vanished) ends as one clear line on stderr and exit code 2 (or 1
for a run that executed and failed); never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from controller.errors import ConfigError, DockhilError

if TYPE_CHECKING:
    from rich.console import Console

    from controller.hal import Hal
    from hil.outdir import OutputDir
    from hil.realtime import SchedulerRequest
    from hil.scenario import Scenario

EXIT_PASS, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def _default_out(name: str) -> Path:
    from hil.outdir import safe_name

    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{safe_name(name)}-{stamp}"


def cmd_run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from hil.outdir import OutputDir
    from hil.scenario import load_scenario

    console = Console(stderr=False, highlight=False)
    status = Console(stderr=True, highlight=False)
    if args.seed is not None and not 0 <= args.seed < 2**63:
        raise ConfigError(f"--seed must be an integer in [0, 2^63), not {args.seed}")
    if args.rate is not None and not (math.isfinite(args.rate) and args.rate > 0):
        raise ConfigError(f"--rate must be a positive number of Hz, not {args.rate}")
    hal = None
    if args.replay:
        from hil.campaign.replay import replay

        if args.scenario or args.hal:
            raise ConfigError(
                "--replay DIR RUN_ID runs a campaign's run: give no scenario or --hal"
            )
        scenario, hal = replay(Path(args.replay[0]), _run_id(args.replay[1]))
    elif args.scenario:
        scenario = load_scenario(args.scenario)
    else:
        raise ConfigError("name a scenario file, or --replay CAMPAIGN_DIR RUN_ID")
    target = OutputDir(Path(args.out) if args.out else _default_out(scenario.name))
    target.prepare()  # before the run: a run that cannot be written is not started
    try:
        return _run_into(args, console, status, scenario, target, hal)
    finally:
        target.release()


def _run_id(text: str) -> int:
    if not text.isdigit():
        raise ConfigError(f"--replay wants a run id (an integer from runs.parquet), not {text!r}")
    return int(text)


def _run_into(
    args: argparse.Namespace,
    console: Console,
    status: Console,
    scenario: Scenario,
    target: OutputDir,
    hal: Hal | None = None,
) -> int:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from hil import output
    from hil.runner import run
    from hil.startup import COMPILE_MESSAGE, plant_compile_pending

    if not args.quiet and plant_compile_pending(args.hal):
        status.print(COMPILE_MESSAGE)

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("t = {task.completed:7.1f} s sim"),
        TextColumn("{task.fields[phase]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=args.quiet or not console.is_terminal,
    ) as bar:
        task = bar.add_task(scenario.name, total=scenario.duration_s, phase="")

        def progress(t_s: float, phase: str) -> None:
            bar.update(task, completed=t_s, phase=phase)

        realtime = _scheduler_request(args) if args.realtime else None
        live = None
        if args.live:
            from hil.live import LiveView

            assert target.tmp is not None
            live = LiveView(args.live_port, target.tmp / "live.mcap", rate_hz=args.live_rate)
            # stderr, flushed: a viewer (or a test) waits for this line to connect
            print(
                f"live view: {live.url} (Foxglove or Lichtblick); recording live.mcap",
                file=sys.stderr,
                flush=True,
            )
        result = run(
            scenario,
            hal_url=args.hal,
            seed=args.seed,
            progress=progress,
            hal=hal,
            realtime=realtime,
            rate_hz=args.rate,
            telemetry_path=target.tmp / "telemetry.parquet" if target.tmp else None,
            live=live,
        )
    if not args.quiet:
        status.print("writing the record" + ("" if args.no_report else " and the report") + " ...")
    paths = output.write_run_safely(result, target, csv=args.csv, report=not args.no_report)
    if not args.quiet:
        output.print_summary(console, result.record, paths)
    if result.interrupted:
        raise KeyboardInterrupt  # it came after the run: the record above is whole
    return EXIT_PASS if result.record.outcome == "PASS" else EXIT_FAIL


def cmd_report(args: argparse.Namespace) -> int:
    from hil.report import build_report

    run_dir = Path(args.run_dir)
    for needed in ("result.json", "telemetry.parquet"):
        if not (run_dir / needed).is_file():
            raise ConfigError(f"{run_dir}: no {needed} here; is this a run directory?")
    try:
        path = build_report(run_dir)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        # json.JSONDecodeError is a ValueError; a record missing fields a KeyError
        raise ConfigError(
            f"{run_dir}: result.json or telemetry.parquet is not a readable dockhil run "
            f"({type(exc).__name__}: {exc})"
        ) from None
    print(f"report: {path}")
    return EXIT_PASS


def cmd_compare(args: argparse.Namespace) -> int:
    from hil.compare import compare_runs, format_comparison

    for name in ("rtol", "atol", "time_tol"):
        value = getattr(args, name)
        if not (math.isfinite(value) and value >= 0):
            raise ConfigError(f"--{name.replace('_', '-')} must be a number >= 0, not {value}")
    c = compare_runs(
        Path(args.run_a), Path(args.run_b), rtol=args.rtol, atol=args.atol, time_tol_s=args.time_tol
    )
    print(format_comparison(c, args.run_a, args.run_b))
    return EXIT_PASS if c.identical else EXIT_FAIL


def cmd_suite(args: argparse.Namespace) -> int:
    from rich.console import Console

    from hil.startup import COMPILE_MESSAGE, plant_compile_pending
    from hil.suite import run_suite

    console = Console(highlight=False)
    out = Path(args.out) if args.out else _default_out("suite")
    if not args.quiet and plant_compile_pending(args.hal):
        console.print(COMPILE_MESSAGE + ", in each worker")
    ok = run_suite(
        args.paths,
        out,
        hal_url=args.hal,
        jobs=args.jobs,
        console=console,
        quiet=args.quiet,
        report=not args.no_report,
    )
    return EXIT_PASS if ok else EXIT_FAIL


def cmd_campaign(args: argparse.Namespace) -> int:
    from rich.console import Console

    from hil.campaign.engine import run_campaign
    from hil.campaign.spec import load_campaign

    console = Console(highlight=False)
    campaign = load_campaign(args.campaign)
    out = Path(args.out) if args.out else Path("runs") / f"campaign-{campaign.name}"
    summary = run_campaign(
        campaign,
        out,
        scheduler=args.scheduler,
        workers=args.workers,
        console=console,
        quiet=args.quiet,
    )
    if not args.quiet:
        cap = summary["p_capture"]
        lo, hi = cap["wilson95"]
        console.print(
            f"{summary['runs']} runs; P(capture) = {cap['p']:.4f} (95 % Wilson {lo:.4f} .. "
            f"{hi:.4f}); report: {out / 'report.html'}"
        )
    return EXIT_PASS


def cmd_validate(args: argparse.Namespace) -> int:
    from controller.errors import ScenarioError
    from hil.scenario import read_table
    from hil.schema import scenario_errors
    from hil.suite import collect

    bad = 0
    for path in collect(args.paths):
        try:
            errors: list[ScenarioError] = scenario_errors(read_table(path), str(path))[1]
        except ScenarioError as exc:
            errors = [exc]
        if errors:
            bad += 1
            for err in errors:
                print(f"{err}", file=sys.stderr)
        elif not args.quiet:
            print(f"{path}: ok")
    return EXIT_FAIL if bad else EXIT_PASS


def cmd_vmcu(args: argparse.Namespace) -> int:
    import signal

    from sim_bridge.vmcu import LinkFaults, VirtualMcu
    from sim_bridge.vmcu_server import serve_pty, serve_tcp

    for name in ("drop", "corrupt", "duplicate", "delay"):
        p = getattr(args, name)
        if not 0.0 <= p <= 1.0:
            raise ConfigError(f"--{name} is a probability per frame, 0..1; got {p}")
    if args.speedup <= 0:
        raise ConfigError(f"--speedup must be positive; got {args.speedup}")
    core = VirtualMcu(
        preset=args.preset,
        seed=args.seed,
        period_s=args.period_ms / 1000.0,
        lockstep=not args.realtime,
        speedup=args.speedup,
        link_faults=LinkFaults(args.drop, args.corrupt, args.duplicate, args.delay),
        fault_seed=args.seed,
        watchdog=not args.no_watchdog,
        flush=not args.no_flush,
    )
    # SIGTERM ends the device like Ctrl-C does: quietly, with exit code 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        if args.tcp:
            host, _, port = args.tcp.rpartition(":")
            if not host or not port.isdigit():
                raise ConfigError(f"--tcp wants HOST:PORT, e.g. 127.0.0.1:5555; got {args.tcp!r}")
            serve_tcp(core, host, int(port))
        else:
            serve_pty(core)
    except KeyboardInterrupt:
        pass
    return EXIT_PASS


def cmd_conform(args: argparse.Namespace) -> int:
    from hil.conform import check_url, format_rows, run_conformance, write_junit

    check_url(args.hal)
    rows = run_conformance(args.hal)
    print(format_rows(rows))
    if args.junit:
        write_junit(rows, Path(args.junit), args.hal)
    return EXIT_FAIL if any(r.status == "FAIL" for r in rows) else EXIT_PASS


def cmd_timing(args: argparse.Namespace) -> int:
    import json

    from hil.timing import format_table, measure

    for name in ("rate", "seconds", "floor_seconds"):
        value = getattr(args, name)
        if not (math.isfinite(value) and value > 0):
            raise ConfigError(f"--{name.replace('_', '-')} must be a positive number, not {value}")
    if args.max_missed is not None and not 0.0 <= args.max_missed <= 1.0:
        raise ConfigError(f"--max-missed is a fraction in [0, 1], not {args.max_missed}")
    summary = measure(
        args.hal,
        args.rate,
        args.seconds,
        _scheduler_request(args),
        floor_seconds=args.floor_seconds,
    )
    if args.json:
        print(json.dumps(summary))
    else:
        print(format_table(summary))
    if "error" in summary:
        return EXIT_FAIL
    if args.max_missed is not None and summary["missed_fraction"] > args.max_missed:
        print(
            f"dockhil: the loop missed {summary['missed_fraction'] * 100:.3f} % of its cycles, "
            f"more than --max-missed {args.max_missed * 100:g} % (the host's floor missed "
            f"{summary['floor']['missed_fraction'] * 100:.3f} %)",
            file=sys.stderr,
        )
        return EXIT_FAIL
    return EXIT_PASS


def _add_scheduler_options(group: argparse._ActionsContainer) -> None:
    group.add_argument(
        "--fifo",
        type=int,
        default=0,
        metavar="PRIO",
        help="ask for SCHED_FIFO at this priority (1-99), with 1 ns timer slack",
    )
    group.add_argument("--slack", action="store_true", help="ask for 1 ns timer slack")
    group.add_argument(
        "--spin-us",
        type=float,
        default=0.0,
        help="busy-wait this long before each deadline, us (e.g. 200)",
    )
    group.add_argument("--mlock", action="store_true", help="lock memory (mlockall)")


def _scheduler_request(args: argparse.Namespace) -> SchedulerRequest:
    from hil.realtime import SchedulerRequest

    return SchedulerRequest(
        fifo_priority=args.fifo,
        timer_slack_ns=1 if (args.fifo or args.slack) else None,
        spin_us=args.spin_us,
        lock_memory=args.mlock,
    )


def build_parser() -> argparse.ArgumentParser:
    from hil.provenance import dockhil_version

    parser = argparse.ArgumentParser(
        prog="dockhil",
        description="Docking-mechanism controller reference and hardware-in-the-loop harness.",
    )
    parser.add_argument("--version", action="version", version=f"dockhil {dockhil_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "run",
        help="run one scenario (lockstep on sim:// by default)",
        description="Run one scenario file and write its result record.",
    )
    p.add_argument(
        "scenario", nargs="?", default=None, help="scenario TOML file, e.g. scenarios/nominal.toml"
    )
    p.add_argument(
        "--replay",
        nargs=2,
        metavar=("DIR", "RUN_ID"),
        default=None,
        help="run one run of a campaign again, bit-identically, from its directory",
    )
    p.add_argument("--hal", default=None, help="HAL URL (default: $DOCKHIL_HAL_URL or sim://)")
    p.add_argument(
        "--out", default=None, help="output directory (default: runs/<scenario>-<time>/)"
    )
    p.add_argument("--seed", type=int, default=None, help="override the scenario's seed")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing; use the exit code")
    p.add_argument("--csv", action="store_true", help="also write telemetry.csv (small runs)")
    p.add_argument(
        "--no-report",
        action="store_true",
        help="skip report.html and its plots ('dockhil report' makes them later)",
    )
    lv = p.add_argument_group("live view (needs pip install -e '.[live]')")
    lv.add_argument(
        "--live",
        action="store_true",
        help="serve the telemetry to Foxglove / Lichtblick over WebSocket while the run goes, "
        "and record it to live.mcap",
    )
    lv.add_argument(
        "--live-port", type=int, default=8765, help="WebSocket port (default 8765; 0: any free)"
    )
    lv.add_argument(
        "--live-rate",
        type=float,
        default=20.0,
        help="messages per channel per simulated second (default 20)",
    )
    rt = p.add_argument_group("real time (a bench, or the virtual microcontroller with --realtime)")
    rt.add_argument(
        "--realtime",
        action="store_true",
        help="run on absolute deadlines against a device with its own clock",
    )
    rt.add_argument(
        "--rate",
        type=float,
        default=None,
        help="loop rate, Hz (default: the device's period from its Hello)",
    )
    _add_scheduler_options(rt)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "suite",
        help="run many scenarios in parallel, with a summary table",
        description="Run every scenario in the given directories or files.",
    )
    p.add_argument("paths", nargs="+", help="scenario files or directories of *.toml")
    p.add_argument("--hal", default=None, help="HAL URL for every run (default: sim://)")
    p.add_argument("--out", default=None, help="output directory (default: runs/suite-<time>/)")
    p.add_argument(
        "-j", "--jobs", type=int, default=None, help="parallel runs (default: CPU count)"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--no-report",
        action="store_true",
        help="skip each run's report.html and plots (seconds per run)",
    )
    p.set_defaults(func=cmd_suite)

    p = sub.add_parser(
        "campaign",
        help="run a Monte Carlo campaign on Dask (a LocalCluster, or --scheduler)",
        description="Run a campaign file (docs/campaigns.md): dispersed runs of one scenario, "
        "runs.parquet, campaign.json with probabilities and Wilson intervals, report.html. "
        "Running the same command again resumes.",
    )
    p.add_argument("campaign", help="campaign TOML file, e.g. campaigns/maker-envelope.toml")
    p.add_argument("--out", default=None, help="output directory (default: runs/campaign-<name>/)")
    p.add_argument(
        "--scheduler", default=None, metavar="ADDRESS", help="an existing Dask scheduler"
    )
    p.add_argument(
        "--workers", type=int, default=None, help="LocalCluster workers (default: CPU count)"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    p.set_defaults(func=cmd_campaign)

    p = sub.add_parser(
        "validate",
        help="check scenario files without running them",
        description="Check scenario files against the scenario format (docs/scenarios.md) and "
        "list every problem, with file, field and the valid choices. Exit 1 if any is invalid.",
    )
    p.add_argument("paths", nargs="+", help="scenario files or directories of *.toml")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the problems")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser(
        "vmcu",
        help="serve the virtual microcontroller on a pty or TCP socket",
        description="Serve the simulated mechanism behind the wire protocol (docs/icd.md). "
        "Prints the device path (or socket URL) as the first line of standard output.",
    )
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--pty", action="store_true", help="serve on a new pseudo-terminal")
    where.add_argument("--tcp", metavar="HOST:PORT", help="serve on a TCP socket")
    p.add_argument(
        "--realtime",
        action="store_true",
        help="advance the plant on the clock and stream housekeeping (default: lockstep)",
    )
    p.add_argument("--speedup", type=float, default=1.0, help="simulated s per wall s (real time)")
    p.add_argument(
        "--period-ms",
        type=float,
        default=10.0,
        help="control period in simulated time, ms (match the scenario's period_s)",
    )
    p.add_argument("--preset", default="cn-10t-100t", help="plant preset until the host sets one")
    p.add_argument("--seed", type=int, default=1, help="seed for noise and link faults")
    p.add_argument(
        "--no-watchdog",
        action="store_true",
        help="a broken device: no set-point watchdog (to show 'dockhil conform' failing)",
    )
    p.add_argument(
        "--no-flush",
        action="store_true",
        help="a broken device: no 0x00 before a burst after a pause (ICD DEV-FRM-2)",
    )
    for name, what in (
        ("drop", "drop"),
        ("corrupt", "corrupt one bit of"),
        ("duplicate", "duplicate"),
        ("delay", "delay"),
    ):
        p.add_argument(
            f"--{name}", type=float, default=0.0, help=f"probability to {what} each outgoing frame"
        )
    p.set_defaults(func=cmd_vmcu)

    p = sub.add_parser(
        "conform",
        help="check a device against the device clauses of docs/icd.md",
        description="Drive a device through the ICD's device clauses on the wire and print "
        "one row per clause (PASS, FAIL with the bytes seen, SKIP with the reason). "
        "SIM-* clauses need a simulated device. Exit code 1 when any clause fails.",
    )
    p.add_argument(
        "--hal",
        required=True,
        help="the device: a path, socket://HOST:PORT, or vmcu:// (started in real time)",
    )
    p.add_argument("--junit", default=None, metavar="FILE", help="also write JUnit XML here")
    p.set_defaults(func=cmd_conform)

    p = sub.add_parser(
        "timing",
        help="measure the control loop alone at a fixed rate",
        description="Run read -> controller.step -> write at a fixed rate on absolute deadlines "
        "and print execution time, lateness, period, missed cycles and sensor-to-command latency, "
        "beside the host's own floor measured first the way cyclictest does.",
    )
    p.add_argument("--hal", default="sim://", help="HAL URL (e.g. a pty of 'dockhil vmcu --pty')")
    p.add_argument("--rate", type=float, default=1000.0, help="loop rate, Hz (default 1000)")
    p.add_argument("--seconds", type=float, default=10.0, help="how long to run, s (default 10)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument(
        "--floor-seconds",
        type=float,
        default=3.0,
        help="how long to measure the host's floor first (a bare loop on the same deadlines), "
        "s (default 3)",
    )
    p.add_argument(
        "--max-missed",
        type=float,
        default=None,
        metavar="FRACTION",
        help="exit 1 when the loop misses more than this fraction of its cycles (e.g. 0.01)",
    )
    _add_scheduler_options(p)
    p.set_defaults(func=cmd_timing)

    p = sub.add_parser(
        "report",
        help="rebuild report.html and plots of a run directory",
        description="Rebuild the HTML report of a run from its result.json and telemetry.parquet.",
    )
    p.add_argument("run_dir", help="a directory written by 'dockhil run'")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser(
        "compare",
        help="where two runs differ: measurements, phase timeline, telemetry",
        description="Compare two run directories: measurement deltas, the first divergence of "
        "the phase timeline and of the telemetry (exit 0 when identical, 1 when they differ).",
    )
    p.add_argument("run_a", help="a run directory (the reference)")
    p.add_argument("run_b", help="another run directory")
    p.add_argument(
        "--rtol", type=float, default=0.0, help="relative tolerance on telemetry (default 0)"
    )
    p.add_argument(
        "--atol",
        type=float,
        default=0.0,
        help="absolute tolerance on telemetry, in each column's units (default 0)",
    )
    p.add_argument(
        "--time-tol",
        type=float,
        default=0.0,
        help="tolerance on phase entry times, s (default 0)",
    )
    p.set_defaults(func=cmd_compare)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # bare `dockhil`: say what there is
        parser.print_help()
        return EXIT_PASS
    try:
        code: int = args.func(args)
    except ConfigError as exc:
        print(f"dockhil: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except DockhilError as exc:
        print(f"dockhil: error: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except KeyboardInterrupt:
        print("dockhil: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _closed_pipe()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        return _closed_pipe()
    return code


def _closed_pipe() -> int:
    """The reader of our output went away (``dockhil timing --json | head``): not an error.

    Python would report the failed flush at exit; pointing stdout at /dev/null
    first lets the interpreter end quietly, with the shell's code for SIGPIPE.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 141


if __name__ == "__main__":
    sys.exit(main())
