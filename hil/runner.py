"""The lockstep run loop: one scenario, one controller, one HAL.

Each cycle is ``frame = hal.read(); cmd = controller.step(frame);
hal.write(cmd)`` with the scenario's operator commands and faults fired when
the frame's time stamp reaches them. Time comes from the frames (simulated
time on ``sim://``), so a run with the same seed is bit-identical however
fast the machine is. The only wall clock here measures the controller's
execution time for the timing statistics.

Interlocks are checked on every cycle of every run, not only where a test
expects trouble: a command that violates one is an event and fails the run.
Whatever happens (a link fault, Ctrl-C), the record and the telemetry
recorded so far are returned for writing.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

import controller
from controller.config import ControllerConfig
from controller.errors import ConfigError, DockhilError, HalError, ScenarioError
from controller.hal import LOCKSTEP, Hal, SimControl, open_hal
from controller.interlocks import violations
from controller.machine import DockingController
from controller.types import SensorFrame
from hil import measure
from hil.faults import FaultyHal
from hil.realtime import (
    LoopOverrunError,
    LoopStats,
    SchedulerRequest,
    apply_scheduler,
    histogram_us,
    percentiles_us,
    restore_scheduler,
    run_loop,
)
from hil.record import ABORTED, ERROR, FAIL, PASS, Check, Measurement, RunRecord
from hil.scenario import SENSOR_FAULT_KINDS, Expectation, Fault, Scenario
from hil.telemetry import TelemetryRecorder

Progress = Callable[[float, str], None]
"""Called now and then with (simulated time in s, phase)."""


@dataclass
class RunResult:
    record: RunRecord
    telemetry: TelemetryRecorder
    exec_ns: list[int] = field(default_factory=list)


def controller_config(scenario: Scenario) -> ControllerConfig:
    """The default config with the scenario's ``[controller]`` overrides applied."""
    base = ControllerConfig()
    names = {f.name for f in dataclasses.fields(base)}
    for key in scenario.controller:
        if key not in names:
            raise ScenarioError(
                scenario.path,
                f"controller.{key}",
                f"unknown controller setting (known: {', '.join(sorted(names))})",
            )
    try:
        return dataclasses.replace(base, **scenario.controller)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ScenarioError(scenario.path, "controller", str(exc)) from None


def _hal_url(url: str | None, scenario: Scenario, seed: int) -> str:
    if url is None:
        url = "sim://"
    sep = "&" if "?" in url else "?"
    if url.startswith("sim://") and "period=" not in url:
        url = f"{url}{sep}period={scenario.period_s}"
    elif url.startswith("vmcu://") and "period_ms=" not in url:
        url = f"{url}{sep}period_ms={scenario.period_s * 1000.0:g}"
    return url


def run(
    scenario: Scenario,
    hal_url: str | None = None,
    seed: int | None = None,
    progress: Progress | None = None,
    hal: Hal | None = None,
    realtime: SchedulerRequest | None = None,
    rate_hz: float | None = None,
) -> RunResult:
    """Run ``scenario`` in lockstep and return its record and telemetry.

    Configuration errors (bad URL, a physical fault on a bench) raise
    :class:`~controller.errors.ConfigError` before the loop starts; anything
    that goes wrong inside the loop ends the run with outcome ERROR or
    ABORTED and keeps what was recorded.
    """
    seed = scenario.seed if seed is None else seed
    url = _hal_url(hal_url, scenario, seed)
    config = controller_config(scenario)
    if hal is None:
        hal = open_hal(url)
    if realtime is None and LOCKSTEP not in hal.capabilities:
        hal.close()
        raise ConfigError(f"{url} runs on its own clock (no lockstep): run it with --realtime")
    if realtime is None and abs(hal.period_s - scenario.period_s) > 1e-9:
        hal.close()
        raise ConfigError(
            f"{url} steps {hal.period_s * 1000:g} ms per cycle but {scenario.path} wants "
            f"period_s = {scenario.period_s:g} s (start the device with "
            f"--period-ms {scenario.period_s * 1000:g})"
        )
    physical = [f for f in scenario.faults if f.kind not in SENSOR_FAULT_KINDS]
    if physical and not isinstance(hal, SimControl):
        hal.close()
        raise ConfigError(
            f"{scenario.path}: physical fault {physical[0].kind!r} needs a simulated backend,"
            f" not {url}"
        )
    ctl = DockingController(config)
    record = RunRecord(
        scenario=scenario.name,
        hal=url,
        seed=seed,
        scenario_path=scenario.path,
        versions={
            "dockhil": controller.__version__,
            "preset": scenario.preset,
        },
    )
    telemetry = TelemetryRecorder()
    result = RunResult(record, telemetry)
    faulty = FaultyHal(hal, np.random.default_rng(seed))
    wall0 = time.perf_counter()
    session = _Session(scenario, ctl, faulty, record, telemetry, result.exec_ns, progress)
    try:
        if isinstance(hal, SimControl):
            hal.setup(scenario.preset, seed, scenario.initial)
        if realtime is None:
            while not session.cycle():
                pass
        else:
            _realtime(session, realtime, record, rate_hz)
    except KeyboardInterrupt:
        record.outcome = ABORTED
        record.error = "interrupted by the operator (Ctrl-C)"
    except LoopOverrunError as exc:
        record.outcome = ERROR
        record.error = str(exc)
        record.events.append(
            {"t_s": record.sim_time_s, "kind": "overrun_fault", "detail": str(exc)}
        )
    except HalError as exc:
        record.outcome = ERROR
        record.error = str(exc)
        record.events.append({"t_s": record.sim_time_s, "kind": "link_fault", "detail": str(exc)})
        ctl.link_fault(record.sim_time_s, str(exc))
        record.phases.append({"phase": ctl.phase, "t_s": record.sim_time_s})
    finally:
        record.wall_time_s = time.perf_counter() - wall0
        link_counters = getattr(hal, "link_counters", None)
        if link_counters is not None:
            try:
                record.link = dict(link_counters())
            except DockhilError as exc:
                record.link = {"error": str(exc)}
        faulty.close()
    _finish(scenario, ctl, record, result)
    return result


class _Session:
    """The state of one run between cycles; :meth:`cycle` is one control cycle.

    Shared by the lockstep loop (which calls it back to back) and the
    real-time loop (which calls it at deadlines).
    """

    def __init__(
        self,
        scenario: Scenario,
        ctl: DockingController,
        hal: FaultyHal,
        record: RunRecord,
        telemetry: TelemetryRecorder,
        exec_ns: list[int],
        progress: Progress | None,
    ) -> None:
        self.scenario = scenario
        self.ctl = ctl
        self.hal = hal
        self.record = record
        self.telemetry = telemetry
        self.exec_ns = exec_ns
        self.progress = progress
        self.commands = [c for c in scenario.commands if c.at_phase is None]
        self.commands_by_phase = [c for c in scenario.commands if c.at_phase is not None]
        timed = sorted((f for f in scenario.faults if f.at_phase is None), key=lambda f: f.t_s)
        self.by_phase = [f for f in scenario.faults if f.at_phase is not None]
        self.pending: list[tuple[float, Fault]] = [(f.t_s, f) for f in timed]
        self.ending: list[tuple[float, Fault]] = []
        self.phase_entered: dict[str, float] = {}
        self.stop_at: float | None = None
        self.last_phase = ""
        self.next_progress = 0.0
        self.done = False

    def cycle(self) -> bool:
        """Read, fire what is due, step, check, record, write. True when the run is over."""
        hal, ctl, record = self.hal, self.ctl, self.record
        frame = hal.read()
        # the backend's clock, not the (possibly frozen, by a dropout fault) frame's
        t = hal.source_t_s
        record.sim_time_s = t
        commands = self.commands
        while commands and commands[0].t_s <= t:
            c = commands.pop(0)
            ctl.command(c.command, t)
        self._faults(frame, t)
        t0 = time.perf_counter_ns()
        cmd = ctl.step(frame)
        self.exec_ns.append(time.perf_counter_ns() - t0)
        phase = ctl.phase
        if phase != self.last_phase:
            self._phase_change(phase, t)
        bad = violations(phase, frame, cmd, self.ctl.config)
        if bad:
            record.interlock_violations += len(bad)
            for name in bad:
                record.events.append({"t_s": t, "kind": "interlock_violation", "detail": name})
        for ev in ctl.drain_events():
            record.events.append({"t_s": ev.t_s, "kind": ev.kind, "detail": ev.detail})
        self.telemetry.record(frame, hal.truth(), phase, cmd)
        hal.write(cmd)
        if self.progress is not None and t >= self.next_progress:
            self.progress(t, phase)
            self.next_progress = t + 1.0
        if self.stop_at is None and phase == "SAFE" and not commands:
            self.stop_at = t + self.scenario.stop_delay_s
        self.done = t >= self.scenario.duration_s or (
            self.stop_at is not None and t >= self.stop_at
        )
        return self.done

    def _faults(self, frame: SensorFrame, t: float) -> None:
        pending, ending, record = self.pending, self.ending, self.record
        while pending and pending[0][0] <= t:
            _, f = pending.pop(0)
            self.hal.activate(f, frame)
            record.events.append({"t_s": t, "kind": "fault_injected", "detail": _fault_text(f)})
            if f.duration_s is not None:
                ending.append((t + f.duration_s, f))
                ending.sort(key=lambda e: e[0])
        while ending and ending[0][0] <= t:
            _, f = ending.pop(0)
            self.hal.deactivate(f)
            record.events.append({"t_s": t, "kind": "fault_cleared", "detail": _fault_text(f)})

    def _phase_change(self, phase: str, t: float) -> None:
        top = phase.split(".", 1)[0]
        self.record.phases.append({"phase": phase, "t_s": t})
        if top not in self.phase_entered:
            self.phase_entered[top] = t
            for f in self.by_phase:
                if f.at_phase == top:
                    self.pending.append((t + f.t_s, f))
            self.pending.sort(key=lambda e: e[0])
            due = [c for c in self.commands_by_phase if c.at_phase == top]
            if due:
                self.commands_by_phase = [c for c in self.commands_by_phase if c not in due]
                self.commands += [dataclasses.replace(c, t_s=t + c.t_s) for c in due]
                self.commands.sort(key=lambda c: c.t_s)
        if top in self.scenario.stop_on_phase and self.stop_at is None:
            self.stop_at = t + self.scenario.stop_delay_s
        self.last_phase = phase


def _realtime(
    session: _Session, request: SchedulerRequest, record: RunRecord, rate_hz: float | None
) -> None:
    """Run the session at ``rate_hz`` (default: the HAL's period) on absolute deadlines.

    The timing statistics go to the record.
    """
    grant = apply_scheduler(request)
    for msg in grant.messages:
        record.events.append({"t_s": 0.0, "kind": "scheduler", "detail": msg})
    period = 1.0 / rate_hz if rate_hz else session.hal.period_s

    def tick() -> int | None:
        session.cycle()
        return session.hal.last_arrival_ns()

    stats = LoopStats()
    try:
        stats = run_loop(tick, period, spin_us=request.spin_us, should_stop=lambda: session.done)
    except LoopOverrunError as exc:
        stats = exc.stats
        raise
    finally:
        record.timing = stats.summary(period, grant)
        if request.fifo_priority:
            restore_scheduler()


def _fault_text(f: Fault) -> str:
    where = f" field={f.field}" if f.field else ""
    return f"{f.kind} index={f.index} value={f.value:g}{where}"


def _finish(
    scenario: Scenario, ctl: DockingController, record: RunRecord, result: RunResult
) -> None:
    record.final_phase = ctl.phase
    for ev in ctl.drain_events():
        record.events.append({"t_s": ev.t_s, "kind": ev.kind, "detail": ev.detail})
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
                "no interlock violations", FAIL, f"{record.interlock_violations} violating commands"
            )
        )
    else:
        record.checks.append(Check("no interlock violations", PASS))
    if record.outcome not in (ERROR, ABORTED) or record.error is None:
        failed = [m for m in record.measurements if m.outcome == FAIL]
        failed_checks = [c for c in record.checks if c.outcome == FAIL]
        record.outcome = FAIL if failed or failed_checks else PASS
    ns = np.asarray(result.exec_ns, dtype=np.int64)
    if ns.size and not record.timing:
        record.timing = {
            "mode": "lockstep",
            "period_s": scenario.period_s,
            "cycles": int(ns.size),
            "exec_us": percentiles_us(ns),
            "histograms": {"exec_us": histogram_us(ns)},
            "real_time_factor": (
                record.sim_time_s / record.wall_time_s if record.wall_time_s else None
            ),
        }


def _judge(name: str, value: float | None, units: str, e: Expectation | None) -> Measurement:
    if e is None:
        return Measurement(name, value, units)
    ok = (
        value is not None
        and (e.low is None or value >= e.low)
        and (e.high is None or value <= e.high)
    )
    return Measurement(name, value, units, e.low, e.high, PASS if ok else FAIL)


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
    return Check(e.name, PASS if ok else FAIL, detail)
