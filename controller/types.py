"""Value types that cross the HAL seam: what the mechanism senses and what it is told.

Both are frozen, slotted dataclasses with SI units in every field name, so a
number never travels without its unit. They are the same on every backend:
the in-process simulation fills them from the plant, the serial backend
decodes them from PUS housekeeping packets (``docs/icd.md``).

Frames (right-handed), shared by the plant, the controller and telemetry:

* The *passive frame* sits at the centre of the station's interface plane,
  x along the docking axis pointing out of the station towards the chaser.
* ``rel_*`` is the chaser's structural interface plane relative to the
  passive frame: ``rel_pos_m[0]`` is the axial gap (positive = apart, 0 =
  frames in contact), ``rel_pos_m[1:]`` the lateral offset (y, z). A closing
  chaser has ``rel_vel_m_s[0] < 0``. Angles are roll, pitch, yaw (x, y, z).
* The *ring* rides on the chaser's buffer. ``ring_extension_m`` is its axial
  position from fully retracted (0) along +x towards the station;
  ``ring_lateral_m`` and ``ring_tilt_rad`` are its offsets from the chaser's
  axis (y, z and pitch, yaw).

Indexing: petals 0..2 at 0, 120, 240 degrees about x (from +y towards +z);
latches 0..5 are two per petal (latch ``k`` belongs to petal ``k // 2``);
hooks 0..11 alternate between set A (even) and set B (odd), so each set is
spread round the whole ring as in the Chinese mechanism.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

Vec2 = tuple[float, float]
Vec3 = tuple[float, float, float]

N_PETALS = 3
N_LATCHES = 6
N_HOOKS = 12
N_HOOK_SETS = 2
N_PUSHRODS = 4


def hooks_of_set(hook_set: int) -> tuple[int, ...]:
    """The six hook indices driven by ``hook_set``'s motor and cable."""
    return tuple(range(hook_set, N_HOOKS, N_HOOK_SETS))


@dataclass(frozen=True, slots=True)
class SensorFrame:
    """One sample of every sensor of the mechanism, stamped by its source.

    ``t_s`` is the sample time on the source's clock (simulated time in
    lockstep, the microcontroller's clock on a bench); staleness and phase
    time-outs are counted from it, never from the host's wall clock.
    ``seq`` increments by one per sample; a gap means lost frames.
    """

    t_s: float
    seq: int
    bus_voltage_v: float
    # relative navigation (forwarded from the chaser's GNC / proximity sensors)
    rel_pos_m: Vec3
    rel_vel_m_s: Vec3
    rel_angle_rad: Vec3
    rel_rate_rad_s: Vec3
    # ring on its buffer (linkage sensors); channel B is the drive encoder
    ring_extension_m: float
    ring_extension_b_m: float
    ring_speed_m_s: float
    ring_lateral_m: Vec2
    ring_tilt_rad: Vec2
    axial_load_n: float
    lateral_load_n: float
    ring_ready_stop: bool
    ring_retracted: bool
    alignment: tuple[bool, bool, bool]
    latch_captured: tuple[bool, bool, bool, bool, bool, bool]
    interface_contact: tuple[bool, bool, bool]
    drive_current_a: float
    # hooks: position 0 = open, 1 = closed (fraction of stroke); load per hook
    hook_pos: tuple[float, ...]
    hook_load_n: tuple[float, ...]
    hook_motor_current_a: Vec2
    hook_motor_speed_rad_s: Vec2
    cable_tension_n: Vec2
    # seals: cavity between the two seal rings (two transducers) and the tunnel
    seal_cavity_pressure_pa: float
    seal_cavity_pressure_b_pa: float
    tunnel_pressure_pa: float
    pushrod_extended: tuple[bool, bool, bool, bool]

    def as_dict(self) -> dict[str, Any]:
        """Field name -> value, for records and telemetry (no deep copy needed: all immutable)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class ActuatorCommand:
    """Set-points for every actuator, sent once per control cycle.

    The default value is the mechanism's *safe state*: drives off, brake
    applied at full force, dampers on, latches and hooks left where they are,
    push-rods not fired, valves (seal, tunnel, tunnel vent) closed. The
    microcontroller falls back to exactly this when set-points stop arriving
    (``docs/icd.md``, watchdog).
    """

    seq: int = 0
    damper_n_s_m: float = 11_000.0
    """Electromagnetic damper coefficient at the ring, N*s/m (0 = off)."""
    brake_slip_n: float = 2_000.0
    """Friction brake slip force, N (0 = released). The brake is also the drive's slip clutch."""
    ring_speed_m_s: float = 0.0
    """Ring drive axial speed set-point, m/s (+ extends towards the station, - retracts)."""
    ring_centring: bool = False
    """Drive the ring's lateral offset and tilt back to the chaser's axis (correction)."""
    latch_arm: bool = False
    """Hold the capture latches armed (spring pawls out) so that contact can capture."""
    latch_release: bool = False
    """Drive the capture latches open, releasing soft capture."""
    hook_motor_v: Vec2 = (0.0, 0.0)
    """Hook-set motor voltages, V (set A, set B); + closes the hooks, - opens them."""
    seal_valve_open: bool = False
    """Open the valve that pressurises the cavity between the seals for the decay test."""
    tunnel_valve_open: bool = False
    """Equalise the tunnel with the cabin (only once mated and sealed)."""
    pushrods_fire: bool = False
    """Release the four spring push-rods (separation)."""
    tunnel_vent_open: bool = False
    """Vent the tunnel to vacuum through its orifice before unlocking (DOMAIN U1).

    A pressurised tunnel pushes the craft apart with about 51 kN at cabin
    pressure; opening the hooks against it throws the chaser off while the
    latches still hold the ring. Closed in the safe state, and never open
    together with the tunnel valve (that would vent the cabin).
    """
    contact_reported: bool = False
    """Tell the chaser's GNC that the mechanism has contact (a discrete): after its delay the
    chaser pushes axially until this drops at capture (DOMAIN 2a, Apollo-Soyuz [S14 p.234]).
    False in the safe state: a mechanism that has lost its controller never asks for thrust."""

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


SAFE_COMMAND = ActuatorCommand()
"""The safe actuator state (drives off, brake on, nothing released or fired)."""


@dataclass(frozen=True, slots=True)
class Truth:
    """What only a simulation knows: true loads, energies and contact state.

    Backends without a model (a bench) return ``None`` instead; telemetry
    then records NaN in these columns.
    """

    t_s: float
    energy_kinetic_j: float
    energy_stored_j: float
    energy_dissipated_damper_j: float
    energy_dissipated_brake_j: float
    energy_dissipated_contact_j: float
    axial_load_n: float
    lateral_load_n: float
    in_contact: bool
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def energy_dissipated_j(self) -> float:
        return (
            self.energy_dissipated_damper_j
            + self.energy_dissipated_brake_j
            + self.energy_dissipated_contact_j
        )


@dataclass(frozen=True, slots=True)
class InitialConditions:
    """Where a simulated run starts: the chaser relative to the passive interface.

    Only simulated backends use it (in-process plant, virtual microcontroller).
    ``distance_m`` is the axial gap between the extended ring's capture face
    and the passive ring at t = 0; ``closing_speed_m_s`` is positive when
    closing. Lateral values are (y, z); angles and rates are (roll, pitch, yaw).
    """

    distance_m: float = 0.3
    closing_speed_m_s: float = 0.10
    lateral_offset_m: Vec2 = (0.0, 0.0)
    lateral_speed_m_s: Vec2 = (0.0, 0.0)
    angle_deg: Vec3 = (0.0, 0.0, 0.0)
    rate_deg_s: Vec3 = (0.0, 0.0, 0.0)


@dataclass(frozen=True, slots=True)
class PlantFault:
    """A physical fault switched on inside a simulated mechanism.

    ``kind`` is one of :data:`PLANT_FAULT_KINDS`; ``index`` picks the latch,
    hook or hook set where that matters; ``value`` is the severity where
    that matters (e.g. damper effectiveness 0..1, leak rate in kg/s).
    """

    kind: str
    index: int = 0
    value: float = 0.0


PLANT_FAULT_KINDS = frozenset(
    {
        "latch_fail",  # latch `index` never engages
        "hook_jam",  # hook `index` jams at its current position
        "hook_motor_fail",  # hook set `index` motor produces no torque
        "cable_break",  # hook set `index` cable breaks (hooks go slack)
        "damper_weak",  # dampers at `value` (0..1) of commanded coefficient
        "brake_fail",  # brake at `value` (0..1) of commanded slip force
        "drive_jam",  # ring drive seized: no motion, current rises
        "seal_leak",  # extra leak of `value` kg/s out of the cavity between the seals
        "unlock_fail",  # hook set `index` cannot open (hooks stuck closed)
        "power_loss",  # bus voltage drops to `value` V; motors stop
        "thrust_none",  # the chaser's jets do not fire after contact is reported
        "thrust_late",  # the chaser fires `value` s later than its nominal delay
        "thrust_stuck",  # the chaser's thrust does not stop (ignores capture and its burn limit)
    }
)
