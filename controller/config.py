"""Limits, time-outs and gains of the docking controller, with units in every name.

One frozen dataclass, so a run's whole tuning is one value that can be logged,
compared and overridden from a preset (:meth:`ControllerConfig.from_mapping`).
Defaults are the engineering estimates of DOMAIN.md sections 2-5, tuned
against the simulated plant; every number a bench would change is here, none
is buried in the laws or the machine.

Time-outs count *frame* time (``SensorFrame.t_s``) and pause while the
controller holds on a bad frame or on bus undervoltage, so a power dip during
locking does not eat into T_lock.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from controller.errors import ConfigError

Range = tuple[float, float]


@dataclass(frozen=True, slots=True)
class ControllerConfig:
    """Every limit and gain of the controller (SI units, named in the field)."""

    # --- frame monitor ------------------------------------------------------
    nominal_period_s: float = 1e-3
    """Control period the loop is expected to run at; only used to express limits in frames."""
    staleness_limit_s: float = 0.2
    """Longest frame-time gap (or run of bad frames) tolerated before going SAFE."""
    max_consecutive_bad_frames: int = 200
    """Bad frames in a row (frozen or backwards clock, implausible values) before going SAFE."""
    max_repeated_frames: int = 3
    """The same frame (same seq and time stamp) seen again this many cycles in a row is
    "no new data yet" (a real-time host woke before the device's next report): the last
    command is kept. One more repeat and the frame counts as bad (frozen clock)."""
    bus_undervoltage_v: float = 22.0
    """Below this bus voltage the drives are held off; the phase resumes when it recovers."""
    ring_extension_disagreement_m: float = 0.005
    """How far the ring (linkage, channel A) may read ahead of its drive nut (encoder, B).

    The ring rests on the nut's forward stop through the buffer, so A <= B
    except for stop compliance; A ahead of B by more than this is a sensor fault.
    """
    buffer_deflection_max_m: float = 0.35
    """Largest buffer compression (B - A) the mechanism can show; more is a sensor fault."""
    seal_pressure_disagreement_pa: float = 3_000.0
    """Largest tolerated difference between the two cavity transducers."""
    range_bus_voltage_v: Range = (-5.0, 60.0)
    """A dead bus reads 0 V plus noise: slightly negative is undervoltage (hold), not bad data."""
    range_rel_pos_m: Range = (-1.0e4, 1.0e4)
    range_rel_vel_m_s: Range = (-10.0, 10.0)
    range_rel_angle_rad: Range = (-math.pi, math.pi)
    range_rel_rate_rad_s: Range = (-2.0, 2.0)
    range_ring_extension_m: Range = (-0.05, 1.0)
    range_ring_speed_m_s: Range = (-2.0, 2.0)
    range_ring_lateral_m: Range = (-0.5, 0.5)
    range_ring_tilt_rad: Range = (-0.6, 0.6)
    range_load_n: Range = (-5.0e5, 5.0e5)
    range_drive_current_a: Range = (-200.0, 200.0)
    range_hook_pos: Range = (-0.2, 1.2)
    range_hook_load_n: Range = (-1.0e5, 2.0e5)
    range_hook_motor_current_a: Range = (-200.0, 200.0)
    range_hook_motor_speed_rad_s: Range = (-5.0e4, 5.0e4)
    range_cable_tension_n: Range = (-1.0e5, 1.0e6)
    range_pressure_pa: Range = (-5.0e3, 3.0e5)

    # --- READY / re-arm -----------------------------------------------------
    ring_extend_speed_m_s: float = 0.005
    """Ring drive speed towards the ready stop while preparing or re-arming."""
    ready_prep_timeout_s: float = 300.0
    """Preparation (release, extend, open hooks, arm) must finish within this."""
    arm_settle_s: float = 0.2
    """Latches are commanded armed this long before the mechanism counts as ready."""
    latch_release_timeout_s: float = 30.0
    """Latches must report free within this after a release command."""

    # --- APPROACH / CONTACT / CAPTURE --------------------------------------
    approach_timeout_s: float = 1800.0
    """No contact within this after 'dock': abort (the chaser never arrived)."""
    contact_axial_load_n: float = 100.0
    """Axial load that counts as first contact."""
    contact_ring_deflection_m: float = 0.002
    """Ring pushed back from its ready stop by this much counts as first contact."""
    capture_timeout_s: float = 5.0
    """T_cap: all latch pairs must capture within this after first contact (else NOCAP)."""
    capture_retries: int = 1
    """NOCAP / partial-capture retries (re-arm and re-approach) before ABORT."""
    capture_lost_s: float = 0.2
    chaser_push_load_n: float = 800.0
    """Compressive axial load that, held after capture, means the chaser is still thrusting.

    After capture the chaser's GNC drops its thrust (the contact discrete falls,
    DOMAIN 2a); the brake then holds the buffer and the interface load decays
    to the damper's transients. The nominal 1.5 kN thrust held on reads
    ~1.5 kN for as long as it lasts."""
    chaser_push_time_s: float = 5.0
    """How long that load must hold, s: longer than any buffering transient."""
    """Fewer than three pairs captured this long after capture counts as capture lost."""
    latch_pair_needs_both: bool = False
    """False: a petal's pair counts as captured when either latch holds (they are duplicated)."""

    # --- control laws: buffer ----------------------------------------------
    damper_contact_n_s_m: float = 5_000.0
    """Damper coefficient during petal guidance, N*s/m.

    The ring's lateral and tilt buffers are preloaded springs of a few kN/m
    (DOMAIN 2a): undamped, the petals' push on the flanks throws the chaser
    sideways through the guides and past the seat (at the maker's slow
    corner, 0.16 m and 0.10 m/s diverging, the chaser swung to -0.12 m and
    two latches caught, not six). Half the buffering value keeps the ring
    compliant axially while the chaser's thrust presses it in."""
    brake_contact_n: float = 2_000.0
    """Brake slip force during petal guidance: the ring stays on its stop (slips
    above preload + 0.75 x this), so the closing momentum drives the ring into
    line instead of compressing the buffer before alignment."""
    damper_compression_n_s_m: float = 9_000.0
    """Damper coefficient while the ring is pushed in (lower: softer first impact)."""
    damper_rebound_n_s_m: float = 14_000.0
    """Damper coefficient while the ring springs back out (higher: cuts recoil)."""
    brake_slip_min_n: float = 300.0
    """Brake slip force once the ring has nearly stopped (lets the springs centre it).

    Must stay below the buffer spring's preload (plant: 400 N, return slip at
    1.0 x command): above it the brake sticks with the ring compressed, the
    spring's energy stays stored instead of being dissipated on the way back
    to the ready stop, and the ring is not re-centred axially.
    """
    brake_slip_max_n: float = 2_500.0
    """Brake slip force at high ring speed or near the end of the buffer stroke."""
    brake_slip_gain_n_s_m: float = 20_000.0
    """Brake slip force added per m/s of ring speed between min and max."""
    buffer_stroke_margin_m: float = 0.03
    """Ring extension below which the brake goes to its maximum to avoid bottoming."""

    # --- BUFFERING / CORRECTION --------------------------------------------
    attenuation_timeout_s: float = 30.0
    """T_att: relative motion must damp within this after capture."""
    attenuation_extensions: int = 1
    """How many times T_att is granted again before releasing and aborting."""
    residual_speed_limit_m_s: float = 0.005
    """|v_rel| allowed before retraction (DOMAIN 5)."""
    residual_rate_limit_rad_s: float = math.radians(0.05)
    """|omega_rel| allowed before retraction (DOMAIN 5)."""
    buffer_rate_limit_rad_s: float = math.radians(0.5)
    """|omega_rel| below which buffering counts as converged (correction damps the rest)."""
    centred_hold_s: float = 3.0
    """Centred and still for this long before retraction (longer than a swing's turning point)."""
    ring_settled_speed_m_s: float = 0.005
    """Ring axial speed counted as settled."""
    motion_filter_s: float = 0.5
    """Time constant of the low-pass on |v_rel| and |omega_rel| before the limit checks (noise)."""
    residual_hold_s: float = 1.0
    """Motion must stay below the limits this long before buffering counts as converged."""
    centring_tolerance_m: float = 0.005
    """Ring lateral offset accepted as centred (DOMAIN 5: +-5 mm)."""
    centring_tolerance_rad: float = math.radians(0.5)
    """Ring tilt accepted as centred (DOMAIN 5: +-0.5 deg)."""
    correction_timeout_s: float = 120.0
    """Ring centring must succeed within this."""
    correction_damper_n_s_m: float = 11_000.0
    correction_brake_n: float = 1_500.0

    # --- RETRACTION -----------------------------------------------------------
    retract_speed_fast_m_s: float = 0.0022
    """Retraction speed over most of the stroke (DOMAIN 4: 2-5 mm/s): 0.4 m in about
    3 min, the top of DOMAIN 1's 1-3 min, so that contact -> hard lock takes the flights'
    7 min (DOMAIN 2a [S34]) rather than 4."""
    retract_speed_slow_m_s: float = 0.0015
    """Retraction speed near the end of stroke, where the guide pins enter their sockets."""
    retract_slow_zone_m: float = 0.03
    """Ring extension below which the retraction runs slow."""
    retraction_timeout_s: float = 400.0
    retraction_motion_margin_m_s: float = 0.005
    """Relative speed allowed during retraction on top of the limit and the ring speed."""
    retraction_brake_n: float = 2_500.0
    """Brake (drive slip clutch) force during retraction: the drive pulls through it."""
    retraction_damper_n_s_m: float = 11_000.0
    ring_jam_current_a: float = 6.0
    """Drive current above which a motionless ring counts as jammed."""
    ring_jam_speed_m_s: float = 0.0003
    """Ring speed below which the drive counts as not moving."""
    ring_jam_time_s: float = 3.0
    """High current without motion for this long is a jam."""
    ring_reequalise_s: float = 6.0
    """Drive the ring forward to its symmetric stops this long to re-equalise a jam."""
    ring_jam_retries: int = 1

    # --- LOCKING ---------------------------------------------------------------
    hook_voltage_close_v: float = 22.0
    """Closing voltage of a set: about 3 min from open to preload (DOMAIN 1: locking
    2-4 min; with the retraction this paces contact -> hard lock near the flights' 7 min,
    DOMAIN 2a [S34])."""
    hook_voltage_slow_v: float = 18.0
    """Voltage of a set whose spread is growing (lets the lagging hooks catch up).

    Must still reach preload: at 18 V the stalled motor pulls about 170 kN of
    hook force through the cam (6 x 22 kN preload plus friction need ~135 kN);
    at 10 V (95 kN) a slowed set could never finish.
    """
    hook_voltage_open_v: float = 27.0
    """Magnitude of the opening voltage (applied negative)."""
    hook_closed_pos: float = 0.95
    """Hook position (fraction of stroke) counted as closed."""
    hook_open_pos: float = 0.03
    """Hook position at or below which a hook counts as open (latch release allowed)."""
    hook_open_overdrive: float = 0.01
    """Opening hooks are driven this far below ``hook_open_pos`` before the motors stop.

    Stopping exactly at the threshold leaves the last hook on it, and its
    position noise (about 0.001) flickers it across: latch release and the
    push-rods (interlocked on open hooks) are then masked on and off.
    """
    hook_preload_nominal_n: float = 22_000.0
    """Nominal preload per hook (DOMAIN 4: 20-25 kN)."""
    hook_preload_tolerance: float = 0.10
    """Each hook must end within +-this fraction of nominal (DOMAIN 5)."""
    hook_preload_stop_fraction: float = 0.96
    """Stop driving a set when its smallest hook load reaches this fraction of nominal."""
    hook_sync_spread_limit: float = 0.05
    """Largest allowed per-set hook position spread, fraction of stroke (DOMAIN 5)."""
    hook_sync_slow_spread: float = 0.04
    """Spread at which a set is slowed down (above the 1-4 % rigging spread of a healthy set)."""
    hook_sync_stop_spread: float = 0.045
    """Spread at which a set is stopped and reversed (treated as a hook jam)."""
    hook_stall_window_s: float = 3.0
    """Window over which a driven set must make progress."""
    hook_min_progress: float = 0.003
    """Least mean hook travel per stall window (fraction of stroke) of a healthy set."""
    hook_reverse_s: float = 3.0
    """Reverse a jammed set this long before retrying."""
    hook_jam_retries: int = 2
    lock_timeout_s: float = 240.0
    """T_lock: hard lock within this (DOMAIN 5: 4 min)."""

    # --- SEAL CHECK ------------------------------------------------------------
    seal_test_pressure_pa: float = 50_000.0
    """Cavity pressure to reach before the decay test starts."""
    seal_pressurise_timeout_s: float = 60.0
    seal_settle_s: float = 2.0
    """Wait after closing the valve before sampling p0 (thermal and valve transients)."""
    seal_decay_duration_s: float = 20.0
    """Length of the pressure-decay test (a real test runs 0.5-3 h; presets override)."""
    seal_average_s: float = 1.0
    """Cavity pressures are averaged over this at the start and end of the decay (noise)."""
    seal_decay_limit_pa_s: float = 5.0
    """Largest tolerated cavity pressure decay rate."""
    seal_retighten_s: float = 5.0
    """Drive the hooks this long towards the upper preload band to re-tighten a leaking seal."""
    seal_retighten_retries: int = 1
    hard_lock_lost_s: float = 0.5
    """No full hook set closed this long while locked or mated counts as lock lost (SAFE)."""

    # --- UNDOCKING ---------------------------------------------------------------
    tunnel_pressure_limit_pa: float = 500.0
    """Tunnel pressure above which the hooks must not open (interlock; DOMAIN U1).

    500 Pa on the 0.8 m tunnel is about 0.25 kN, well under the push-rod
    force; at cabin pressure the load is about 51 kN and would throw the
    chaser off the still-latched ring.
    """
    tunnel_vented_pa: float = 200.0
    """Vent until the tunnel reads below this, then close the vent.

    Below the limit by a margin (sensor noise about 20 Pa, and a slow rise
    still has room to show itself during the confirmation).
    """
    tunnel_vent_hold_s: float = 10.0
    """Vent closed, the tunnel must stay below the limit this long (U1: no pressure rise)."""
    tunnel_vent_timeout_s: float = 180.0
    """Venting and confirmation must finish within this, else the undocking is abandoned.

    The plant vents with a 15 s time constant, so 101 kPa to 200 Pa takes
    about 95 s; a real tunnel takes 10-30 min (DOMAIN U1) and its preset
    overrides this.
    """
    unlock_timeout_s: float = 240.0
    """T_unlock: all hooks open within this of the start of hook opening (DOMAIN 5: 4 min).

    Counted from the end of venting (UNLOCKING.HOOKS), not from 'undock':
    venting is DOMAIN U1, a separate step with its own time-out.
    """
    contingency_grace_s: float = 30.0
    """After 'contingency_unlock' (pyros on a bench), hooks must read open within this."""
    separation_clear_gap_m: float = 0.6
    """Axial gap at which the chaser counts as clear (re-arm may extend the ring)."""
    separation_min_speed_m_s: float = 0.005
    """Opening speed that counts as separating."""
    separation_timeout_s: float = 60.0
    separation_push_after_s: float = 5.0
    """No opening speed this long after the push-rods fire: push with the ring drive."""
    separation_push_s: float = 10.0
    """Extend the ring this long to push a stuck joint apart."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                lo, hi = value
                if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
                    raise ConfigError(f"{f.name}={value!r}: need finite low < high")
            elif isinstance(value, bool):
                continue
            elif isinstance(value, int | float) and (not math.isfinite(value) or value < 0):
                raise ConfigError(f"{f.name}={value!r}: must be finite and >= 0")
        if not self.hook_open_pos < self.hook_closed_pos:
            raise ConfigError("hook_open_pos must be below hook_closed_pos")
        if not self.hook_open_overdrive < self.hook_open_pos:
            raise ConfigError("hook_open_overdrive must be below hook_open_pos")
        if (
            not self.hook_sync_slow_spread
            < self.hook_sync_stop_spread
            <= self.hook_sync_spread_limit
        ):
            raise ConfigError("need hook_sync_slow_spread < hook_sync_stop_spread <= limit")
        if self.nominal_period_s <= 0:
            raise ConfigError("nominal_period_s must be > 0")
        if not self.tunnel_vented_pa < self.tunnel_pressure_limit_pa:
            raise ConfigError("tunnel_vented_pa must be below tunnel_pressure_limit_pa")

    @classmethod
    def from_mapping(
        cls, values: Mapping[str, Any], base: ControllerConfig | None = None
    ) -> ControllerConfig:
        """Override fields of ``base`` (default: the defaults) from a preset table.

        Raises :class:`~controller.errors.ConfigError` naming an unknown key or
        a value of the wrong kind, so a typo in a preset never passes silently.
        """
        known = {f.name: f for f in fields(cls)}
        changes: dict[str, Any] = {}
        for key, value in values.items():
            if key not in known:
                raise ConfigError(f"unknown controller setting {key!r}")
            default = getattr(base or cls(), key)
            if isinstance(default, tuple):
                if not isinstance(value, list | tuple) or len(value) != 2:
                    raise ConfigError(f"controller setting {key!r} must be [low, high]")
                changes[key] = (float(value[0]), float(value[1]))
            elif isinstance(default, bool):
                if not isinstance(value, bool):
                    raise ConfigError(f"controller setting {key!r} must be true or false")
                changes[key] = value
            elif isinstance(default, int):
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ConfigError(f"controller setting {key!r} must be an integer")
                changes[key] = value
            else:
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise ConfigError(f"controller setting {key!r} must be a number")
                changes[key] = float(value)
        return replace(base or cls(), **changes)


DEFAULT_CONFIG = ControllerConfig()
