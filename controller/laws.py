"""Control laws of each phase: plain functions of the sensor frame and phase state.

Nothing here knows which phase it is in or keeps hidden state; the machine
picks the law for its phase and owns whatever memory a law needs (a
:class:`HookSetState` per hook set, the seal test's reference pressures).
Plain floats and tuples only: these run every cycle and numpy's per-call
overhead would cost more than the arithmetic (PERFORMANCE.md).

Sign conventions follow :mod:`controller.types`: ``ring_speed_m_s`` > 0
extends the ring towards the station, so a ring being pushed in by the
contact (compression) has negative speed; hook motor voltage > 0 closes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from controller.config import ControllerConfig
from controller.protocol.fields import fast_constructor
from controller.types import ActuatorCommand, SensorFrame

_command = cast("type[ActuatorCommand]", fast_constructor(ActuatorCommand))
"""``ActuatorCommand(...)`` for the laws, which make one every cycle: the same object, built
without the frozen ``__init__``'s per-field ``object.__setattr__`` (typed as the class, so
the keywords are checked against its fields)."""

SET_NAMES = ("A", "B")


# --- sensing helpers ------------------------------------------------------------


def pairs_captured(latches: tuple[bool, ...], need_both: bool = False) -> int:
    """Number of petals (latch pairs) holding: latches 2k and 2k+1 form pair k.

    The two latches of a pair are duplicates for reliability (DOMAIN 3), so by
    default either one holding counts.
    """
    if need_both:
        return (
            (latches[0] and latches[1]) + (latches[2] and latches[3]) + (latches[4] and latches[5])
        )
    return (latches[0] or latches[1]) + (latches[2] or latches[3]) + (latches[4] or latches[5])


def set_spread(hook_pos: tuple[float, ...], hook_set: int) -> float:
    """Largest position difference within a set, fraction of stroke (DOMAIN 5: <= 0.05)."""
    p = hook_pos[hook_set::2]
    return max(p) - min(p)


def set_closed(hook_pos: tuple[float, ...], hook_set: int, cfg: ControllerConfig) -> bool:
    """Every hook of the set at or beyond the closed position."""
    return min(hook_pos[hook_set::2]) >= cfg.hook_closed_pos


def full_set_closed(hook_pos: tuple[float, ...], cfg: ControllerConfig) -> bool:
    """At least one complete set of six closed: either set alone holds the joint [S1]."""
    return min(hook_pos[0::2]) >= cfg.hook_closed_pos or min(hook_pos[1::2]) >= cfg.hook_closed_pos


def all_hooks_open(hook_pos: tuple[float, ...], cfg: ControllerConfig) -> bool:
    """Every hook at or below the open threshold."""
    return max(hook_pos) <= cfg.hook_open_pos


def set_preload_in_band(
    hook_load_n: tuple[float, ...], hook_set: int, cfg: ControllerConfig
) -> bool:
    """Every hook of the set within +-tolerance of the nominal preload (DOMAIN 5)."""
    loads = hook_load_n[hook_set::2]
    nominal = cfg.hook_preload_nominal_n
    tol = cfg.hook_preload_tolerance
    return min(loads) >= nominal * (1.0 - tol) and max(loads) <= nominal * (1.0 + tol)


def residual_speed_m_s(frame: SensorFrame) -> float:
    """|v_rel|, m/s."""
    vx, vy, vz = frame.rel_vel_m_s
    return float((vx * vx + vy * vy + vz * vz) ** 0.5)


def residual_rate_rad_s(frame: SensorFrame) -> float:
    """|omega_rel|, rad/s."""
    wx, wy, wz = frame.rel_rate_rad_s
    return float((wx * wx + wy * wy + wz * wz) ** 0.5)


def residual_motion_ok(frame: SensorFrame, cfg: ControllerConfig) -> bool:
    """Relative motion small enough to retract (DOMAIN 5: |v| <= 5 mm/s, |w| <= 0.05 deg/s)."""
    return (
        residual_speed_m_s(frame) <= cfg.residual_speed_limit_m_s
        and residual_rate_rad_s(frame) <= cfg.residual_rate_limit_rad_s
        and abs(frame.ring_speed_m_s) <= cfg.ring_settled_speed_m_s
    )


def motion_within(
    speed_m_s: float,
    rate_rad_s: float,
    frame: SensorFrame,
    rate_limit_rad_s: float,
    cfg: ControllerConfig,
) -> bool:
    """(Filtered) relative speed and rate, and the ring's axial speed, inside the limits."""
    return (
        speed_m_s <= cfg.residual_speed_limit_m_s
        and rate_rad_s <= rate_limit_rad_s
        and abs(frame.ring_speed_m_s) <= cfg.ring_settled_speed_m_s
    )


def ring_centred(frame: SensorFrame, cfg: ControllerConfig) -> bool:
    """Ring lateral offset and tilt inside the centring band (DOMAIN 5: +-5 mm, +-0.5 deg)."""
    ly, lz = frame.ring_lateral_m
    ty, tz = frame.ring_tilt_rad
    tol_m = cfg.centring_tolerance_m
    tol_rad = cfg.centring_tolerance_rad
    return abs(ly) <= tol_m and abs(lz) <= tol_m and abs(ty) <= tol_rad and abs(tz) <= tol_rad


# --- buffer: dampers and brake ---------------------------------------------------------


def damper_coefficient(ring_speed_m_s: float, cfg: ControllerConfig) -> float:
    """Damper coefficient, N*s/m: softer in compression, stiffer in rebound.

    Lower compression damping lowers the first load peak; higher rebound
    damping keeps the springs from throwing the craft apart (DOMAIN 4 item 3,
    [S14 p.221]).
    """
    if ring_speed_m_s < 0.0:
        return cfg.damper_compression_n_s_m
    return cfg.damper_rebound_n_s_m


def brake_slip_force(frame: SensorFrame, cfg: ControllerConfig) -> float:
    """Friction-brake slip force, N, scheduled on ring speed and remaining stroke.

    High while the ring moves fast (the brake absorbs most of the energy,
    [S14 p.65]), falling towards a minimum as it stops so the buffer springs
    can re-centre it; at maximum near the end of stroke to avoid bottoming.
    """
    if frame.ring_extension_m < cfg.buffer_stroke_margin_m:
        return cfg.brake_slip_max_n
    force = cfg.brake_slip_min_n + cfg.brake_slip_gain_n_s_m * abs(frame.ring_speed_m_s)
    return force if force < cfg.brake_slip_max_n else cfg.brake_slip_max_n


def hold_command(seq: int, latch_arm: bool = False) -> ActuatorCommand:
    """Drives off, brake on, dampers on, nothing released or fired (SAFE_COMMAND-like).

    ``latch_arm`` keeps armed latches armed through a short hold: disarming
    them is not safer, and it would spoil a capture in progress.
    """
    return _command(seq=seq, latch_arm=latch_arm)


def contact_command(seq: int, cfg: ControllerConfig, reported: bool = False) -> ActuatorCommand:
    """Petal guidance: a compliant ring so the petals can slide it into line.

    ``reported`` raises the contact discrete to the chaser's GNC, which then
    pushes after its delay (DOMAIN 2a): from CONTACT until every pair holds.
    """
    return _command(
        seq=seq,
        damper_n_s_m=cfg.damper_contact_n_s_m,
        brake_slip_n=cfg.brake_contact_n,
        latch_arm=True,
        contact_reported=reported,
    )


def buffering_command(
    seq: int, frame: SensorFrame, cfg: ControllerConfig, reported: bool = False
) -> ActuatorCommand:
    """Capture and buffering: dampers high (asymmetric), brake scheduled, latches kept armed.

    The drive's centring runs from capture on (switched by
    :func:`centring_dissipates` only later, in CORRECTION): a chaser latched
    with a misalignment (up to 9 deg at the envelope's corners) would swing
    about the ring (about 2.5e5 kg m^2 on the soft tilt spring), which the
    tilt dampers (a few kN m s/rad) cannot damp; the centring turns it back,
    moment-limited (docs/validation.md).
    Until every pair holds (CAPTURE after the first latch), the contact
    set-points stay: damping or centring then would stop the last petal.
    """
    if pairs_captured(frame.latch_captured, cfg.latch_pair_needs_both) < 3:
        return contact_command(seq, cfg, reported)
    return _command(
        seq=seq,
        damper_n_s_m=damper_coefficient(frame.ring_speed_m_s, cfg),
        brake_slip_n=brake_slip_force(frame, cfg),
        ring_centring=True,
        latch_arm=True,
    )


def centring_dissipates(frame: SensorFrame, cfg: ControllerConfig) -> bool:
    """Whether to switch the drive's centring on this cycle (switched-stiffness damping).

    The drive's centring acts like a stiff, force-limited spring; left on, it
    trades energy with the craft's slow pitch/yaw swing instead of removing
    it. Switched on only while the tilt grows (tilt * tilt rate > 0) and off
    while it shrinks, it absorbs the swing's energy each half cycle. The
    ring is latched to the station, so its tilt rate is minus the relative
    rate about the same axis. Near the centre it stays on to hold position.
    """
    ty, tz = frame.ring_tilt_rad
    ly, lz = frame.ring_lateral_m
    _, wy, wz = frame.rel_rate_rad_s
    band = 0.5 * cfg.centring_tolerance_rad
    if abs(ly) > cfg.centring_tolerance_m or abs(lz) > cfg.centring_tolerance_m:
        return True
    if abs(ty) < band and abs(tz) < band:
        return True
    return -(ty * wy + tz * wz) > 0.0


def correction_command(seq: int, cfg: ControllerConfig, centring: bool = True) -> ActuatorCommand:
    """Correction: the ring drive centres the ring laterally and in tilt."""
    return _command(
        seq=seq,
        damper_n_s_m=cfg.correction_damper_n_s_m,
        brake_slip_n=cfg.correction_brake_n,
        ring_centring=centring,
        latch_arm=True,
    )


# --- retraction ---------------------------------------------------------------------


def retraction_speed(ring_extension_m: float, cfg: ControllerConfig) -> float:
    """Ring speed set-point, m/s (negative = retract), slow near the end of stroke.

    Fast over most of the stroke; a linear ramp down to the slow speed over
    the last ``retract_slow_zone_m`` so the guide pins enter their sockets
    gently ([S14 p.152]: guide-pin jams happen at the end of stroke).
    """
    fast = cfg.retract_speed_fast_m_s
    slow = cfg.retract_speed_slow_m_s
    zone = cfg.retract_slow_zone_m
    if ring_extension_m >= zone:
        return -fast
    if ring_extension_m <= 0.0:
        return -slow
    return -(slow + (fast - slow) * ring_extension_m / zone)


def retraction_command(seq: int, ring_speed_m_s: float, cfg: ControllerConfig) -> ActuatorCommand:
    """Retraction: drive the ring in, centring on, latches held."""
    return _command(
        seq=seq,
        damper_n_s_m=cfg.retraction_damper_n_s_m,
        brake_slip_n=cfg.retraction_brake_n,
        ring_speed_m_s=ring_speed_m_s,
        ring_centring=True,
        latch_arm=True,
    )


# --- hooks ------------------------------------------------------------------------------


@dataclass(slots=True)
class HookSetState:
    """Memory of one hook set's drive during locking (owned by the machine).

    ``mode``: ``drive`` (closing), ``reverse`` (backing off after a jam),
    ``preloaded`` (preload reached, motor off, self-holding), ``failed``
    (given up: motor, cable or a jam that retries did not clear).
    """

    index: int
    mode: str = "drive"
    retries: int = 0
    mode_t_s: float = 0.0
    window_t_s: float = 0.0
    window_mean_pos: float = -1.0
    window_mean_load_n: float = 0.0
    fault: str = ""
    spread_max: float = 0.0


def drive_hook_set(
    st: HookSetState, frame: SensorFrame, t_s: float, cfg: ControllerConfig
) -> float:
    """Motor voltage for one hook set while locking, V (+ closes).

    ``t_s`` is phase time (frame time, paused during holds). Per-hook
    synchrony: a set whose spread passes ``hook_sync_slow_spread`` is slowed
    so lagging hooks catch up; at ``hook_sync_stop_spread`` it is stopped and
    reversed (single-hook jam), retried ``hook_jam_retries`` times, then given
    up. A set that makes no progress over ``hook_stall_window_s`` (motor
    failure, cable break: current/position mismatch) is given up at once;
    the other set can finish alone. Preload control: the motor stops when the
    smallest hook load of the set reaches ``hook_preload_stop_fraction`` of
    nominal, or any load reaches the upper tolerance; a set that stops moving
    fully closed with every load inside the tolerance band counts as preloaded
    (its end-stop springs set the preload; more voltage cannot raise it).
    """
    mode = st.mode
    if mode == "preloaded" or mode == "failed":
        return 0.0
    if mode == "reverse":
        if t_s - st.mode_t_s >= cfg.hook_reverse_s:
            st.mode = "drive"
            st.mode_t_s = t_s
            st.window_t_s = t_s
            st.window_mean_pos = -1.0
            return cfg.hook_voltage_slow_v
        return -cfg.hook_voltage_open_v
    pos = frame.hook_pos[st.index :: 2]
    loads = frame.hook_load_n[st.index :: 2]
    spread = max(pos) - min(pos)
    if spread > st.spread_max:
        st.spread_max = spread
    nominal = cfg.hook_preload_nominal_n
    overload = max(loads) >= nominal * (1.0 + cfg.hook_preload_tolerance)
    # a hook loaded past the band before its set is closed is caught on something
    # (single-hook jam, DOMAIN 3): stop, reverse and retry like a spread jam,
    # never count it as preload
    jammed = overload and min(pos) < cfg.hook_closed_pos
    if not jammed and (min(loads) >= nominal * cfg.hook_preload_stop_fraction or overload):
        st.mode = "preloaded"
        st.mode_t_s = t_s
        return 0.0
    if jammed or spread >= cfg.hook_sync_stop_spread:
        st.mode_t_s = t_s
        if st.retries < cfg.hook_jam_retries:
            st.retries += 1
            st.mode = "reverse"
            st.fault = "hook_jam_retry"
            return -cfg.hook_voltage_open_v
        st.mode = "failed"
        st.fault = "hook_jam"
        return 0.0
    mean = sum(pos) / 6.0
    mean_load = sum(loads) / 6.0
    if st.window_mean_pos < 0.0:
        st.window_t_s = t_s
        st.window_mean_pos = mean
        st.window_mean_load_n = mean_load
    elif t_s - st.window_t_s >= cfg.hook_stall_window_s:
        # in the clamp region the hooks barely move while their load builds:
        # either kind of progress counts
        progress = mean - st.window_mean_pos + (mean_load - st.window_mean_load_n) / nominal
        # at the stroke end the force-regulating springs set the preload, whatever
        # the motor does: a rigging spread can hold the smallest load under the stop
        # fraction but inside the band. That set is done, not failed.
        if (
            progress < cfg.hook_min_progress
            and set_closed(frame.hook_pos, st.index, cfg)
            and set_preload_in_band(frame.hook_load_n, st.index, cfg)
        ):
            st.mode = "preloaded"
            st.mode_t_s = t_s
            return 0.0
        if progress < cfg.hook_min_progress:
            st.mode = "failed"
            st.fault = "hook_set_no_motion"
            st.mode_t_s = t_s
            return 0.0
        st.window_t_s = t_s
        st.window_mean_pos = mean
        st.window_mean_load_n = mean_load
    if spread >= cfg.hook_sync_slow_spread:
        return cfg.hook_voltage_slow_v
    return cfg.hook_voltage_close_v


def locking_command(
    seq: int, hook_v: tuple[float, float], cfg: ControllerConfig
) -> ActuatorCommand:
    """Locking: hook motors driven, ring held retracted by the brake, latches held."""
    return _command(
        seq=seq,
        damper_n_s_m=cfg.retraction_damper_n_s_m,
        brake_slip_n=cfg.brake_slip_max_n,
        latch_arm=True,
        hook_motor_v=hook_v,
    )


# --- seal -------------------------------------------------------------------------------


def seal_decay_rates(
    p0: tuple[float, float], p1: tuple[float, float], duration_s: float
) -> tuple[float, float]:
    """Cavity pressure decay rate seen by each transducer over the test, Pa/s."""
    return (p0[0] - p1[0]) / duration_s, (p0[1] - p1[1]) / duration_s


def seal_test_passed(rates_pa_s: tuple[float, float], cfg: ControllerConfig) -> bool:
    """Both transducers must see a decay at or below the limit.

    Requiring both (rather than their mean) means a transducer drifting the
    optimistic way cannot pass a leaking seal on its own.
    """
    limit = cfg.seal_decay_limit_pa_s
    return rates_pa_s[0] <= limit and rates_pa_s[1] <= limit
