"""Plausibility, staleness and redundancy checks run on every sensor frame.

A bad frame is an *input*, not an exception: the monitor classifies each frame
and the controller turns that into a hold (drives off, brake on) for the
frame and, when the problem persists, into SAFE. Three classes of finding:

* **bad** (the frame must not drive anything): a NaN, infinity or
  out-of-range value; a time stamp that does not advance; the two ring
  extension channels inconsistent (channel A is the ring on the linkage,
  channel B the drive nut behind the buffer: A may lag B by the buffer's
  compression, but never lead it, nor lag it by more than its stroke).
  Persistence (``max_consecutive_bad_frames`` in a row, or
  ``staleness_limit_s`` of frame time without a good frame), or a single
  time-stamp gap longer than ``staleness_limit_s``, means the sensor data is
  lost and the controller goes SAFE.
* **hold** (the frame is fine but the drives must wait): bus undervoltage.
  Locks self-hold through a power dip (DOMAIN 3), so the phase pauses and
  resumes, its time-outs paused with it.
* **warnings** that change no command: sequence gaps (frames lost on the
  link), and the seal cavity transducers disagreeing or out of range; the
  latter only make the seal check fail safe (tunnel valve kept shut).

No range is wider than what the wire can carry: every configured range is
narrowed to just inside the housekeeping channel's full scale
(:func:`wire_range`), so a channel *pegged* at full scale (a saturated or
shorted sensor, or a real value beyond the wire's reach) is out of range: bad
data, held on, and SAFE when it persists, never a plausible reading. One
exception: the axial gap ``rel_pos_m[0]`` at or above its positive full scale
reads "at least this far" (3.28 m on the wire), a real state of the approach
(a chaser starting further out, or backing off after a NOCAP retry), not a
failed sensor; with it the lateral offsets may be out of the sensor's field
too, and only the configured range bounds all three. No docking
decision reads the gap (contact is load, ring deflection, alignment and
latches), so a gap stuck there cannot drive anything.

The checks are chained comparisons on unpacked values (``lo <= x <= hi`` is
false for NaN and for infinities outside finite limits), the cheapest form on
CPython: a whole frame costs a few microseconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from controller.config import ControllerConfig, Range
from controller.protocol.fields import I16_MAX
from controller.protocol.housekeeping import HK_LAYOUT
from controller.types import SensorFrame

_COUNTS_PER_UNIT = {name: k for name, _, k, _ in HK_LAYOUT}


def wire_range(rng: Range, channel: str) -> Range:
    """``rng`` narrowed to inside the wire's full scale of housekeeping ``channel``.

    The wire saturates at +-32767 counts; the bounds here stop half a count
    short, so a value *at* full scale (pegged) fails the check.
    """
    fs = (I16_MAX - 0.5) / _COUNTS_PER_UNIT[channel]
    lo, hi = rng
    return max(lo, -fs), min(hi, fs)


OK = 0
HOLD = 1
BAD = 2
REPEAT = 3
"""The very frame seen last cycle again (same ``seq`` and ``t_s``): in real time the
host woke before the device's next report. Not bad data, no new data: the controller
keeps its last command, for at most ``max_repeated_frames`` cycles in a row."""


def make_plausibility_check(cfg: ControllerConfig) -> Callable[[SensorFrame], str | None]:
    """Build the plausibility check for ``cfg`` with its limits bound as closure constants.

    Short vectors are unpacked and compared element-wise and the limits are
    closure cells, not attribute look-ups: the check runs every cycle and
    this halves its cost on CPython 3.11.
    """
    # one line per channel, alike by design: each limit becomes a closure constant
    v_lo, v_hi = wire_range(cfg.range_bus_voltage_v, "bus_voltage_v")
    p_lo, p_hi = wire_range(cfg.range_rel_pos_m, "rel_pos_m")
    far_lo, far_hi = cfg.range_rel_pos_m
    vel_lo, vel_hi = wire_range(cfg.range_rel_vel_m_s, "rel_vel_m_s")
    ang_lo, ang_hi = wire_range(cfg.range_rel_angle_rad, "rel_angle_rad")
    rate_lo, rate_hi = wire_range(cfg.range_rel_rate_rad_s, "rel_rate_rad_s")
    ext_lo, ext_hi = wire_range(cfg.range_ring_extension_m, "ring_extension_m")
    ext_ahead = cfg.ring_extension_disagreement_m
    ext_behind = cfg.buffer_deflection_max_m
    rs_lo, rs_hi = wire_range(cfg.range_ring_speed_m_s, "ring_speed_m_s")
    lat_lo, lat_hi = wire_range(cfg.range_ring_lateral_m, "ring_lateral_m")
    tilt_lo, tilt_hi = wire_range(cfg.range_ring_tilt_rad, "ring_tilt_rad")
    load_lo, load_hi = wire_range(cfg.range_load_n, "axial_load_n")
    cur_lo, cur_hi = wire_range(cfg.range_drive_current_a, "drive_current_a")
    hp_lo, hp_hi = wire_range(cfg.range_hook_pos, "hook_pos")
    hl_lo, hl_hi = wire_range(cfg.range_hook_load_n, "hook_load_n")
    hc_lo, hc_hi = wire_range(cfg.range_hook_motor_current_a, "hook_motor_current_a")
    hs_lo, hs_hi = wire_range(cfg.range_hook_motor_speed_rad_s, "hook_motor_speed_rad_s")
    ct_lo, ct_hi = wire_range(cfg.range_cable_tension_n, "cable_tension_n")

    def check(frame: SensorFrame) -> str | None:
        if not v_lo <= frame.bus_voltage_v <= v_hi:
            return "bus_voltage_v"
        a, b, c = frame.rel_pos_m
        if not (p_lo <= a <= p_hi and p_lo <= b <= p_hi and p_lo <= c <= p_hi) and not (
            p_hi < a <= far_hi and far_lo <= b <= far_hi and far_lo <= c <= far_hi
        ):
            return "rel_pos_m"
        a, b, c = frame.rel_vel_m_s
        if not (vel_lo <= a <= vel_hi and vel_lo <= b <= vel_hi and vel_lo <= c <= vel_hi):
            return "rel_vel_m_s"
        a, b, c = frame.rel_angle_rad
        if not (ang_lo <= a <= ang_hi and ang_lo <= b <= ang_hi and ang_lo <= c <= ang_hi):
            return "rel_angle_rad"
        a, b, c = frame.rel_rate_rad_s
        if not (rate_lo <= a <= rate_hi and rate_lo <= b <= rate_hi and rate_lo <= c <= rate_hi):
            return "rel_rate_rad_s"
        a = frame.ring_extension_m
        b = frame.ring_extension_b_m
        if not ext_lo <= a <= ext_hi:
            return "ring_extension_m"
        if not ext_lo <= b <= ext_hi:
            return "ring_extension_b_m"
        if not -ext_behind <= a - b <= ext_ahead:
            return "ring_extension_disagree"
        if not rs_lo <= frame.ring_speed_m_s <= rs_hi:
            return "ring_speed_m_s"
        a, b = frame.ring_lateral_m
        if not (lat_lo <= a <= lat_hi and lat_lo <= b <= lat_hi):
            return "ring_lateral_m"
        a, b = frame.ring_tilt_rad
        if not (tilt_lo <= a <= tilt_hi and tilt_lo <= b <= tilt_hi):
            return "ring_tilt_rad"
        if not (
            load_lo <= frame.axial_load_n <= load_hi and load_lo <= frame.lateral_load_n <= load_hi
        ):
            return "load_n"
        if not cur_lo <= frame.drive_current_a <= cur_hi:
            return "drive_current_a"
        t = frame.hook_pos
        if len(t) != 12:
            return "hook_pos"
        h0, h1, h2, h3, h4, h5, h6, h7, h8, h9, h10, h11 = t
        if not (
            hp_lo <= h0 <= hp_hi
            and hp_lo <= h1 <= hp_hi
            and hp_lo <= h2 <= hp_hi
            and hp_lo <= h3 <= hp_hi
            and hp_lo <= h4 <= hp_hi
            and hp_lo <= h5 <= hp_hi
            and hp_lo <= h6 <= hp_hi
            and hp_lo <= h7 <= hp_hi
            and hp_lo <= h8 <= hp_hi
            and hp_lo <= h9 <= hp_hi
            and hp_lo <= h10 <= hp_hi
            and hp_lo <= h11 <= hp_hi
        ):
            return "hook_pos"
        t = frame.hook_load_n
        if len(t) != 12:
            return "hook_load_n"
        h0, h1, h2, h3, h4, h5, h6, h7, h8, h9, h10, h11 = t
        if not (
            hl_lo <= h0 <= hl_hi
            and hl_lo <= h1 <= hl_hi
            and hl_lo <= h2 <= hl_hi
            and hl_lo <= h3 <= hl_hi
            and hl_lo <= h4 <= hl_hi
            and hl_lo <= h5 <= hl_hi
            and hl_lo <= h6 <= hl_hi
            and hl_lo <= h7 <= hl_hi
            and hl_lo <= h8 <= hl_hi
            and hl_lo <= h9 <= hl_hi
            and hl_lo <= h10 <= hl_hi
            and hl_lo <= h11 <= hl_hi
        ):
            return "hook_load_n"
        a, b = frame.hook_motor_current_a
        if not (hc_lo <= a <= hc_hi and hc_lo <= b <= hc_hi):
            return "hook_motor_current_a"
        a, b = frame.hook_motor_speed_rad_s
        if not (hs_lo <= a <= hs_hi and hs_lo <= b <= hs_hi):
            return "hook_motor_speed_rad_s"
        a, b = frame.cable_tension_n
        if not (ct_lo <= a <= ct_hi and ct_lo <= b <= ct_hi):
            return "cable_tension_n"
        return None

    return check


_CHECKS: dict[int, tuple[ControllerConfig, Callable[[SensorFrame], str | None]]] = {}

_LAST_CHECKED: tuple[SensorFrame | None, ControllerConfig | None, str | None] = (None, None, None)
"""The newest frame a :class:`FrameMonitor` checked for plausibility, its config and the
answer. The check is a pure function of the two (both frozen), and the harness's interlock
check asks it again about the very same frame object every cycle: :func:`implausible`
answers from here instead of running it twice. One tuple, replaced whole."""


def implausible(frame: SensorFrame, cfg: ControllerConfig) -> str | None:
    """Name of the first implausible or inconsistent value of ``frame``, else None.

    Stateless: the same answer for the same frame, so the interlock checker
    and the controller agree on which frames are bad. NaN fails every
    comparison, so it is caught by the range checks.
    """
    last_frame, last_cfg, last_reason = _LAST_CHECKED
    if frame is last_frame and cfg is last_cfg:
        return last_reason
    entry = _CHECKS.get(id(cfg))
    if entry is None or entry[0] is not cfg:
        if len(_CHECKS) > 64:
            _CHECKS.clear()
        entry = (cfg, make_plausibility_check(cfg))
        _CHECKS[id(cfg)] = entry
    return entry[1](frame)


def _remember(frame: SensorFrame, cfg: ControllerConfig, reason: str | None) -> None:
    global _LAST_CHECKED
    _LAST_CHECKED = (frame, cfg, reason)


def seal_sensors_fault(frame: SensorFrame, cfg: ControllerConfig) -> str | None:
    """Why the cavity/tunnel pressures cannot be trusted, else None (soft check)."""
    lo, hi = wire_range(cfg.range_pressure_pa, "seal_cavity_pressure_pa")
    return _seal_fault(frame, cfg, lo, hi)


def _seal_fault(frame: SensorFrame, cfg: ControllerConfig, lo: float, hi: float) -> str | None:
    """:func:`seal_sensors_fault` with the pressure range already narrowed to the wire's."""
    pa = frame.seal_cavity_pressure_pa
    pb = frame.seal_cavity_pressure_b_pa
    if not lo <= pa <= hi:
        return "seal_cavity_pressure_pa"
    if not lo <= pb <= hi:
        return "seal_cavity_pressure_b_pa"
    if not lo <= frame.tunnel_pressure_pa <= hi:
        return "tunnel_pressure_pa"
    if abs(pa - pb) > cfg.seal_pressure_disagreement_pa:
        return "seal_cavity_pressure_disagree"
    return None


@dataclass(slots=True)
class FrameMonitor:
    """The stateful part of the checks: time stamps, sequence numbers, persistence.

    ``check`` returns :data:`OK`, :data:`HOLD` or :data:`BAD` and leaves the
    reason in ``reason``; ``data_lost`` turns true when bad data has
    persisted (or a gap was too long) and stays true until :meth:`reset`.
    """

    cfg: ControllerConfig
    last_t_s: float | None = None
    last_good_t_s: float | None = None
    last_seq: int | None = None
    consecutive_bad: int = 0
    seq_gaps: int = 0
    bad_frames: int = 0
    reason: str = ""
    seal_fault: str | None = None
    data_lost: bool = False
    dt_s: float = 0.0
    repeats: int = 0
    check_fn: Callable[[SensorFrame], str | None] = field(init=False, repr=False)
    pressure_range: Range = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.check_fn = make_plausibility_check(self.cfg)
        self.pressure_range = wire_range(self.cfg.range_pressure_pa, "seal_cavity_pressure_pa")

    def reset(self) -> None:
        """Forget history (operator reset): the next frame starts a fresh time base."""
        self.last_t_s = None
        self.last_good_t_s = None
        self.last_seq = None
        self.consecutive_bad = 0
        self.reason = ""
        self.data_lost = False
        self.dt_s = 0.0

    def check(self, frame: SensorFrame) -> int:
        """Classify ``frame``; sets ``reason``, ``dt_s`` (time since the last good frame)."""
        cfg = self.cfg
        t = frame.t_s
        seq = frame.seq
        last_seq = self.last_seq
        if seq == last_seq and t == self.last_t_s and self.consecutive_bad == 0:
            self.repeats += 1
            if self.repeats <= cfg.max_repeated_frames:
                return REPEAT
        else:
            self.repeats = 0
        if last_seq is not None and seq != last_seq + 1 and seq > last_seq:
            self.seq_gaps += 1
        self.last_seq = seq
        last_t = self.last_t_s
        reason: str | None
        if not -1e12 <= t <= 1e12:
            reason = "t_s_invalid"
        elif last_t is not None and t <= last_t:
            reason = "t_s_not_advancing"
        else:
            self.last_t_s = t
            reason = self.check_fn(frame)
            _remember(frame, cfg, reason)
            if reason is None:
                last_good = self.last_good_t_s
                if last_good is not None and t - last_good > cfg.staleness_limit_s:
                    reason = "stale_gap"
                    self.data_lost = True
        if reason is not None:
            self.consecutive_bad += 1
            self.bad_frames += 1
            self.reason = reason
            last_good = self.last_good_t_s
            if self.consecutive_bad >= cfg.max_consecutive_bad_frames or (
                last_good is not None
                and self.last_t_s is not None
                and self.last_t_s - last_good > cfg.staleness_limit_s
            ):
                self.data_lost = True
            if reason == "stale_gap":
                # the frame itself is fine; re-base time so recovery after reset is clean
                self.last_good_t_s = t
            self.dt_s = 0.0
            return BAD
        last_good = self.last_good_t_s
        self.dt_s = 0.0 if last_good is None else t - last_good
        self.last_good_t_s = t
        self.consecutive_bad = 0
        self.seal_fault = _seal_fault(frame, cfg, *self.pressure_range)
        if frame.bus_voltage_v < cfg.bus_undervoltage_v:
            self.reason = "bus_undervoltage"
            return HOLD
        self.reason = ""
        return OK
