"""Docking, from READY to a retracted ring: prepare, approach, capture, damp, centre, retract.

Theory of operation
-------------------
READY prepares the mechanism (OPEN_HOOKS, RELEASE any latch, EXTEND the
ring to its ready stop) and then waits ARMED: latches armed, ring
compliant. Once ARMED has held for ``arm_settle_s`` the phase reports
``ready_prepared``; with a ``dock`` remembered the table moves on.

APPROACH only watches: contact is axial load, ring deflection from where
APPROACH found it, any alignment sensor or any latch.

CONTACT (petal guidance, low damping) and CAPTURE (dampers high, brake
scheduled) report the capture facts: started, complete (three latch pairs)
and timed out, with T_cap counted from CONTACT entry through CAPTURE (the
capture window on the cycle).

BUFFERING damps the relative motion. A first-order filter over |v| and
|omega| (time constant ``motion_filter_s``, frame time; it starts again at
CONTACT entry and runs on through CORRECTION) must stay within the buffer
limits for ``residual_hold_s``. CORRECTION centres the ring, switched on only
while the tilt grows, until centred and the filtered motion is within the
residual limits for ``centred_hold_s``.

RETRACTION drives the ring in (DRIVE, then SLOW in the last stretch). A jam
(high current, no motion, for ``ring_jam_time_s``) re-equalises: drive to
the forward stops for ``ring_reequalise_s`` (REEQUALISE), then retract
again, ``ring_jam_retries`` times; a further jam is ``ring_jam_confirmed``.

From BUFFERING on, fewer than three latch pairs for ``capture_lost_s`` is
``latches_lost``, and a compressive axial load held above
``chaser_push_load_n`` for ``chaser_push_time_s`` with the ring off its ready
stop (the buffer compressed) is ``chaser_pushing``: the chaser's thrust did
not stop at capture (DOMAIN 2a).
"""

from __future__ import annotations

from dataclasses import dataclass

from controller import laws
from controller.sequences.context import Cycle, Procedure
from controller.types import ActuatorCommand, SensorFrame


@dataclass(slots=True)
class Ready(Procedure):
    """READY: open hooks, release latches, extend the ring, then hold ARMED."""

    armed_t_s: float | None = None
    """Phase time ARMED was reached, s; None while preparing."""
    ready_prepared: bool = False
    ready_prep_timed_out: bool = False

    def run(self, c: Cycle, f: SensorFrame) -> ActuatorCommand:
        cfg = c.cfg
        pt = c.pt
        if not laws.all_hooks_open(f.hook_pos, cfg):
            c.set_sub("OPEN_HOOKS")
            self.armed_t_s = None
            v = -cfg.hook_voltage_open_v
            cmd = ActuatorCommand(seq=c.seq, hook_motor_v=(v, v))
        elif any(f.latch_captured):
            c.set_sub("RELEASE")
            self.armed_t_s = None
            cmd = ActuatorCommand(seq=c.seq, latch_release=True)
        elif not f.ring_ready_stop:
            # latches stay disarmed until ARMED: after a partial capture the rings may
            # still touch, and armed latches would catch again the cycle after RELEASE
            # (RELEASE <-> EXTEND at the control rate); extending pushes the chaser off.
            # The brake is let go to below the buffer's preload: after a capture the ring
            # sits compressed behind a nut already at its forward stop, and a brake at the
            # safe-state force held it there for good (the drive ran, nothing moved)
            c.set_sub("EXTEND")
            self.armed_t_s = None
            cmd = ActuatorCommand(
                seq=c.seq,
                ring_speed_m_s=cfg.ring_extend_speed_m_s,
                brake_slip_n=cfg.brake_slip_min_n,
            )
        else:
            c.set_sub("ARMED")
            if self.armed_t_s is None:
                self.armed_t_s = pt
            self.ready_prepared = pt - self.armed_t_s >= cfg.arm_settle_s
            return laws.contact_command(c.seq, cfg)
        self.ready_prepared = False
        self.ready_prep_timed_out = pt > cfg.ready_prep_timeout_s
        return cmd


@dataclass(slots=True)
class Approach(Procedure):
    """APPROACH: compliant ring, latches armed, watching for contact."""

    ready_extension_m: float | None = None
    """Ring extension at the first frame of APPROACH, m: deflection counts from here."""
    contact_detected: bool = False
    approach_timed_out: bool = False

    def run(self, c: Cycle, f: SensorFrame) -> ActuatorCommand:
        cfg = c.cfg
        if self.ready_extension_m is None:
            self.ready_extension_m = f.ring_extension_m
        self.contact_detected = (
            abs(f.axial_load_n) >= cfg.contact_axial_load_n
            or f.ring_extension_m <= self.ready_extension_m - cfg.contact_ring_deflection_m
            or any(f.alignment)
            or any(f.latch_captured)
        )
        self.approach_timed_out = c.pt > cfg.approach_timeout_s
        return laws.contact_command(c.seq, cfg)


@dataclass(slots=True)
class Contact(Procedure):
    """CONTACT: petal guidance (low damping and brake) until alignment or capture."""

    capture_started: bool = False
    capture_complete: bool = False
    capture_timed_out: bool = False

    def watch(self, c: Cycle, f: SensorFrame) -> None:
        """The capture facts; T_cap counts from CONTACT entry."""
        cfg = c.cfg
        self.capture_complete = (
            laws.pairs_captured(f.latch_captured, cfg.latch_pair_needs_both) == 3
        )
        self.capture_started = all(f.alignment) or any(f.latch_captured)
        self.capture_timed_out = c.clock_s - c.capture_window_t0_s > cfg.capture_timeout_s

    def run(self, c: Cycle, f: SensorFrame) -> ActuatorCommand:
        self.watch(c, f)
        return laws.contact_command(c.seq, c.cfg, reported=True)


@dataclass(slots=True)
class Capture(Contact):
    """CAPTURE: dampers high and the brake scheduled while the latches close."""

    def run(self, c: Cycle, f: SensorFrame) -> ActuatorCommand:
        self.watch(c, f)
        return laws.buffering_command(c.seq, f, c.cfg, reported=True)


@dataclass(slots=True)
class Captured(Procedure):
    """Memory of the phases that hold a capture: BUFFERING, CORRECTION, RETRACTION."""

    lost_t_s: float | None = None
    """Phase time fewer than three pairs started holding, s."""
    latches_lost: bool = False
    chaser_pushing: bool = False
    ok_t_s: float | None = None
    """Phase time the held condition became true, s (:meth:`held`)."""

    def watch_capture(self, c: Cycle, f: SensorFrame) -> None:
        """Capture lost: fewer than three pairs holding for ``capture_lost_s``. Chaser
        pushing: compression above ``chaser_push_load_n`` for ``chaser_push_time_s``."""
        # a chaser pushing into a latched ring compresses the buffer: a load read with the
        # ring on its ready stop is the brake holding the stop, not a push
        if f.axial_load_n >= c.cfg.chaser_push_load_n and not f.ring_ready_stop:
            if c.push_since_s < 0.0:
                c.push_since_s = c.clock_s
            self.chaser_pushing = c.clock_s - c.push_since_s >= c.cfg.chaser_push_time_s
        else:
            c.push_since_s = -1.0
            self.chaser_pushing = False
        if laws.pairs_captured(f.latch_captured, c.cfg.latch_pair_needs_both) < 3:
            if self.lost_t_s is None:
                self.lost_t_s = c.pt
            self.latches_lost = c.pt - self.lost_t_s >= c.cfg.capture_lost_s
        else:
            self.lost_t_s = None
            self.latches_lost = False

    def held(self, c: Cycle, condition: bool, hold_s: float) -> bool:
        """``condition`` true continuously for ``hold_s`` of phase time."""
        if not condition:
            self.ok_t_s = None
            return False
        if self.ok_t_s is None:
            self.ok_t_s = c.pt
        return c.pt - self.ok_t_s >= hold_s


def filter_motion(c: Cycle, f: SensorFrame) -> None:
    """Low-pass |v_rel| and |omega_rel| (time constant ``motion_filter_s``, frame time)."""
    v = laws.residual_speed_m_s(f)
    w = laws.residual_rate_rad_s(f)
    if c.motion_v_m_s < 0.0:
        c.motion_v_m_s = v
        c.motion_w_rad_s = w
        return
    a = c.mon.dt_s / c.cfg.motion_filter_s
    if a > 1.0:
        a = 1.0
    c.motion_v_m_s += a * (v - c.motion_v_m_s)
    c.motion_w_rad_s += a * (w - c.motion_w_rad_s)


@dataclass(slots=True)
class Buffering(Captured):
    """BUFFERING: asymmetric damping and a scheduled brake until the motion is damped."""

    motion_damped: bool = False
    attenuation_timed_out: bool = False

    def run(self, c: Cycle, f: SensorFrame) -> ActuatorCommand:
        cfg = c.cfg
        self.watch_capture(c, f)
        filter_motion(c, f)
        ok = laws.motion_within(
            c.motion_v_m_s, c.motion_w_rad_s, f, cfg.buffer_rate_limit_rad_s, cfg
        )
        self.motion_damped = self.held(c, ok, cfg.residual_hold_s)
        self.attenuation_timed_out = c.pt > cfg.attenuation_timeout_s
        return laws.buffering_command(c.seq, f, cfg)


@dataclass(slots=True)
class Correction(Captured):
    """CORRECTION: centre the ring while the filtered motion settles to the residual limits."""

    ring_centred: bool = False
    residual_motion_ok: bool = False
    correction_timed_out: bool = False

    def run(self, c: Cycle, f: SensorFrame) -> ActuatorCommand:
        cfg = c.cfg
        self.watch_capture(c, f)
        filter_motion(c, f)
        self.residual_motion_ok = laws.motion_within(
            c.motion_v_m_s, c.motion_w_rad_s, f, cfg.residual_rate_limit_rad_s, cfg
        )
        ok = laws.ring_centred(f, cfg) and self.residual_motion_ok
        self.ring_centred = self.held(c, ok, cfg.centred_hold_s)
        self.correction_timed_out = c.pt > cfg.correction_timeout_s
        return laws.correction_command(c.seq, cfg, laws.centring_dissipates(f, cfg))


@dataclass(slots=True)
class Retraction(Captured):
    """RETRACTION: ring in (DRIVE, SLOW), re-equalising on a jam (REEQUALISE)."""

    retraction_complete: bool = False
    retraction_timed_out: bool = False
    jam_t_s: float | None = None
    """Phase time the current jam signature started, s."""
    jam_ext_m: float = 0.0
    """Ring extension when it started, m."""
    reequalised: int = 0
    reequalise_t0_s: float = 0.0
    ring_jam_confirmed: bool = False

    def run(self, c: Cycle, f: SensorFrame) -> ActuatorCommand:
        cfg = c.cfg
        pt = c.pt
        seq = c.seq
        self.watch_capture(c, f)
        # the seals hold the faces ~1 mm apart until the hooks pull them in, so
        # interface contact is a LOCKING outcome, not a retraction exit condition
        self.retraction_complete = f.ring_retracted
        self.retraction_timed_out = pt > cfg.retraction_timeout_s
        if c.sub == "REEQUALISE":
            if pt - self.reequalise_t0_s < cfg.ring_reequalise_s:
                return laws.retraction_command(seq, cfg.ring_extend_speed_m_s, cfg)
            self.jam_t_s = None
        if c.sub != "SLOW":
            c.set_sub("SLOW" if f.ring_extension_m < cfg.retract_slow_zone_m else "DRIVE")
        if self.retraction_complete:
            return laws.retraction_command(seq, 0.0, cfg)
        speed = laws.retraction_speed(f.ring_extension_m, cfg)
        # no motion = the extension moved less than ring_jam_speed_m_s x the time since the
        # current went high, plus 0.5 mm (5 sigma of the linkage potentiometers): a
        # displacement, not the sensed speed, because a stalled screw can chatter at the
        # step rate, and a 100 Hz sample of that reads as a steady speed
        if abs(f.drive_current_a) >= cfg.ring_jam_current_a and (
            self.jam_t_s is None
            or abs(f.ring_extension_m - self.jam_ext_m)
            <= cfg.ring_jam_speed_m_s * (pt - self.jam_t_s) + 5e-4
        ):
            if self.jam_t_s is None:
                self.jam_t_s = pt
                self.jam_ext_m = f.ring_extension_m
            elif pt - self.jam_t_s >= cfg.ring_jam_time_s and not self.ring_jam_confirmed:
                if self.reequalised < cfg.ring_jam_retries:
                    self.reequalised += 1
                    self.reequalise_t0_s = pt
                    c.set_sub("REEQUALISE")
                    c.emit("fault", f"ring drive jam at {f.ring_extension_m:.4f} m")
                    c.emit("retry", "ring re-equalise: drive to forward stops, then retract again")
                    return laws.retraction_command(seq, cfg.ring_extend_speed_m_s, cfg)
                self.ring_jam_confirmed = True
                c.emit("fault", "ring drive jam persists after re-equalising")
                c.degrade("ring_drive", "jammed")
                return laws.retraction_command(seq, 0.0, cfg)
        else:
            self.jam_t_s = None
        return laws.retraction_command(seq, speed, cfg)
