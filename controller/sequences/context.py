"""What a phase procedure may read and do, and the shape every procedure has.

A procedure is a small mutable dataclass: its fields are the phase's memory
(timers, counters, the step reached), and a new one is built on every phase
entry so nothing leaks from one visit to the next. :meth:`Procedure.run`
computes this cycle's actuator command from the frame and, once per frame,
the procedure's *facts*: the boolean fields named exactly as the guards of
the phase table (``hard_locked``, ``locking_given_up`` ...), which is all
the guards read. A fresh procedure's facts are false, as the table expects
on entry (UNLOCKING's ``undock_prep_in_progress`` is true until the tunnel is
vented). Procedures never change phase: only a row of
:mod:`controller.phases` does.

Every procedure has the same shape on purpose (a slotted dataclass, its
memory and fact fields, then ``run``), so a reader finds a phase's facts in
the same place in each; ``duplicates`` lists those headers as same-shape
pairs, and they are left so deliberately.

Why fields and not a frozen value built each cycle: building a named tuple
of facts measured 0.4-2 us per cycle here (shared 2-vCPU VM), against a
whole tick of about 10 us (PERFORMANCE.md), while the facts change only a
few times per phase.

Memory that outlives one phase (the hook sets from LOCKING into SEAL_CHECK,
the seal verdict into MATED, the motion filter from CONTACT to CORRECTION,
the capture window from CONTACT into CAPTURE) lives on the :class:`Cycle`
and is reset only by the entry actions the phase table names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from controller.config import ControllerConfig
from controller.laws import HookSetState, hold_command
from controller.monitor import FrameMonitor
from controller.types import ActuatorCommand, SensorFrame


class Cycle(Protocol):
    """The controller as a procedure sees it (implemented by ``controller.machine``)."""

    cfg: ControllerConfig
    mon: FrameMonitor
    seq: int
    """Sequence number of the command being built."""
    clock_s: float
    """Frame time summed over good, non-holding frames, s."""
    sub: str
    """The step inside the phase (``"PRELOAD"``), empty on entry."""
    sets: list[HookSetState]
    """Both hook sets' drive state, reset on LOCKING entry; SEAL_CHECK re-tightens them."""
    sealed: bool
    """Seal check passed, reset on SEAL_CHECK entry; MATED opens the tunnel valve on it."""
    capture_window_t0_s: float
    """Clock at CONTACT entry: T_cap counts from here through CAPTURE."""
    motion_v_m_s: float
    """Low-passed |v_rel|, m/s; negative until the first sample after CONTACT entry."""
    motion_w_rad_s: float
    """Low-passed |omega_rel|, rad/s."""
    push_since_s: float
    """Clock since the axial load has stayed above ``chaser_push_load_n``, s; negative when
    it is below. Kept across BUFFERING, CORRECTION and RETRACTION: a push that outlasts
    a phase change is still one push."""

    @property
    def pt(self) -> float:
        """Phase time, s."""

    def emit(self, kind: str, detail: str) -> None:
        """Record an event stamped with frame time."""

    def degrade(self, flag: str, why: str) -> None:
        """Give up a redundant element (once per flag until reset)."""

    def set_sub(self, sub: str) -> None:
        """Enter step ``sub`` of the phase (an event when it changes)."""


@dataclass(slots=True)
class Procedure:
    """The base of every procedure, and STANDBY's: nothing to do but hold."""

    def run(self, c: Cycle, f: SensorFrame) -> ActuatorCommand:
        """This cycle's command: drives off, brake on."""
        return hold_command(c.seq)
