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
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from controller.hal import ArrivalStamps, Hal
from controller.interlocks import violations
from controller.machine import DockingController
from controller.types import SensorFrame
from hil.faults import FaultyHal
from hil.realtime import LoopStats, run_loop
from hil.scenario import Command, Fault, Scenario
from hil.telemetry import TelemetryRecorder

Progress = Callable[[float, str], None]
"""Called about once per simulated second with (time in s, phase)."""

Event = dict[str, Any]
"""``{"t_s": float, "kind": str, "detail": str}``, as in ``result.json``."""


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
    ) -> None:
        self.hal = FaultyHal(hal, rng if rng is not None else np.random.default_rng(0))
        self.controller = controller
        self.scenario = scenario
        self.telemetry = telemetry
        self.progress = progress
        self.events: list[Event] = []
        self.phases: list[dict[str, Any]] = []
        self.exec_ns: list[int] = []
        self.interlock_violations = 0
        self.t_s = 0.0
        """The backend's time at the newest frame read, s."""
        self.frame: SensorFrame | None = None
        """The newest frame the controller was given (or will be, after :meth:`peek`)."""
        self.done = False
        self._peeked = False
        self._arrival: ArrivalStamps | None = hal if isinstance(hal, ArrivalStamps) else None
        commands = scenario.commands if scenario else ()
        faults = scenario.faults if scenario else ()
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
            self.frame = self.hal.read()
            self.t_s = self.hal.source_t_s
            self._peeked = True
        assert self.frame is not None
        return self.frame

    def cycle(self) -> bool:
        """One control cycle (see the module's docstring). True when the run is over."""
        frame = self.peek()
        self._peeked = False
        t = self.t_s
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
        bad = violations(phase, frame, cmd, ctl.config)
        if bad:
            self.interlock_violations += len(bad)
            for name in bad:
                self.events.append({"t_s": t, "kind": "interlock_violation", "detail": name})
        self.drain_events()
        if self.telemetry is not None:
            self.telemetry.record(frame, self.hal.truth(), phase, cmd)
        self.hal.write(cmd)
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
        return bool(getattr(result, "accepted", result))

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
    def run_lockstep(self, max_cycles: int | None = None) -> None:
        """Cycle back to back until the scenario says the run is over."""
        n = 0
        while not self.cycle():
            n += 1
            if max_cycles is not None and n >= max_cycles:
                return

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
