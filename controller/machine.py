"""The docking controller: one ``step(frame) -> command`` per control cycle.

Theory of operation
-------------------
Each cycle :meth:`DockingController.step` does, in this order:

1. **Monitor** the frame (:mod:`controller.monitor`). A bad frame (NaN,
   out of range, clock not advancing, ring channels disagreeing) drives
   nothing: the cycle returns a hold command and phase time does not
   advance. Bus undervoltage holds the same way but is not a data fault.
   Persistent bad data sets ``sensor_data_lost`` and the ``fail_safe`` row
   takes the machine to SAFE, latched until ``reset``.
2. **Run the phase procedure** (:mod:`controller.sequences`): it picks the
   step inside the phase (``LOCKING.PRELOAD`` ...), calls the control laws
   (:mod:`controller.laws`) and sets its facts, the fields the guards read
   this cycle. Procedures never change phase.
3. **Watch the table**: read, in table order, the guards of the internal
   rows leaving the current phase (:mod:`controller.phases`) and fire the
   first row whose guards all hold. So a ``transitions`` trigger runs only
   when something changed, at most once per cycle; the guards run again
   inside ``transitions``, which keeps the table the single authority, and
   the library runs the entry and ``after`` actions the table names
   (``begin_phase`` here, the rest in :mod:`controller.memory`). After a
   phase change the new phase's procedure computes this cycle's command.
4. **Enforce the interlocks** (:mod:`controller.interlocks`): set-points an
   interlock forbids are masked and reported once per change.

The phase is stored once, as the library's ``state`` (a :class:`Phase`);
the step inside it is ``sub``, and the phase string derives from both
(memoised by the one method that sets the step).

Time is the frame clock: phase time is the sum of frame-to-frame intervals
of good, non-holding frames, so time-outs pause during holds and the
controller needs no wall clock. Operator commands (:meth:`command`) go
through the same table; a command the table does not allow is rejected with
a reason. Nothing in here does I/O, reads a clock or draws random numbers.

A bug fails closed: an exception raised by a procedure, a law, a guard or an
action is caught at the public entry points, reported as an
``internal_fault`` event naming the exception and the phase, and the
``internal_fault`` row takes the machine to SAFE, latched until ``reset``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from operator import attrgetter
from typing import Any

from transitions import EventData, Machine, MachineError

from controller import interlocks, laws
from controller.config import ControllerConfig
from controller.events import CommandResult, Event
from controller.memory import Memory
from controller.monitor import BAD, HOLD, OK, REPEAT, FrameMonitor
from controller.phases import (
    COMMANDS,
    EVERY_ENTRY,
    GUARDS,
    INITIAL_PHASE,
    MEMORY_GUARDS,
    ON_ENTER,
    TRANSITIONS,
    Phase,
    rows_from,
)
from controller.sequences import PROCEDURES
from controller.types import SAFE_COMMAND, ActuatorCommand, SensorFrame

_Guard = Callable[[Any], bool]

_UNWATCHED = COMMANDS | {"internal_fault"}
"""Triggers the cycle's watch never fires: commands, and the one :meth:`fail_closed` fires."""

_NAMES = {p: p.value for p in Phase}
"""Phase names as plain strings (``Phase.value`` is a slow descriptor; this runs every cycle)."""


class _Model(Memory):
    """The ``transitions`` model: the cycle, the phase and the glue to the table.

    Kept apart from :class:`DockingController` so the trigger methods
    ``transitions`` binds onto its model are not public API. The guards the
    table names are the current procedure's facts (exposed as properties
    below the class) and the few properties on remembered state.
    """

    state: Phase

    def __init__(self, cfg: ControllerConfig) -> None:
        super().__init__(cfg)
        self.seq = 0
        self.phase_t0 = 0.0
        self.frame: SensorFrame | None = None
        self.last_reason = ""
        self.last_cmd: ActuatorCommand = SAFE_COMMAND
        self.interlocks_active: tuple[str, ...] = ()
        self.sub = ""
        self.phase = _NAMES[INITIAL_PHASE]
        """``"LOCKING.PRELOAD"``: derived from ``state`` and ``sub`` by :meth:`set_step` only."""
        self.proc = PROCEDURES[INITIAL_PHASE]()
        self.machine = Machine(
            model=self,
            states=[{"name": p, "on_enter": [EVERY_ENTRY, *ON_ENTER.get(p, ())]} for p in Phase],
            transitions=TRANSITIONS,
            initial=INITIAL_PHASE,
            auto_transitions=False,
            send_event=True,
            queued=False,
            ignore_invalid_triggers=False,
        )
        self.watch = _watch_table()

    def set_step(self, sub: str) -> None:
        """Set the step and derive ``phase`` from it and the library's state.

        The one writer of both: called on every phase entry and step change,
        so the string the interlocks read every cycle is not rebuilt each time.
        """
        self.sub = sub
        name = _NAMES[self.state]
        self.phase = name + "." + sub if sub else name

    def set_sub(self, sub: str) -> None:
        if sub != self.sub:
            self.set_step(sub)
            self.emit("phase", self.phase)

    @property
    def pt(self) -> float:
        """Phase time, s (frame time, paused during holds)."""
        return self.clock_s - self.phase_t0

    def fire(self, trigger: str) -> bool:
        """Fire ``trigger`` through ``transitions``; False if no row allowed it."""
        try:
            return bool(self.machine.events[trigger].trigger(self))
        except MachineError:
            return False

    # ---- the entry action of every phase (controller.phases.EVERY_ENTRY) -----

    def begin_phase(self, ev: EventData) -> None:
        self.set_step("")
        self.phase_t0 = self.clock_s
        self.proc = PROCEDURES[self.state]()
        self.emit("phase", f"{self.state.value} ({ev.event.name})")

    # ---- the cycle ---------------------------------------------------------------

    def step(self, frame: SensorFrame) -> ActuatorCommand:
        self.seq += 1
        mon = self.mon
        status = mon.check(frame)
        if status == REPEAT:
            return self.last_cmd  # no new sample since last cycle: keep the last command
        if frame.t_s == frame.t_s:
            self.t_s = frame.t_s if frame.t_s > self.t_s or self.frame is None else self.t_s
        if status != self.status:
            if status == BAD:
                self.emit("fault", f"bad frame: {mon.reason}")
            elif status == HOLD:
                self.emit("fault", f"{mon.reason}: drives held")
            else:
                self.emit(
                    "recovered",
                    "frames good: resuming"
                    if self.status == BAD
                    else "bus voltage restored: resuming",
                )
            self.status = status
        elif status == BAD and mon.reason != self.last_reason:
            self.emit("fault", f"bad frame: {mon.reason}")
        self.last_reason = mon.reason
        if mon.seal_fault is not None and "seal_sensor" not in self.degraded:
            self.degrade("seal_sensor", mon.seal_fault)
        if status != OK:
            if mon.data_lost and self.state is not Phase.SAFE:
                self.fire("fail_safe")
            if self.state is Phase.SAFE:
                cmd = ActuatorCommand(seq=self.seq)
            else:
                cmd = laws.hold_command(
                    self.seq, self.last_cmd.latch_arm and not self.last_cmd.latch_release
                )
            self.last_cmd = cmd
            return cmd
        self.frame = frame
        self.clock_s += mon.dt_s
        top = self.state
        cmd = self.proc.run(self, frame)
        for trigger, conds, unless in self.watch[top]:
            for g in conds:
                if not g(self):
                    break
            else:
                for u in unless:
                    if u(self):
                        break
                else:
                    if self.fire(trigger) and self.state is not top:
                        cmd = self.proc.run(self, frame)
                    break
        phase = self.phase
        cmd, names = interlocks.enforce(phase, frame, cmd, self.cfg, True)
        if names:
            key = tuple(names)
            if key != self.interlocks_active:
                self.emit("interlock", f"{phase}: masked {', '.join(names)}")
            self.interlocks_active = key
        elif self.interlocks_active:
            self.interlocks_active = ()
        self.last_cmd = cmd
        return cmd

    def lose_link(self, t_s: float | None, reason: str) -> None:
        """The harness lost the link to the mechanism: SAFE, latched until reset."""
        self.advance_event_time(t_s)
        self.link_lost = True
        self.emit("fault", f"link lost: {reason}")
        if self.state is not Phase.SAFE:
            self.fire("fail_safe")

    def fail_closed(self, exc: Exception) -> ActuatorCommand:
        """A bug was caught: report it, go SAFE (latched), and return the safe command."""
        self.emit("internal_fault", f"{type(exc).__name__}: {exc} in phase {self.phase}")
        self.internal_fault_caught = True
        if self.state is not Phase.SAFE:
            try:
                self.fire("internal_fault")
            except Exception:  # SAFE's own entry failed: be SAFE regardless
                self.machine.set_state(Phase.SAFE, self)
        if self.state is Phase.SAFE and not isinstance(self.proc, PROCEDURES[Phase.SAFE]):
            self.set_step("")
            self.proc = PROCEDURES[Phase.SAFE]()
        cmd = ActuatorCommand(seq=self.seq)
        self.last_cmd = cmd
        return cmd

    # ---- operator commands -------------------------------------------------------------

    def advance_event_time(self, t_s: float | None) -> None:
        """Stamp later events with ``t_s`` if it is a valid time after the last frame's."""
        if t_s is not None and t_s == t_s and t_s > self.t_s:
            self.t_s = t_s

    def rejection_reason(self, name: str) -> str:
        phase = self.phase
        rows = [r for r in rows_from(self.state) if r["trigger"] == name]
        if not rows:
            return f"{phase} does not accept '{name}'"
        needs: set[str] = set()
        for row in rows:
            for g in row.get("conditions", []):
                if not getattr(self, g):
                    needs.add(GUARDS[g])
            for u in row.get("unless", []):
                if getattr(self, u):
                    needs.add("not " + GUARDS[u])
        return f"'{name}' in {phase} needs " + " and ".join(sorted(needs)) + "."

    def command(self, name: str, t_s: float | None) -> CommandResult:
        self.advance_event_time(t_s)
        before = self.phase
        if name not in COMMANDS:
            reason = f"unknown command '{name}' (known: {', '.join(sorted(COMMANDS))})"
            self.emit("command_rejected", f"{name}: {reason}")
            return CommandResult(name, False, before, before, reason)
        reason = self.rejection_reason(name)
        if not self.fire(name):
            self.emit("command_rejected", f"{name}: {reason}")
            return CommandResult(name, False, before, before, reason)
        self.emit("command_accepted", f"{name}: {before} -> {self.phase}")
        return CommandResult(name, True, before, self.phase)


_Watch = dict[Phase, list[tuple[str, tuple[_Guard, ...], tuple[_Guard, ...]]]]


@functools.cache
def _watch_table() -> _Watch:
    """Per phase, the internal rows leaving it, in table order: trigger and guard readers.

    Derived from :data:`~controller.phases.TRANSITIONS` once per process and shared by
    every controller (read only; the readers hold no state): a campaign builds a
    controller per run, and deriving it was half of that.
    """
    return {
        phase: [
            (
                row["trigger"],
                _getters(row.get("conditions", [])),
                _getters(row.get("unless", [])),
            )
            for row in rows_from(phase)
            if row["trigger"] not in _UNWATCHED
        ]
        for phase in Phase
    }


def _getters(guards: list[str]) -> tuple[_Guard, ...]:
    """Readers of ``guards`` on the model; a fact is read on the procedure directly."""
    return tuple(attrgetter(g if g in MEMORY_GUARDS else "proc." + g) for g in guards)


for _fact in GUARDS.keys() - MEMORY_GUARDS:
    setattr(_Model, _fact, property(attrgetter("proc." + _fact)))


class DockingController:
    """The docking mechanism's controller (firmware reference), one instance per mechanism.

    The harness owns the loop::

        frame = hal.read(); cmd = ctl.step(frame); hal.write(cmd)

    and sends operator commands with :meth:`command` at scheduled times.
    """

    def __init__(self, config: ControllerConfig | None = None) -> None:
        self._model = _Model(config or ControllerConfig())

    @property
    def config(self) -> ControllerConfig:
        """The limits and gains in use (pass to :func:`controller.interlocks.violated`)."""
        return self._model.cfg

    def step(self, frame: SensorFrame) -> ActuatorCommand:
        """One control cycle: monitor, procedure, table, interlocks.

        Never raises: bad data is an input, and a bug inside the controller
        latches SAFE with an ``internal_fault`` event and returns the safe command.
        """
        try:
            return self._model.step(frame)
        except Exception as exc:  # fail closed on any bug
            return self._model.fail_closed(exc)

    def command(self, name: str, t_s: float | None = None) -> CommandResult:
        """An operator command (arm, dock, abort, undock, reset, standby).

        ``t_s`` stamps the events (frame time; default: the last frame's).
        Accepted only where the phase table allows; otherwise rejected with a
        reason, and a ``command_rejected`` event records it. A bug while
        handling it fails closed as in :meth:`step` and rejects the command.
        """
        model = self._model
        before = model.phase
        try:
            return model.command(name, t_s)
        except Exception as exc:  # fail closed on any bug
            model.fail_closed(exc)
            reason = f"internal fault while handling it: {type(exc).__name__}"
            return CommandResult(name, False, before, model.phase, reason)

    def link_fault(self, t_s: float | None, reason: str) -> None:
        """Tell the controller the link to the mechanism is gone (port vanished, data stale).

        The controller goes to SAFE, latched until ``reset``; the device's own
        watchdog puts the actuators in their safe state on its side.
        """
        try:
            self._model.lose_link(t_s, reason)
        except Exception as exc:  # fail closed on any bug
            self._model.fail_closed(exc)

    def force_phase(self, phase: Phase, *, sealed: bool = False) -> None:
        """Test hook: put the controller in ``phase`` with fresh memory, no entry actions run.

        ``sealed`` is the seal check's verdict, which MATED reads. Not for
        operation: a real controller reaches a phase only through the table.
        """
        model = self._model
        model.machine.set_state(phase, model)
        model.set_step("")
        model.phase_t0 = model.clock_s
        model.proc = PROCEDURES[phase]()
        model.sealed = sealed

    @property
    def phase(self) -> str:
        """Current phase, e.g. ``"LOCKING.PRELOAD"``; the part before the dot is a Phase."""
        return self._model.phase

    @property
    def top_phase(self) -> Phase:
        """Current top-level phase."""
        return self._model.state

    @property
    def degraded(self) -> frozenset[str]:
        """Redundancy given up or contingencies used (``hook_set_A``, ``seal_leak``...)."""
        return frozenset(self._model.degraded)

    @property
    def interlocks_active(self) -> tuple[str, ...]:
        """Interlocks that masked a set-point in the last cycle."""
        return self._model.interlocks_active

    @property
    def monitor(self) -> FrameMonitor:
        """Frame monitor state (counters: seq_gaps, bad_frames)."""
        return self._model.mon

    @property
    def has_events(self) -> bool:
        """Whether :meth:`drain_events` has anything to give (most cycles it has not)."""
        return bool(self._model.events)

    def drain_events(self) -> list[Event]:
        """Events since the last drain, oldest first."""
        out = self._model.events
        self._model.events = []
        return out
