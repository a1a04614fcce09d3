"""Running one scenario: open the HAL, drive the loop, judge the record.

The cycle itself lives in :mod:`hil.loop` (shared with the pytest plugin and
``dockhil timing``). This module sets a run up (HAL, controller config,
seed), drives the loop in lockstep or on real-time deadlines, and turns what
the loop collected into the result record: measurements judged against the
scenario's limits, checks, outcome. Whatever happens (a link fault, a bug
caught by the controller, Ctrl-C), the record and the telemetry recorded so
far are returned for writing.
"""

from __future__ import annotations

import time
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

import controller
from controller.config import ControllerConfig
from controller.errors import ConfigError, DockhilError, HalError, ScenarioError
from controller.hal import LOCKSTEP, DeviceIdentity, Hal, LinkCounters, SimControl
from controller.machine import DockingController
from hil import measure, provenance
from hil.backends import open_hal, with_period
from hil.loop import ControlLoop, Progress, RunLimitError, RunLimits
from hil.outdir import sigint_held
from hil.realtime import (
    FLOOR_SECONDS,
    LoopOverrunError,
    LoopStats,
    SchedulerRequest,
    above_floor,
    histogram_us,
    measure_floor,
    percentiles_us,
    scheduled,
)
from hil.record import Check, Measurement, Outcome, RunRecord
from hil.scenario import SENSOR_FAULT_KINDS, Expectation, Scenario
from hil.telemetry import TelemetryRecorder

if TYPE_CHECKING:
    from hil.live import LiveView


@dataclass
class RunResult:
    record: RunRecord
    telemetry: TelemetryRecorder
    exec_ns: array[int] = field(default_factory=lambda: array("q"))
    """Controller execution time per cycle, ns (8 bytes a cycle, not a Python int)."""
    startup_s: float = 0.0
    """Wall time from the start of the run to the end of its first cycle, s: a first
    run's kernel compile and the backend's setup, kept out of the real-time factor."""
    interrupted: bool = False
    """Ctrl-C came after the loop had ended, while the record was being made: the
    record is whole; the command line writes it and then exits 130."""


def controller_config(scenario: Scenario) -> ControllerConfig:
    """The default config with the scenario's ``[controller]`` overrides applied."""
    try:
        return ControllerConfig.from_mapping(scenario.controller)
    except ConfigError as exc:
        raise ScenarioError(scenario.path, "controller", str(exc)) from None


def run(
    scenario: Scenario,
    hal_url: str | None = None,
    seed: int | None = None,
    progress: Progress | None = None,
    hal: Hal | None = None,
    realtime: SchedulerRequest | None = None,
    rate_hz: float | None = None,
    telemetry_path: Path | None = None,
    live: LiveView | None = None,
    provenance_fields: bool = True,
    recorder: TelemetryRecorder | None = None,
) -> RunResult:
    """Run ``scenario`` in lockstep and return its record and telemetry.

    Configuration errors (bad URL, a physical fault on a bench) raise
    :class:`~controller.errors.ConfigError` before the loop starts; anything
    that goes wrong inside the loop ends the run with outcome ERROR or
    ABORTED and keeps what was recorded. With ``telemetry_path`` the telemetry
    streams to that Parquet file as the run goes (flat memory); without it,
    it is kept in memory. With ``live`` (:mod:`hil.live`) the telemetry is
    also published as the run goes; the view is closed with the telemetry.
    ``provenance_fields=False`` leaves the host, the git commit and the file
    digests out of the record (None): a campaign's rows never read them, and
    the two ``git`` processes were a campaign run's largest fixed cost.
    ``recorder`` records the telemetry instead of a new in-memory
    :class:`~hil.telemetry.TelemetryRecorder` (a campaign's, of the measured
    columns only); it is closed with the run, and ``telemetry_path`` and
    ``live`` do not apply.
    """
    seed = scenario.seed if seed is None else seed
    url = with_period(hal_url, scenario.period_s)
    config = controller_config(scenario)
    started_utc = provenance.utc_now()
    # before the HAL is opened: git and file digests take tens of ms a device need not wait
    host, commit, scenario_sha256, preset_sha256 = "", None, None, None
    if provenance_fields:
        host, commit = provenance.host_name(), provenance.git_commit()
        scenario_sha256 = provenance.file_sha256(scenario.path)
        preset_sha256 = provenance.preset_sha256(scenario.preset)
    # before the HAL: a device confirmed ACTIVE wants set-points within its 100 ms
    # watchdog, and starting the telemetry writer (pyarrow) takes a good part of that
    if recorder is not None:
        telemetry = recorder
    elif live is None:
        metadata = {"dockhil.scenario": scenario_json(scenario, seed)}
        telemetry = TelemetryRecorder(telemetry_path, metadata=metadata)
    else:
        from hil.live import LiveTelemetry

        metadata = {"dockhil.scenario": scenario_json(scenario, seed)}
        telemetry = LiveTelemetry(live, telemetry_path, metadata=metadata)
    try:
        if hal is None:
            hal = open_hal(url)
        _check_backend(hal, url, scenario, realtime is not None)
    except BaseException:
        if hal is not None:
            hal.close()
        telemetry.close()
        raise
    ctl = DockingController(config)
    record = RunRecord(
        scenario=scenario.name,
        hal=url,
        seed=seed,
        scenario_path=scenario.path,
        versions={
            "dockhil": provenance.dockhil_version(),
            "controller": controller.__version__,
            "preset": scenario.preset,
        },
        started_utc=started_utc,
        host=host,
        git_commit=commit,
        scenario_sha256=scenario_sha256,
        preset_sha256=preset_sha256,
        device=dict(hal.device_identity()) if isinstance(hal, DeviceIdentity) else {},
    )
    loop = ControlLoop(
        hal,
        ctl,
        scenario=scenario,
        telemetry=telemetry,
        rng=np.random.default_rng(seed),
        progress=progress,
        limits=RunLimits.for_scenario(
            scenario, 1.0 / rate_hz if rate_hz else hal.period_s, realtime is not None
        ),
        lockstep=realtime is None,
    )
    record.events = loop.events
    record.phases = loop.phases
    result = RunResult(record, telemetry, loop.exec_ns)
    wall0_ns = time.perf_counter_ns()
    try:
        if isinstance(hal, SimControl):
            hal.setup(scenario.preset, seed, scenario.initial)
        if realtime is None:
            loop.run_lockstep()
        else:
            _realtime(loop, realtime, record, rate_hz)
    except KeyboardInterrupt:
        record.outcome = Outcome.ABORTED
        record.error = "interrupted by the operator (Ctrl-C)"
    except LoopOverrunError as exc:
        record.outcome = Outcome.ERROR
        record.error = str(exc)
        record.events.append({"t_s": loop.t_s, "kind": "overrun_fault", "detail": str(exc)})
    except (HalError, RunLimitError) as exc:
        if isinstance(exc, ConfigError):
            raise  # the device refused what was asked of it (an unknown preset): a usage error
        # the device, its link or its clock cannot be trusted, or the run overstayed:
        # the controller latches SAFE (the device's watchdog does the same on its side)
        kind = exc.event_kind
        record.outcome = Outcome.ERROR
        record.error = str(exc)
        record.events.append({"t_s": loop.t_s, "kind": kind, "detail": str(exc)})
        ctl.link_fault(loop.t_s, str(exc))
        record.phases.append({"phase": ctl.phase, "t_s": loop.t_s})
    finally:
        record.sim_time_s = loop.t_s
        record.interlock_violations = loop.interlock_violations
        record.wall_time_s = (time.perf_counter_ns() - wall0_ns) / 1e9
        if loop.first_cycle_ns is not None:
            result.startup_s = (loop.first_cycle_ns - wall0_ns) / 1e9
        if isinstance(hal, LinkCounters):
            try:
                record.link = dict(hal.link_counters())
            except DockhilError as exc:
                record.link = {"error": str(exc)}
        loop.hal.close()
        telemetry.close()
    with sigint_held() as caught:  # the loop is over: Ctrl-C now must not lose the record
        if realtime is not None:
            _floor(realtime, record)
        loop.drain_events()
        _finish(scenario, ctl, record, result)
    result.interrupted = bool(caught)
    return result


def scenario_json(scenario: Scenario, seed: int) -> str:
    """The scenario as run (the seed it ran with), as JSON for the telemetry file's metadata."""
    import dataclasses
    import json

    data = dataclasses.asdict(scenario)
    data["seed"] = seed
    data["controller"] = dict(scenario.controller)
    return json.dumps(data, allow_nan=False, default=str)


def _check_backend(hal: Hal, url: str, scenario: Scenario, realtime: bool) -> None:
    """Refuse, before the loop, a backend that cannot run ``scenario`` as asked."""
    if not realtime and LOCKSTEP not in hal.capabilities:
        raise ConfigError(f"{url} runs on its own clock (no lockstep): run it with --realtime")
    if not realtime and abs(hal.period_s - scenario.period_s) > 1e-9:
        raise ConfigError(
            f"{url} steps {hal.period_s * 1000:g} ms per cycle but {scenario.path} wants "
            f"period_s = {scenario.period_s:g} s (start the device with "
            f"--period-ms {scenario.period_s * 1000:g})"
        )
    physical = [f for f in scenario.faults if f.kind not in SENSOR_FAULT_KINDS]
    if physical and not isinstance(hal, SimControl):
        raise ConfigError(
            f"{scenario.path}: physical fault {physical[0].kind!r} needs a simulated backend,"
            f" not {url}"
        )


def _realtime(
    loop: ControlLoop, request: SchedulerRequest, record: RunRecord, rate_hz: float | None
) -> None:
    """Run the loop at ``rate_hz`` (default: the HAL's period) on absolute deadlines.

    The statistics go to the record's ``timing``, also when the loop gives up
    on overruns; the host's floor is added by :func:`_floor` once the HAL is
    closed.
    """
    period = 1.0 / rate_hz if rate_hz else loop.hal.period_s
    with scheduled(request) as grant:
        for msg in grant.messages:
            record.events.append({"t_s": 0.0, "kind": "scheduler", "detail": msg})
        stats = LoopStats()
        try:
            stats = loop.run_realtime(period, request.spin_us)
        except LoopOverrunError as exc:
            stats = exc.stats
            raise
        finally:
            record.timing = stats.summary(period, grant)


def _floor(request: SchedulerRequest, record: RunRecord) -> None:
    """The host's timing floor beside a real-time run's figures (``timing.floor``).

    Measured right after the run, once the HAL is closed, under the same
    scheduler settings and at the same rate (:func:`hil.realtime.measure_floor`):
    the host alone, so what the run shows above it is the loop's doing (its
    reader thread, and a virtual device on the same host, included). Not
    before the run: the rate may come from the device's Hello, and a device
    left without set-points trips its watchdog. Ctrl-C skips it.
    """
    timing = record.timing
    if timing.get("mode") != "realtime" or not timing.get("rate_hz_target"):
        return
    try:
        with scheduled(request):
            floor = measure_floor(1.0 / timing["rate_hz_target"], FLOOR_SECONDS, request.spin_us)
    except KeyboardInterrupt:
        timing["floor"] = None
        return
    timing["floor"] = floor
    timing["above_floor"] = above_floor(timing, floor)


def _finish(
    scenario: Scenario, ctl: DockingController, record: RunRecord, result: RunResult
) -> None:
    record.final_phase = ctl.phase
    bug = next((ev for ev in record.events if ev["kind"] == "internal_fault"), None)
    if bug is not None and record.error is None:
        # the controller caught a bug of its own and latched SAFE: the run is not a verdict
        record.outcome = Outcome.ERROR
        record.error = f"controller internal fault: {bug['detail']}"
    phases = [(p["phase"], p["t_s"]) for p in record.phases]
    values = measure.compute(result.telemetry.columns(), phases)
    limits: dict[str, Expectation] = {e.measurement: e for e in scenario.expect if e.measurement}
    for name, value in values.items():
        e = limits.pop(name, None)
        record.measurements.append(_judge(name, value, measure.UNITS[name], e))
    for name, e in limits.items():  # expectations on measurements we do not compute
        record.measurements.append(_judge(name, None, "", e))
    for e in scenario.expect:
        if e.measurement is None:
            record.checks.append(_check(e, record))
    if record.interlock_violations:
        record.checks.append(
            Check(
                "no interlock violations",
                Outcome.FAIL,
                f"{record.interlock_violations} violating commands",
            )
        )
    else:
        record.checks.append(Check("no interlock violations", Outcome.PASS))
    if record.outcome not in (Outcome.ERROR, Outcome.ABORTED) or record.error is None:
        failed = [m for m in record.measurements if m.outcome == Outcome.FAIL]
        failed_checks = [c for c in record.checks if c.outcome == Outcome.FAIL]
        record.outcome = Outcome.FAIL if failed or failed_checks else Outcome.PASS
    ns = np.asarray(result.exec_ns, dtype=np.int64)
    if ns.size and not record.timing:
        record.timing = {
            "mode": "lockstep",
            "period_s": scenario.period_s,
            "cycles": int(ns.size),
            "exec_us": percentiles_us(ns),
            "histograms": {"exec_us": histogram_us(ns)},
            "startup_s": result.startup_s,
            "real_time_factor": _real_time_factor(record, result.startup_s),
        }


def _real_time_factor(record: RunRecord, startup_s: float) -> float | None:
    """Simulated over wall time after the first cycle (a first run's compile is not speed).

    The cycles after the first advance the simulation from the first frame's
    time to the last one's: ``sim_time_s`` of simulated time.
    """
    sim_s = record.sim_time_s
    wall_s = record.wall_time_s - startup_s
    return sim_s / wall_s if sim_s > 0 and wall_s > 0 else None


def _judge(name: str, value: float | None, units: str, e: Expectation | None) -> Measurement:
    if e is None:
        return Measurement(name, value, units)
    ok = (
        value is not None
        and (e.low is None or value >= e.low)
        and (e.high is None or value <= e.high)
    )
    return Measurement(name, value, units, e.low, e.high, Outcome.PASS if ok else Outcome.FAIL)


def _check(e: Expectation, record: RunRecord) -> Check:
    tops = [p["phase"].split(".", 1)[0] for p in record.phases]
    final = record.final_phase.split(".", 1)[0]
    if e.final_phase:
        ok = final in e.final_phase
        detail = f"final phase {record.final_phase}"
    elif e.reached is not None:
        ok = e.reached in tops
        detail = "reached" if ok else f"never entered {e.reached}"
    elif e.not_reached is not None:
        ok = e.not_reached not in tops
        detail = "not entered" if ok else f"entered {e.not_reached}"
    else:
        pattern = e.event if e.event is not None else e.no_event
        assert pattern is not None
        kind, _, text = pattern.partition(":")
        hits = [
            ev for ev in record.events if ev["kind"] == kind and text in str(ev.get("detail", ""))
        ]
        ok = bool(hits) if e.event is not None else not hits
        detail = f"{len(hits)} matching events"
    return Check(e.name, Outcome.PASS if ok else Outcome.FAIL, detail)
