"""Undocking and abort: vent the tunnel, open hooks, release latches, separate.

Theory of operation
-------------------
UNLOCKING first runs the undock prep of DOMAIN U1 with the hooks still
closed: VENT (tunnel valve shut, vent open until the tunnel reads below
``tunnel_vented_pa``), then CONFIRM (vent shut; the tunnel must stay below
``tunnel_pressure_limit_pa`` for ``tunnel_vent_hold_s``: a rise means a
hatch or the tunnel valve leaks). Not vented and stable within
``tunnel_vent_timeout_s``, or a rise, is ``vent_given_up``: the table goes
back to MATED. While venting the phase reports ``undock_prep_in_progress``
(an operator abort then keeps the joint mated) and watches the hard lock as
MATED does.

Then UNLOCKING and ABORT share one procedure (:func:`open_hooks_then_latches`):
drive the hooks open (HOOKS, or OPEN_HOOKS in ABORT) past the open threshold
by ``hook_open_overdrive``, so that position noise cannot flicker a stopped
hook back across it; at T_unlock (``unlock_timeout_s``, counted from the end
of venting, or from ABORT entry) raise a ``contingency_unlock`` (pyros on a
bench; CONTINGENCY) and give up ``contingency_grace_s`` later; then release
the latches (LATCHES) within ``latch_release_timeout_s``. UNLOCKING is then
complete; ABORT holds (HOLD) and reports ``abort_settled``.

SEPARATION fires the push-rods; with no opening speed by
``separation_push_after_s`` it also pushes with the ring drive for
``separation_push_s`` (PUSH). A gap above ``separation_clear_gap_m`` while
opening is ``separation_complete``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from controller import laws
from controller.sequences.context import Cycle, Procedure
from controller.sequences.locking import Locked
from controller.types import ActuatorCommand, SensorFrame


@dataclass(slots=True)
class Opening:
    """Memory of :func:`open_hooks_then_latches`."""

    t0_s: float = 0.0
    """Phase time T_unlock counts from, s."""
    hooks_opened: bool = False
    """Every hook was driven past the open threshold by the overdrive."""
    contingency: bool = False
    release_t0_s: float | None = None
    """Time since ``t0_s`` the latch release started, s."""


def open_hooks_then_latches(
    c: Cycle, m: Opening, f: SensorFrame, hooks_sub: str
) -> tuple[ActuatorCommand | None, bool]:
    """Open hooks (contingency at T_unlock), then release latches.

    Returns (command, given_up); command None once hooks are open and latches free.
    """
    cfg = c.cfg
    pt = c.pt - m.t0_s
    if max(f.hook_pos) <= cfg.hook_open_pos - cfg.hook_open_overdrive:
        m.hooks_opened = True
    if not m.hooks_opened or not laws.all_hooks_open(f.hook_pos, cfg):
        if pt > cfg.unlock_timeout_s and not m.contingency:
            m.contingency = True
            c.emit(
                "contingency_unlock",
                "hooks not open at T_unlock: contingency release (pyro on the bench)",
            )
            c.degrade("contingency_unlock", "hooks failed to open by drive")
        c.set_sub("CONTINGENCY" if m.contingency else hooks_sub)
        given_up = m.contingency and pt > cfg.unlock_timeout_s + cfg.contingency_grace_s
        v = -cfg.hook_voltage_open_v
        cmd = ActuatorCommand(seq=c.seq, brake_slip_n=cfg.brake_slip_max_n, hook_motor_v=(v, v))
        return cmd, given_up
    if any(f.latch_captured):
        c.set_sub("LATCHES")
        if m.release_t0_s is None:
            m.release_t0_s = pt
        given_up = pt - m.release_t0_s > cfg.latch_release_timeout_s
        return ActuatorCommand(seq=c.seq, latch_release=True), given_up
    return None, False


@dataclass(slots=True)
class Unlocking(Locked):
    """UNLOCKING: VENT, CONFIRM, then HOOKS and LATCHES (CONTINGENCY at T_unlock)."""

    vented: bool = False
    vent_hold_t0_s: float = 0.0
    """Phase time CONFIRM started, s."""
    vent_given_up: bool = False
    opening: Opening = field(default_factory=Opening)
    unlock_complete: bool = False
    unlock_given_up: bool = False

    @property
    def undock_prep_in_progress(self) -> bool:
        """Still venting, hooks closed: an operator abort keeps the joint mated."""
        return not self.vented

    def run(self, c: Cycle, f: SensorFrame) -> ActuatorCommand:
        if not self.vented:
            vent = self.vent_tunnel(c, f)
            if vent is not None:
                return vent
        cmd, self.unlock_given_up = open_hooks_then_latches(c, self.opening, f, "HOOKS")
        if cmd is not None:
            return cmd
        self.unlock_complete = True
        return ActuatorCommand(seq=c.seq, latch_release=True)

    def abandon(self, c: Cycle, why: str) -> ActuatorCommand:
        """U1 failed: report ``vent_given_up`` (back to MATED) and hold the joint as MATED does."""
        self.vent_given_up = True
        c.emit("fault", f"undock prep: {why}: undocking abandoned, staying mated")
        return ActuatorCommand(seq=c.seq, brake_slip_n=c.cfg.brake_slip_max_n, latch_arm=True)

    def vent_tunnel(self, c: Cycle, f: SensorFrame) -> ActuatorCommand | None:
        """DOMAIN U1 (VENT, CONFIRM); None once vented. The hooks stay locked throughout."""
        cfg = c.cfg
        pt = c.pt
        p = f.tunnel_pressure_pa
        limit = cfg.tunnel_pressure_limit_pa
        self.watch_lock(c, f)
        if c.sub == "":
            c.set_sub("VENT")
            c.emit("info", f"undock prep: tunnel valve closed, venting from {p:.0f} Pa")
        if c.sub == "VENT" and p <= cfg.tunnel_vented_pa:
            c.set_sub("CONFIRM")
            self.vent_hold_t0_s = pt
        elif c.sub == "CONFIRM":
            if p > limit:
                return self.abandon(
                    c,
                    f"tunnel pressure rose to {p:.0f} Pa (limit {limit:.0f} Pa) with the vent "
                    "closed: hatch or tunnel valve leaking",
                )
            if pt - self.vent_hold_t0_s >= cfg.tunnel_vent_hold_s:
                self.vented = True
                self.opening.t0_s = pt
                c.emit(
                    "info",
                    f"tunnel vented: {p:.0f} Pa, below {limit:.0f} Pa for "
                    f"{cfg.tunnel_vent_hold_s:g} s with the vent closed ({pt:.1f} s)",
                )
                return None
        if pt > cfg.tunnel_vent_timeout_s:
            return self.abandon(
                c,
                f"tunnel at {p:.0f} Pa after {cfg.tunnel_vent_timeout_s:g} s "
                f"(need below {cfg.tunnel_vented_pa:.0f} Pa and no rise)",
            )
        return ActuatorCommand(
            seq=c.seq,
            brake_slip_n=cfg.brake_slip_max_n,
            latch_arm=True,
            tunnel_vent_open=c.sub == "VENT",
        )


@dataclass(slots=True)
class Separation(Procedure):
    """SEPARATION: push-rods (PUSHRODS), then the ring drive if no opening speed (PUSH)."""

    separation_complete: bool = False
    separation_given_up: bool = False
    push_t0_s: float | None = None
    """Phase time the ring push started, s."""

    def run(self, c: Cycle, f: SensorFrame) -> ActuatorCommand:
        cfg = c.cfg
        pt = c.pt
        gap = f.rel_pos_m[0]
        opening = f.rel_vel_m_s[0]
        self.separation_complete = gap >= cfg.separation_clear_gap_m and opening > 0.0
        self.separation_given_up = pt > cfg.separation_timeout_s and not self.separation_complete
        ring = 0.0
        if (
            self.push_t0_s is None
            and pt > cfg.separation_push_after_s
            and opening < cfg.separation_min_speed_m_s
        ):
            self.push_t0_s = pt
            c.set_sub("PUSH")
            c.emit("fault", "no separation speed after push-rods: pushing with the ring drive")
        if self.push_t0_s is not None and pt - self.push_t0_s < cfg.separation_push_s:
            ring = cfg.ring_extend_speed_m_s
        elif c.sub == "":
            c.set_sub("PUSHRODS")
        return ActuatorCommand(
            seq=c.seq, pushrods_fire=True, latch_release=True, ring_speed_m_s=ring
        )


@dataclass(slots=True)
class Abort(Procedure):
    """ABORT: open hooks (OPEN_HOOKS), release latches (LATCHES), then HOLD."""

    opening: Opening = field(default_factory=Opening)
    abort_settled: bool = False
    abort_given_up: bool = False

    def run(self, c: Cycle, f: SensorFrame) -> ActuatorCommand:
        cmd, self.abort_given_up = open_hooks_then_latches(c, self.opening, f, "OPEN_HOOKS")
        if cmd is not None:
            self.abort_settled = False
            return cmd
        c.set_sub("HOLD")
        self.abort_settled = True
        return laws.hold_command(c.seq)
