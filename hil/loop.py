"""The one control loop of the harness: read -> schedule -> step -> check -> record -> write.

Every way dockhil drives the controller goes through :class:`ControlLoop`:
the lockstep and real-time runs of a scenario (:mod:`hil.runner`), the
pytest plugin's ``dut`` fixture and ``dockhil timing``. One cycle is

1. ``frame = hal.read()`` (or the frame :meth:`ControlLoop.peek` already read);
2. operator commands and faults whose time has come fire, by the *backend's*
   clock (``source_t_s``), which keeps running while a sensor dropout fault
   feeds the controller a frozen frame;
3. ``cmd = controller.step(frame)``, timed for the statistics;
4. the command is checked against every interlock, independently of the
   controller's own masking; the controller's events are collected;
5. one telemetry row is recorded (when a recorder is attached);
6. ``hal.write(cmd)``; in lockstep that advances simulated time one period.

Time comes from the frames, so lockstep runs with the same seed are
bit-identical however fast the machine is; the only wall clock here measures
the controller's execution time. Faults are applied by wrapping the HAL
(:class:`~hil.faults.FaultyHal`), so they work on every backend.

Because the run's length is counted in *device* time, the loop also guards
that time: a device clock that runs backwards, jumps forward by more than
:data:`MAX_JUMP_PERIODS` periods, or stands still for longer than
:func:`frozen_limit` cycles raises :class:`DeviceClockError`; and a run with
a scenario is bounded by a cycle count and a wall-clock time derived from
the scenario (:class:`RunLimits`), so no device can keep it going forever.
"""

from __future__ import annotations

import dataclasses
import math
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from controller.errors import DockhilError, LinkError
from controller.hal import ArrivalStamps, DeviceEvents, Hal, PhaseReport
from controller.interlocks import violated
from controller.machine import DockingController
from controller.phases import PHASE_CODES
from controller.types import SensorFrame
from hil.faults import FaultyHal
from hil.realtime import LoopStats, run_loop
from hil.scenario import Command, Fault, Scenario
from hil.telemetry import TelemetryRecorder

Progress = Callable[[float, str], None]
"""Called about once per simulated second with (time in s, phase)."""

Event = dict[str, Any]
"""``{"t_s": float, "kind": str, "detail": str}``, as in ``result.json``."""

MAX_JUMP_PERIODS = 100
"""Largest forward step of the device clock between two frames, in control periods.

A real-time host may skip a few deadlines (the device keeps time), so the
bound is generous; a jump of seconds is a device fault, not scheduling.
"""

MAX_JUMP_REALTIME_S = 10.0
"""In real time the bound is at least this much device time, s: a device running
faster than real time (the virtual one at ``--speedup``) covers seconds while a
loaded host stalls for a few hundred milliseconds."""


class DeviceClockError(LinkError):
    """The device's clock stopped, ran backwards or jumped: its frames cannot be trusted."""

    event_kind = "clock_fault"


class RunLimitError(DockhilError):
    """A run exceeded the cycles or wall time its scenario can need."""

    event_kind = "run_limit"


def frozen_limit(period_s: float, lockstep: bool) -> int:
    """Cycles the device clock may stand still before it is a fault.

    In lockstep every cycle must advance it; 10 cycles of grace. In real time
    a host faster than the device sees each report a few times; half a
    second of cycles (at least 50) is far beyond scheduling noise.
    """
    return 10 if lockstep else max(50, round(0.5 / period_s))


@dataclass(frozen=True, slots=True)
class RunLimits:
    """The most a scenario's run may take, with margin: cycles and wall time, s."""

    max_cycles: int
    max_wall_s: float

    @classmethod
    def for_scenario(cls, scenario: Scenario, period_s: float, realtime: bool) -> RunLimits:
        """Derived from the scenario's length: 25 % more cycles than its simulated time
        needs (plus 1000), and wall time at a quarter of real-time speed in lockstep
        (a slow pty is about 5x faster than that) or 1.5x real time on deadlines."""
        span_s = scenario.duration_s + scenario.stop_delay_s
        cycles = math.ceil(span_s / period_s * 1.25) + 1000
        wall = span_s * 1.5 + 60.0 if realtime else span_s * 4.0 + 120.0
        return cls(cycles, wall)


class ControlLoop:
    """A controller closed around a HAL, one :meth:`cycle` at a time.

    ``scenario`` supplies the timed and phase-relative commands and faults,
    the run's length and its stop rules; without one the loop runs until its
    caller stops it. ``telemetry`` (optional) gets one row per cycle.
    ``rng`` is the seeded generator for noise faults.
    """

    def __init__(
        self,
        hal: Hal,
        controller: DockingController,
        *,
        scenario: Scenario | None = None,
        telemetry: TelemetryRecorder | None = None,
        rng: np.random.Generator | None = None,
        progress: Progress | None = None,
        limits: RunLimits | None = None,
        lockstep: bool = True,
        clock_ns: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        self.hal = FaultyHal(hal, rng if rng is not None else np.random.default_rng(0))
        commands = scenario.commands if scenario else ()
        faults = scenario.faults if scenario else ()
        self._io: Hal = self.hal if faults else hal
        """What the cycle reads from and writes to: the fault wrapper, or the HAL itself in a
        run without faults (nothing ever activates one there, so the wrapper would only pass
        every call through)."""
        self.limits = limits
        self.cycles = 0
        self._clock_ns = clock_ns
        self._started_ns: int | None = None
        self._period_s = hal.period_s
        self._frozen_limit = frozen_limit(self._period_s, lockstep)
        self._max_jump_s = MAX_JUMP_PERIODS * self._period_s
        if not lockstep:
            self._max_jump_s = max(self._max_jump_s, MAX_JUMP_REALTIME_S)
        self._frozen = 0
        self._last_t: float | None = None
        self.controller = controller
        self.scenario = scenario
        self.telemetry = telemetry
        self._record = None if telemetry is None else telemetry.cycle_recorder(hal)
        """The recorder's per-cycle call (``frame, phase, cmd``), bound to the HAL's truth."""
        self.progress = progress
        self.events: list[Event] = []
        self.phases: list[dict[str, Any]] = []
        self.exec_ns: array[int] = array("q")
        """Controller execution time per cycle, ns."""
        self.interlock_violations = 0
        self.first_cycle_ns: int | None = None
        """``perf_counter_ns`` at the end of the first cycle: what came before it (a first
        run's kernel compile, the device's setup) is start-up, not loop speed."""
        self.t_s = 0.0
        """The backend's time at the newest frame read, s."""
        self.frame: SensorFrame | None = None
        """The newest frame the controller was given (or will be, after :meth:`peek`)."""
        self.done = False
        self._peeked = False
        self._arrival: ArrivalStamps | None = hal if isinstance(hal, ArrivalStamps) else None
        self._device_events: DeviceEvents | None = hal if isinstance(hal, DeviceEvents) else None
        self._phase_report: PhaseReport | None = hal if isinstance(hal, PhaseReport) else None
        self._commands: list[Command] = [c for c in commands if c.at_phase is None]
        self._commands_by_phase = [c for c in commands if c.at_phase is not None]
        timed = sorted((f for f in faults if f.at_phase is None), key=lambda f: f.t_s)
        self._faults_by_phase = [f for f in faults if f.at_phase is not None]
        self._pending: list[tuple[float, Fault]] = [(f.t_s, f) for f in timed]
        self._ending: list[tuple[float, Fault]] = []
        self._phase_entered: dict[str, float] = {}
        self._stop_at: float | None = None
        self._last_phase = ""
        self._next_progress = 0.0

    # ------------------------------------------------------------------ cycle
    def peek(self) -> SensorFrame:
        """Read the next frame now and hold it for the next :meth:`cycle`.

        The ``dut`` fixture does this, so a test sees the frame (and its time)
        that the controller will be stepped on next.
        """
        if not self._peeked:
            io = self._io
            self.frame = frame = io.read()
            t = frame.t_s if io is not self.hal else self.hal.source_t_s
            self._check_clock(t)
            self.t_s = t
            self._peeked = True
        assert self.frame is not None
        return self.frame

    def _check_clock(self, t: float) -> None:
        last = self._last_t
        self._last_t = t
        if last is None:
            return
        if t < last:
            raise DeviceClockError(f"the device clock ran backwards from {last:.6f} s to {t:.6f} s")
        if t - last > self._max_jump_s:
            raise DeviceClockError(
                f"the device clock jumped {t - last:.3f} s forward in one cycle "
                f"(more than {self._max_jump_s:g} s)"
            )
        if t == last:
            self._frozen += 1
            if self._frozen > self._frozen_limit:
                raise DeviceClockError(
                    f"the device clock stood still at {t:.6f} s for {self._frozen} cycles"
                )
        else:
            self._frozen = 0

    def _check_limits(self) -> None:
        lim = self.limits
        if lim is None:
            return
        if self.cycles > lim.max_cycles:
            raise RunLimitError(
                f"the run went past {lim.max_cycles} cycles, more than its scenario can need "
                f"(device time {self.t_s:.3f} s)"
            )
        now = self._clock_ns()
        if self._started_ns is None:
            self._started_ns = now
        elif (now - self._started_ns) / 1e9 > lim.max_wall_s:
            raise RunLimitError(
                f"the run took more than {lim.max_wall_s:.0f} s of wall time, more than its "
                f"scenario can need (device time {self.t_s:.3f} s)"
            )

    def cycle(self) -> bool:
        """One control cycle (see the module's docstring). True when the run is over."""
        self.cycles += 1
        if self.limits is not None and (self.cycles & 0xFF) == 1:
            self._check_limits()
        frame = self.peek()
        self._peeked = False
        t = self.t_s
        if self._device_events is not None:
            for line in self._device_events.drain_device_events():
                self.events.append({"t_s": t, "kind": "device_event", "detail": line})
        ctl = self.controller
        commands = self._commands
        while commands and commands[0].t_s <= t:
            c = commands.pop(0)
            ctl.command(c.command, t)
        if self._pending or self._ending:
            self._fire_faults(frame, t)
        t0 = time.perf_counter_ns()
        cmd = ctl.step(frame)
        self.exec_ns.append(time.perf_counter_ns() - t0)
        phase = ctl.phase
        if phase != self._last_phase:
            self._phase_change(phase, t)
        bad = violated(phase, frame, cmd, ctl.config)
        if bad:
            self.interlock_violations += len(bad)
            for name in bad:
                self.events.append({"t_s": t, "kind": "interlock_violation", "detail": name})
        if ctl.has_events:
            self.drain_events()
        if self._record is not None:
            self._record(frame, phase, cmd)
        self._io.write(cmd)
        if self.first_cycle_ns is None:
            self.first_cycle_ns = time.perf_counter_ns()
        if self.progress is not None and t >= self._next_progress:
            self.progress(t, phase)
            self._next_progress = t + 1.0
        scenario = self.scenario
        if scenario is not None:
            if self._stop_at is None and phase == "SAFE" and not commands:
                self._stop_at = t + scenario.stop_delay_s
            self.done = t >= scenario.duration_s or (
                self._stop_at is not None and t >= self._stop_at
            )
        return self.done

    def command(self, name: str) -> bool:
        """An operator command now (at the newest frame's time); True when accepted."""
        result = self.controller.command(name, self.t_s)
        return result.accepted

    def drain_events(self) -> None:
        """Move the controller's queued events into :attr:`events`."""
        for ev in self.controller.drain_events():
            self.events.append({"t_s": ev.t_s, "kind": ev.kind, "detail": ev.detail})

    def last_arrival_ns(self) -> int | None:
        """Host monotonic ns at which the newest frame's bytes arrived, where known."""
        return self._arrival.last_arrival_ns() if self._arrival is not None else None

    # ------------------------------------------------------------------ schedule
    def _fire_faults(self, frame: SensorFrame, t: float) -> None:
        pending, ending, events = self._pending, self._ending, self.events
        while pending and pending[0][0] <= t:
            _, f = pending.pop(0)
            self.hal.activate(f, frame)
            events.append({"t_s": t, "kind": "fault_injected", "detail": fault_text(f)})
            if f.duration_s is not None:
                ending.append((t + f.duration_s, f))
                ending.sort(key=lambda e: e[0])
        while ending and ending[0][0] <= t:
            _, f = ending.pop(0)
            self.hal.deactivate(f)
            events.append({"t_s": t, "kind": "fault_cleared", "detail": fault_text(f)})

    def _phase_change(self, phase: str, t: float) -> None:
        top = phase.split(".", 1)[0]
        self.phases.append({"phase": phase, "t_s": t})
        self._last_phase = phase
        if self._phase_report is not None:
            self._phase_report.report_phase(PHASE_CODES.get(top, PHASE_CODES["SAFE"]))
        scenario = self.scenario
        if scenario is None:
            return
        if top not in self._phase_entered:
            self._phase_entered[top] = t
            for f in self._faults_by_phase:
                if f.at_phase == top:
                    self._pending.append((t + f.t_s, f))
            self._pending.sort(key=lambda e: e[0])
            due = [c for c in self._commands_by_phase if c.at_phase == top]
            if due:
                self._commands_by_phase = [c for c in self._commands_by_phase if c not in due]
                self._commands += [dataclasses.replace(c, t_s=t + c.t_s) for c in due]
                self._commands.sort(key=lambda c: c.t_s)
        if top in scenario.stop_on_phase and self._stop_at is None:
            self._stop_at = t + scenario.stop_delay_s

    # ------------------------------------------------------------------ drivers
    def run_lockstep(self) -> None:
        """Cycle back to back until the scenario says the run is over."""
        while not self.cycle():
            pass

    def run_realtime(
        self,
        period_s: float,
        spin_us: float = 0.0,
        seconds: float | None = None,
        max_overruns_in_row: int = 50,
    ) -> LoopStats:
        """Cycle on absolute deadlines (:func:`hil.realtime.run_loop`) until done.

        The caller sets the scheduler up (:func:`hil.realtime.scheduled`). On
        :class:`~hil.realtime.LoopOverrunError` the statistics so far ride on
        the exception.
        """

        def tick() -> int | None:
            self.cycle()
            return self.last_arrival_ns()

        return run_loop(
            tick,
            period_s,
            seconds=seconds,
            spin_us=spin_us,
            should_stop=lambda: self.done,
            max_overruns_in_row=max_overruns_in_row,
        )


def fault_text(f: Fault) -> str:
    """One line naming a fault, for events."""
    where = f" field={f.field}" if f.field else ""
    return f"{f.kind} index={f.index} value={f.value:g}{where}"
