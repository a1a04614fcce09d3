"""Named parameter sets of the simulated mechanism (TOML files in ``sim_bridge/presets``).

A preset is every number of the plant with its source: each line of the TOML
file cites DOMAIN.md or is marked ``[E]`` (estimate). :func:`load_preset`
reads one by name (``"cn-10t-100t"``) or by path, checks that every key is
present, finite and inside its physical range, and returns a frozen
:class:`Preset`. :meth:`Preset.to_params` flattens it into the float64
parameter vector that the numba kernels read (layout in
:mod:`sim_bridge._layout`), adding the quantities that depend on the step
size (filter factors) and the per-element geometry.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np

from controller.errors import ConfigError
from controller.types import N_HOOKS
from sim_bridge import _layout as L  # noqa: N812

PRESET_DIR = Path(__file__).with_name("presets")

Value = float | tuple[float, ...]

# key -> (length (0 = scalar), low, high). Every key is required.
_POS = (1e-12, math.inf)
_NONNEG = (0.0, math.inf)
_SPEC: dict[str, tuple[int, float, float]] = {
    "vehicles.station_mass_kg": (0, *_POS),
    "vehicles.station_inertia_kg_m2": (3, *_POS),
    "vehicles.station_cg_to_interface_m": (0, *_POS),
    "vehicles.chaser_mass_kg": (0, *_POS),
    "vehicles.chaser_inertia_kg_m2": (3, *_POS),
    "vehicles.chaser_cg_to_interface_m": (0, *_POS),
    "ring.mass_kg": (0, *_POS),
    "ring.inertia_kg_m2": (3, *_POS),
    "ring.ready_extension_m": (0, 0.05, 1.0),
    "ring.retract_overtravel_m": (0, 0.0, 0.02),
    "ring.petal_radius_m": (0, 0.05, 1.0),  # the kernel's far-field bounds assume <= 1 m
    "ring.petal_tip_depth_m": (0, *_NONNEG),
    "ring.guide_height_m": (0, *_POS),
    "ring.petal_flank_angle_deg": (0, 5.0, 80.0),
    "ring.petal_clearance_m": (0, *_NONNEG),
    "ring.petal_outer_m": (0, *_POS),
    "ring.face_radius_m": (0, 0.05, 1.0),  # the kernel's far-field bounds assume <= 1 m
    "ring.face_inner_radius_m": (0, *_NONNEG),
    "ring.face_outer_radius_m": (0, *_POS),
    "ring.latch_radius_m": (0, 0.05, 1.0),  # the kernel's far-field bounds assume <= 1 m
    "ring.latch_spread_deg": (0, 0.0, 59.0),
    "interface.structural_radius_m": (0, 0.05, 1.0),  # the kernel's far-field bounds assume <= 1 m
    "interface.seal_radius_m": (0, 0.05, 1.0),  # the kernel's far-field bounds assume <= 1 m
    "interface.hook_radius_m": (0, 0.05, 1.0),  # the kernel's far-field bounds assume <= 1 m
    "interface.pushrod_radius_m": (0, 0.05, 1.0),  # the kernel's far-field bounds assume <= 1 m
    "interface.guide_pin_radius_m": (0, 0.05, 1.0),  # the kernel's far-field bounds assume <= 1 m
    "interface.guide_pin_length_m": (0, *_POS),
    "interface.guide_pin_clearance_m": (0, *_NONNEG),
    "interface.guide_pin_cone_deg": (0, 5.0, 80.0),
    "interface.guide_pin_stiffness_n_m": (0, *_POS),
    "interface.guide_pin_damping_n_s_m": (0, *_NONNEG),
    "interface.contact_gap_m": (0, *_NONNEG),
    "contact.petal_stiffness_n_m1_5": (0, *_POS),
    "contact.structural_stiffness_n_m1_5": (0, *_POS),
    "contact.hunt_crossley_damping_s_m": (0, *_NONNEG),
    "contact.friction_coefficient": (0, 0.0, 1.0),
    "contact.friction_regularisation_m_s": (0, *_POS),
    "buffer.axial_stiffness_n_m": (0, *_NONNEG),
    "buffer.axial_preload_n": (0, *_NONNEG),
    "buffer.stop_stiffness_n_m": (0, *_POS),
    "buffer.lateral_stiffness_n_m": (0, *_NONNEG),
    "buffer.tilt_stiffness_n_m_rad": (0, *_NONNEG),
    "buffer.roll_stiffness_n_m_rad": (0, *_NONNEG),
    "buffer.roll_damping_n_m_s_rad": (0, *_NONNEG),
    "buffer.lateral_preload_n": (0, *_NONNEG),
    "buffer.tilt_preload_n_m": (0, *_NONNEG),
    "buffer.lateral_stop_m": (0, 0.01, 1.0),
    "buffer.tilt_stop_deg": (0, 0.5, 45.0),
    "buffer.lateral_stop_stiffness_n_m": (0, *_POS),
    "buffer.preload_smoothing_m": (0, 1e-5, 0.05),
    "damper.max_coefficient_n_s_m": (0, *_NONNEG),
    "damper.lag_s": (0, *_POS),
    "damper.lateral_ratio": (0, *_NONNEG),
    "damper.tilt_ratio_m2": (0, *_NONNEG),
    "brake.max_slip_n": (0, *_NONNEG),
    "brake.forward_ratio": (0, 0.0, 2.0),
    "brake.reverse_ratio": (0, 0.0, 2.0),
    "brake.stick_speed_m_s": (0, *_POS),
    "brake.tilt_ratio_m": (0, *_NONNEG),
    "brake.lateral_ratio": (0, *_NONNEG),
    "latch.stiffness_n_m": (0, *_POS),
    "latch.play_m": (0, *_NONNEG),
    "latch.damping_n_s_m": (0, *_NONNEG),
    "latch.lateral_tolerance_m": (0, *_POS),
    "latch.alignment_gap_m": (0, *_POS),
    "latch.alignment_tolerance_m": (0, *_NONNEG),
    "latch.engagement_force_n": (0, *_NONNEG),
    "latch.ramp_height_m": (0, 0.0, 0.05),
    "chaser.thrust_n": (0, *_NONNEG),
    "chaser.thrust_delay_s": (0, *_NONNEG),
    "chaser.thrust_max_s": (0, *_NONNEG),
    "envelope.closing_speed_m_s": (2, 0.0, 1.0),
    "envelope.lateral_offset_max_m": (0, *_NONNEG),
    "envelope.lateral_rate_max_m_s": (0, *_NONNEG),
    "envelope.pitch_yaw_max_deg": (0, 0.0, 45.0),
    "envelope.roll_max_deg": (0, 0.0, 45.0),
    "envelope.angular_rate_max_deg_s": (0, 0.0, 10.0),
    "envelope.axial_force_max_n": (0, *_POS),
    "drive.max_speed_m_s": (0, *_POS),
    "drive.lag_s": (0, *_POS),
    "drive.current_per_force_a_n": (0, *_NONNEG),
    "drive.idle_current_a": (0, *_NONNEG),
    "drive.stall_current_a": (0, *_POS),
    "drive.min_bus_voltage_v": (0, *_NONNEG),
    "drive.centring_stiffness_n_m": (0, *_NONNEG),
    "drive.centring_damping_n_s_m": (0, *_NONNEG),
    "drive.centring_force_max_n": (0, *_NONNEG),
    "drive.centring_tilt_stiffness_n_m_rad": (0, *_NONNEG),
    "drive.centring_tilt_damping_n_m_s_rad": (0, *_NONNEG),
    "drive.centring_moment_max_n_m": (0, *_NONNEG),
    "hooks.motor_resistance_ohm": (0, *_POS),
    "hooks.motor_constant_n_m_a": (0, *_POS),
    "hooks.motor_viscous_n_m_s": (0, *_NONNEG),
    "hooks.gear_ratio": (0, *_POS),
    "hooks.drum_radius_m": (0, *_POS),
    "hooks.gear_efficiency": (0, 0.05, 1.0),
    "hooks.cable_stiffness_n_m": (0, *_POS),
    "hooks.cable_travel_m": (0, *_POS),
    "hooks.mechanical_advantage": (0, *_POS),
    "hooks.engage_fraction": (0, 0.05, 0.99),
    "hooks.clamp_travel_m": (0, *_POS),
    "hooks.preload_n": (0, *_POS),
    "hooks.reach_m": (0, *_POS),
    "hooks.friction_n": (0, *_NONNEG),
    "hooks.overtravel_stiffness_n": (0, *_POS),
    "hooks.load_sensor_max_n": (0, *_POS),
    "hooks.gain": (N_HOOKS, 0.5, 1.5),
    "hooks.offset": (N_HOOKS, -0.2, 0.2),
    "hooks.friction_scale": (N_HOOKS, 0.0, 10.0),
    "hooks.preload_scale": (N_HOOKS, 0.5, 1.5),
    "seals.protrusion_m": (0, *_NONNEG),
    "seals.force_at_reference_n": (0, *_POS),
    "seals.reference_compression_m": (0, *_POS),
    "seals.exponent": (0, 0.1, 5.0),
    "seals.damping_n_s_m": (0, *_NONNEG),
    "seals.sealed_min_compression_m": (0, *_NONNEG),
    "seals.leak_nominal_kg_s": (0, *_NONNEG),
    "seals.leak_open_time_s": (0, *_POS),
    "seals.cavity_volume_m3": (0, *_POS),
    "seals.valve_fill_time_s": (0, *_POS),
    "pressure.cabin_pa": (0, *_NONNEG),
    "pressure.tunnel_diameter_m": (0, *_POS),
    "pressure.tunnel_volume_m3": (0, *_POS),
    "pressure.tunnel_fill_time_s": (0, *_POS),
    "pressure.tunnel_vent_time_s": (0, *_POS),
    "pressure.gas_constant_temperature_j_kg": (0, *_POS),
    "pushrods.force_compressed_n": (0, *_NONNEG),
    "pushrods.force_extended_n": (0, *_NONNEG),
    "pushrods.stroke_m": (0, *_POS),
    "power.bus_voltage_v": (0, *_NONNEG),
    "sensors.rel_pos_noise_m": (0, *_NONNEG),
    "sensors.rel_vel_noise_m_s": (0, *_NONNEG),
    "sensors.rel_angle_noise_rad": (0, *_NONNEG),
    "sensors.rel_rate_noise_rad_s": (0, *_NONNEG),
    "sensors.ring_noise_m": (0, *_NONNEG),
    "sensors.ring_quantum_m": (0, *_NONNEG),
    "sensors.ring_angle_noise_rad": (0, *_NONNEG),
    "sensors.load_noise_n": (0, *_NONNEG),
    "sensors.load_quantum_n": (0, *_NONNEG),
    "sensors.current_noise_a": (0, *_NONNEG),
    "sensors.current_quantum_a": (0, *_NONNEG),
    "sensors.hook_pos_noise": (0, *_NONNEG),
    "sensors.hook_pos_quantum": (0, *_NONNEG),
    "sensors.hook_load_noise_n": (0, *_NONNEG),
    "sensors.hook_load_quantum_n": (0, *_NONNEG),
    "sensors.motor_speed_noise_rad_s": (0, *_NONNEG),
    "sensors.tension_noise_n": (0, *_NONNEG),
    "sensors.pressure_noise_pa": (0, *_NONNEG),
    "sensors.pressure_quantum_pa": (0, *_NONNEG),
    "sensors.voltage_noise_v": (0, *_NONNEG),
    "sensors.voltage_quantum_v": (0, *_NONNEG),
    "sensors.ready_tolerance_m": (0, *_NONNEG),
    "sensors.retracted_tolerance_m": (0, *_NONNEG),
}


def available_presets() -> tuple[str, ...]:
    """Names of the presets shipped in ``sim_bridge/presets``."""
    return tuple(sorted(p.stem for p in PRESET_DIR.glob("*.toml")))


@dataclass(frozen=True, slots=True)
class Preset:
    """A validated, immutable parameter set. Keys are ``"section.name_unit"``."""

    name: str
    description: str
    values: Mapping[str, Value] = field(repr=False)
    source: str = ""

    def get(self, key: str) -> float:
        """Scalar parameter ``key`` (SI units, as named)."""
        v = self.values[key]
        if isinstance(v, tuple):
            raise ConfigError(f"preset {self.name!r}: {key} is a list, not a number")
        return v

    def vector(self, key: str) -> tuple[float, ...]:
        """List parameter ``key``."""
        v = self.values[key]
        if not isinstance(v, tuple):
            raise ConfigError(f"preset {self.name!r}: {key} is a number, not a list")
        return v

    def with_overrides(self, overrides: Mapping[str, Value]) -> Preset:
        """A copy with some values replaced (validated again); for tests and studies."""
        unknown = sorted(set(overrides) - set(self.values))
        if unknown:
            raise ConfigError(f"preset {self.name!r} has no parameters {unknown}")
        merged = dict(self.values)
        merged.update(overrides)
        return _validated(self.name, self.description, merged, self.source)

    def to_params(self, dt_s: float) -> np.ndarray:
        """The kernel's parameter vector for a step of ``dt_s`` seconds."""
        if not (math.isfinite(dt_s) and 1e-5 <= dt_s <= 0.01):
            raise ConfigError(f"step dt_s={dt_s!r} must be between 1e-5 and 0.01 s")
        return _params(self, dt_s)


def _validated(name: str, description: str, values: Mapping[str, Value], source: str) -> Preset:
    missing = sorted(set(_SPEC) - set(values))
    if missing:
        raise ConfigError(f"preset {name!r} ({source}) is missing {', '.join(missing)}")
    extra = sorted(set(values) - set(_SPEC))
    if extra:
        raise ConfigError(f"preset {name!r} ({source}) has unknown keys {', '.join(extra)}")
    clean: dict[str, Value] = {}
    for key, (n, lo, hi) in _SPEC.items():
        v = values[key]
        items = v if isinstance(v, (list, tuple)) else (v,)
        if n == 0 and isinstance(v, (list, tuple)):
            raise ConfigError(f"preset {name!r}: {key} must be a number")
        if n > 0 and (not isinstance(v, (list, tuple)) or len(v) != n):
            raise ConfigError(f"preset {name!r}: {key} must be a list of {n} numbers")
        nums: list[float] = []
        for item in items:
            if isinstance(item, bool) or not isinstance(item, (int, float)):
                raise ConfigError(f"preset {name!r}: {key} = {item!r} is not a number")
            fv = float(item)
            if not (math.isfinite(fv) and lo <= fv <= hi):
                raise ConfigError(f"preset {name!r}: {key} = {fv!r} is outside [{lo}, {hi}]")
            nums.append(fv)
        clean[key] = tuple(nums) if n > 0 else nums[0]
    return Preset(name, description, MappingProxyType(clean), source)


def load_preset(name_or_path: str | Path) -> Preset:
    """Load a preset by name (``"cn-10t-100t"``) or by path to a TOML file.

    Raises :class:`~controller.errors.ConfigError` for an unknown name (listing
    the available ones), unreadable TOML, or a missing or out-of-range value.
    """
    text = str(name_or_path)
    path = Path(text)
    if not (text.endswith(".toml") or path.is_file()):
        path = PRESET_DIR / f"{text}.toml"
        if not path.is_file():
            raise ConfigError(
                f"unknown preset {text!r}; available presets: {', '.join(available_presets())}"
            )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read preset {str(path)!r}: {exc}") from exc
    values: dict[str, Value] = {}
    for section, table in data.items():
        if isinstance(table, dict):
            for key, v in table.items():
                values[f"{section}.{key}"] = v
    pname = str(data.get("name", path.stem))
    return _validated(pname, str(data.get("description", "")), values, str(path))


def _angles(deg: list[float]) -> tuple[np.ndarray, np.ndarray]:
    a = np.radians(np.asarray(deg, dtype=np.float64))
    return np.cos(a), np.sin(a)


def _params(ps: Preset, dt: float) -> np.ndarray:
    g = ps.get
    p = np.zeros(L.NP)
    p[L.P_DT] = dt
    p[L.P_MS] = g("vehicles.station_mass_kg")
    p[L.P_IS : L.P_IS + 3] = ps.vector("vehicles.station_inertia_kg_m2")
    p[L.P_DS] = g("vehicles.station_cg_to_interface_m")
    p[L.P_MC] = g("vehicles.chaser_mass_kg")
    p[L.P_IC : L.P_IC + 3] = ps.vector("vehicles.chaser_inertia_kg_m2")
    p[L.P_DC] = g("vehicles.chaser_cg_to_interface_m")
    p[L.P_MR] = g("ring.mass_kg")
    p[L.P_IR : L.P_IR + 3] = ps.vector("ring.inertia_kg_m2")
    p[L.P_E_READY] = g("ring.ready_extension_m")
    p[L.P_D_MIN] = -g("ring.retract_overtravel_m")
    p[L.P_RA] = g("ring.petal_radius_m")
    p[L.P_HA] = g("ring.petal_tip_depth_m")
    p[L.P_H] = g("ring.guide_height_m")
    beta = math.radians(g("ring.petal_flank_angle_deg"))
    p[L.P_TANB] = math.tan(beta)
    p[L.P_SINB] = math.sin(beta)
    p[L.P_COSB] = math.cos(beta)
    p[L.P_CG] = g("ring.petal_clearance_m")
    p[L.P_EOUT] = g("ring.petal_outer_m")
    p[L.P_RF] = g("ring.face_radius_m")
    p[L.P_F_RIN] = g("ring.face_inner_radius_m")
    p[L.P_F_ROUT] = g("ring.face_outer_radius_m")
    p[L.P_RL] = g("ring.latch_radius_m")
    p[L.P_RI] = g("interface.structural_radius_m")
    p[L.P_RSEAL] = g("interface.seal_radius_m")
    p[L.P_RH] = g("interface.hook_radius_m")
    p[L.P_RPR] = g("interface.pushrod_radius_m")
    p[L.P_RPIN] = g("interface.guide_pin_radius_m")
    p[L.P_LPIN] = g("interface.guide_pin_length_m")
    p[L.P_CPIN] = g("interface.guide_pin_clearance_m")
    bp = math.radians(g("interface.guide_pin_cone_deg"))
    p[L.P_TANBP] = math.tan(bp)
    p[L.P_SINBP] = math.sin(bp)
    p[L.P_COSBP] = math.cos(bp)
    p[L.P_KPIN] = g("interface.guide_pin_stiffness_n_m")
    p[L.P_CPIN_D] = g("interface.guide_pin_damping_n_s_m")
    p[L.P_ICONTACT_GAP] = g("interface.contact_gap_m")
    p[L.P_KC] = g("contact.petal_stiffness_n_m1_5")
    p[L.P_KSTRUCT] = g("contact.structural_stiffness_n_m1_5")
    p[L.P_CHC] = g("contact.hunt_crossley_damping_s_m")
    p[L.P_MU] = g("contact.friction_coefficient")
    p[L.P_VREG] = g("contact.friction_regularisation_m_s")
    p[L.P_KAX] = g("buffer.axial_stiffness_n_m")
    p[L.P_F0] = g("buffer.axial_preload_n")
    p[L.P_KSTOP] = g("buffer.stop_stiffness_n_m")
    p[L.P_KLAT] = g("buffer.lateral_stiffness_n_m")
    p[L.P_KTILT] = g("buffer.tilt_stiffness_n_m_rad")
    p[L.P_KROLL] = g("buffer.roll_stiffness_n_m_rad")
    p[L.P_CROLL] = g("buffer.roll_damping_n_m_s_rad")
    p[L.P_FLAT0] = g("buffer.lateral_preload_n")
    p[L.P_MTILT0] = g("buffer.tilt_preload_n_m")
    p[L.P_LAT_STOP] = g("buffer.lateral_stop_m")
    p[L.P_TILT_STOP] = math.radians(g("buffer.tilt_stop_deg"))
    p[L.P_KLSTOP] = g("buffer.lateral_stop_stiffness_n_m")
    p[L.P_PRELOAD_EPS] = g("buffer.preload_smoothing_m")
    p[L.P_LATCH_F] = g("latch.engagement_force_n")
    p[L.P_LATCH_RAMP] = g("latch.ramp_height_m")
    p[L.P_THR_F] = g("chaser.thrust_n")
    p[L.P_THR_DELAY] = g("chaser.thrust_delay_s")
    p[L.P_THR_MAX] = g("chaser.thrust_max_s")
    p[L.P_MTOT] = g("vehicles.station_mass_kg") + g("vehicles.chaser_mass_kg") + g("ring.mass_kg")
    p[L.P_CMAX] = g("damper.max_coefficient_n_s_m")
    p[L.P_DAMP_ALPHA] = 1.0 - math.exp(-dt / g("damper.lag_s"))
    p[L.P_CLAT_R] = g("damper.lateral_ratio")
    p[L.P_CTILT_R] = g("damper.tilt_ratio_m2")
    p[L.P_BMAX] = g("brake.max_slip_n")
    p[L.P_BFWD] = g("brake.forward_ratio")
    p[L.P_BREV] = g("brake.reverse_ratio")
    p[L.P_VTOL] = g("brake.stick_speed_m_s")
    p[L.P_BTILT_R] = g("brake.tilt_ratio_m")
    p[L.P_BLAT_R] = g("brake.lateral_ratio")
    p[L.P_KL] = g("latch.stiffness_n_m")
    p[L.P_PLAY] = g("latch.play_m")
    p[L.P_CL] = g("latch.damping_n_s_m")
    p[L.P_LTOL] = g("latch.lateral_tolerance_m")
    p[L.P_ALIGN_GAP] = g("latch.alignment_gap_m")
    p[L.P_ALIGN_TOL] = g("latch.alignment_tolerance_m")
    p[L.P_VMAX] = g("drive.max_speed_m_s")
    p[L.P_DRIVE_ALPHA] = 1.0 - math.exp(-dt / g("drive.lag_s"))
    p[L.P_I_PER_N] = g("drive.current_per_force_a_n")
    p[L.P_I_IDLE] = g("drive.idle_current_a")
    p[L.P_I_STALL] = g("drive.stall_current_a")
    p[L.P_V_MIN_BUS] = g("drive.min_bus_voltage_v")
    p[L.P_KCENT] = g("drive.centring_stiffness_n_m")
    p[L.P_CCENT] = g("drive.centring_damping_n_s_m")
    p[L.P_FCENT] = g("drive.centring_force_max_n")
    p[L.P_KCENT_T] = g("drive.centring_tilt_stiffness_n_m_rad")
    p[L.P_CCENT_T] = g("drive.centring_tilt_damping_n_m_s_rad")
    p[L.P_MCENT] = g("drive.centring_moment_max_n_m")
    p[L.P_RM] = g("hooks.motor_resistance_ohm")
    p[L.P_KT] = g("hooks.motor_constant_n_m_a")
    p[L.P_BM] = g("hooks.motor_viscous_n_m_s")
    p[L.P_GEAR] = g("hooks.gear_ratio")
    p[L.P_DRUM] = g("hooks.drum_radius_m")
    p[L.P_ETA] = g("hooks.gear_efficiency")
    p[L.P_SC] = g("hooks.cable_travel_m")
    p[L.P_MA] = g("hooks.mechanical_advantage")
    # hook-level stiffness of one cable segment per unit of hook stroke
    p[L.P_KSEG] = p[L.P_MA] * g("hooks.cable_stiffness_n_m") * p[L.P_SC]
    p[L.P_KSOFT] = g("hooks.overtravel_stiffness_n")
    p[L.P_QC] = g("hooks.engage_fraction")
    p[L.P_SH] = g("hooks.clamp_travel_m")
    p[L.P_REACH] = g("hooks.reach_m")
    p[L.P_HLOAD_MAX] = g("hooks.load_sensor_max_n")
    p[L.P_HK_GAIN : L.P_HK_GAIN + 12] = ps.vector("hooks.gain")
    p[L.P_HK_OFF : L.P_HK_OFF + 12] = ps.vector("hooks.offset")
    p[L.P_HK_FRIC : L.P_HK_FRIC + 12] = g("hooks.friction_n") * np.asarray(
        ps.vector("hooks.friction_scale")
    )
    kreg = g("hooks.preload_n") / ((1.0 - p[L.P_QC]) * p[L.P_SH])
    p[L.P_HK_KREG : L.P_HK_KREG + 12] = kreg * np.asarray(ps.vector("hooks.preload_scale"))
    p[L.P_HS] = g("seals.protrusion_m")
    n = g("seals.exponent")
    p[L.P_NSEAL] = n
    p[L.P_KSEAL] = g("seals.force_at_reference_n") / g("seals.reference_compression_m") ** n
    p[L.P_CSEAL] = g("seals.damping_n_s_m")
    p[L.P_DSEAL_MIN] = g("seals.sealed_min_compression_m")
    pcab = g("pressure.cabin_pa")
    rt = g("pressure.gas_constant_temperature_j_kg")
    vcav = g("seals.cavity_volume_m3")
    vtun = g("pressure.tunnel_volume_m3")
    p[L.P_PCAB] = pcab
    p[L.P_RT] = rt
    p[L.P_VCAV] = vcav
    p[L.P_VTUN] = vtun
    # linear conductances (kg/s per Pa) from leak rates and fill time constants
    p[L.P_C_NOM] = g("seals.leak_nominal_kg_s") / max(pcab, 1.0)
    p[L.P_C_OPEN] = vcav / (rt * g("seals.leak_open_time_s"))
    p[L.P_C_VALVE] = vcav / (rt * g("seals.valve_fill_time_s"))
    p[L.P_C_TVALVE] = vtun / (rt * g("pressure.tunnel_fill_time_s"))
    # the vent orifice discharges to vacuum: p_tunnel decays as exp(-t / vent time)
    p[L.P_C_TVENT] = vtun / (rt * g("pressure.tunnel_vent_time_s"))
    # an unsealed joint opens the tunnel to space all round: as fast as an unsealed cavity
    p[L.P_C_TOPEN] = vtun / (rt * g("seals.leak_open_time_s"))
    p[L.P_AT] = math.pi * (0.5 * g("pressure.tunnel_diameter_m")) ** 2
    p[L.P_PR_FF] = g("pushrods.force_compressed_n")
    p[L.P_PR_FE] = g("pushrods.force_extended_n")
    p[L.P_PR_STROKE] = g("pushrods.stroke_m")
    p[L.P_BUS] = g("power.bus_voltage_v")
    p[L.P_N_POS] = g("sensors.rel_pos_noise_m")
    p[L.P_N_VEL] = g("sensors.rel_vel_noise_m_s")
    p[L.P_N_ANG] = g("sensors.rel_angle_noise_rad")
    p[L.P_N_RATE] = g("sensors.rel_rate_noise_rad_s")
    p[L.P_N_EXT] = g("sensors.ring_noise_m")
    p[L.P_Q_EXT] = g("sensors.ring_quantum_m")
    p[L.P_N_RANG] = g("sensors.ring_angle_noise_rad")
    p[L.P_N_LOAD] = g("sensors.load_noise_n")
    p[L.P_Q_LOAD] = g("sensors.load_quantum_n")
    p[L.P_N_CUR] = g("sensors.current_noise_a")
    p[L.P_Q_CUR] = g("sensors.current_quantum_a")
    p[L.P_N_HPOS] = g("sensors.hook_pos_noise")
    p[L.P_Q_HPOS] = g("sensors.hook_pos_quantum")
    p[L.P_N_HLOAD] = g("sensors.hook_load_noise_n")
    p[L.P_Q_HLOAD] = g("sensors.hook_load_quantum_n")
    p[L.P_N_MSPD] = g("sensors.motor_speed_noise_rad_s")
    p[L.P_N_TENS] = g("sensors.tension_noise_n")
    p[L.P_N_PRES] = g("sensors.pressure_noise_pa")
    p[L.P_Q_PRES] = g("sensors.pressure_quantum_pa")
    p[L.P_N_VOLT] = g("sensors.voltage_noise_v")
    p[L.P_Q_VOLT] = g("sensors.voltage_quantum_v")
    p[L.P_READY_TOL] = g("sensors.ready_tolerance_m")
    p[L.P_RETRACT_TOL] = g("sensors.retracted_tolerance_m")
    # element angles about x (deg from +y towards +z); petals at 0/120/240 (types.py)
    petals = [0.0, 120.0, 240.0]
    spread = g("ring.latch_spread_deg")
    geometry = {
        L.P_PETAL_C: petals,
        L.P_FACE_C: [60.0 * k for k in range(6)],
        L.P_LATCH_C: [petals[k // 2] + (-spread if k % 2 == 0 else spread) for k in range(6)],
        L.P_STRUCT_C: [a + 60.0 for a in petals],
        L.P_PIN_C: [90.0, 270.0],
        L.P_PR_C: [45.0, 135.0, 225.0, 315.0],
        L.P_HOOK_C: [15.0 + 30.0 * k for k in range(12)],
    }
    sin_offset = {
        L.P_PETAL_C: L.P_PETAL_S,
        L.P_FACE_C: L.P_FACE_S,
        L.P_LATCH_C: L.P_LATCH_S,
        L.P_STRUCT_C: L.P_STRUCT_S,
        L.P_PIN_C: L.P_PIN_S,
        L.P_PR_C: L.P_PR_S,
        L.P_HOOK_C: L.P_HOOK_S,
    }
    for c_at, deg in geometry.items():
        c, s = _angles(deg)
        p[c_at : c_at + len(deg)] = c
        p[sin_offset[c_at] : sin_offset[c_at] + len(deg)] = s
    return p
