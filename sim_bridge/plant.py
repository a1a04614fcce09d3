"""The simulated docking mechanism: two spacecraft, a buffered capture ring, hooks, seals.

Theory of operation
===================

What is modelled
----------------
The plant is a reduced, deterministic model of an APAS-style peripheral
docking mechanism of the Chinese kind (DOMAIN.md sections 0 and 4), sized by
a preset (``sim_bridge/presets/cn-10t-100t.toml``). It contains:

* **Three free rigid bodies**: the station (100 t), the chaser (10 t) and the
  active capture ring (a light body carrying the petals and latches). Each has
  a position, velocity, attitude quaternion and body rate, 13 numbers. The
  bodies interact only through the mechanism, so momentum is conserved and the
  kinetic energy in the centre-of-mass frame (where every run starts) *is* the
  relative kinetic energy that the buffer must absorb.
* **Petal guides**: each of the three active petal tips runs in a conical
  passive guide (flank angle 40 deg). Penetration gives a Hunt-Crossley normal
  force ``k delta^1.5 (1 + c delta_dot)`` with regularised Coulomb friction.
  The cone's normal has an axial and an inward component, so axial closing
  force turns into lateral and angular correction of the light ring, which is
  the steering that DOMAIN 4.1 describes. A tip that lands outside the guide's
  rim sits on the guide's top face and cannot go further (no capture).
* **Buffer** between ring and chaser: a preloaded axial spring acting against
  the drive nut, lateral, tilt and roll springs, electromagnetic dampers with
  a first-order lag, and a friction brake (Karnopp stick/slip with different
  compression and return levels) that also is the drive's slip clutch.
* **Six capture latches** (two per petal) that engage only when armed, not
  commanded to release, their petal's alignment sensor is made, the ring face
  is within the latch play of the passive face and the lateral error is small.
  An engaged latch is a stiff spring with about 1 mm free play.
* **Ring drive**: a speed-controlled nut (2-5 mm/s) that moves the buffer's far
  end, so extending, holding and retracting the ring all go through the brake
  (clutch) and the spring; ``ring_centring`` adds a force-limited PD pull of
  the ring's lateral offset and tilt back to the chaser axis.
* **Structural interface**: stiff Hunt-Crossley contact of the two structural
  rings at three points, two conical guide pins, twelve hooks in two
  cable-driven sets of six, the dual seal (nonlinear elastic with loss), the
  cabin pressure on the tunnel (p x 0.5 m^2, about 51 kN) and four spring
  push-rods.
* **Hook sets**: a DC motor per set (V = R i + k_e w, self-locking gear) turns
  a drum that moves a closed cable; each hook follows the cable through its own
  segment with small rigging differences (gain, offset, friction), so the
  per-hook sensors see a spread. Past 80 % of stroke a hook meets its partner
  and loads a force-regulating spring that reaches the preload (22 kN) at the
  end stop, whatever the motor does.
* **Pressures**: the cavity between the seals and the tunnel, isothermal ideal
  gas with linear leak conductances (nominal when the seals are compressed,
  large when not), fed from the cabin through two valves.
* **Faults**: every kind in :data:`controller.types.PLANT_FAULT_KINDS`.

Frames
------
The world frame is inertial and coincides at t = 0 with the *passive frame*
(station interface, x out of the station towards the chaser). Relative
navigation outputs are the chaser's interface frame relative to the passive
frame, as ``controller/types.py`` defines them. Ring quantities are in the
chaser's frame. Angles are reported as the vector part of the relative
quaternion times two (roll, pitch, yaw for small angles).

Integration
-----------
Fixed step (default 1 ms), semi-implicit (symplectic) Euler: forces at the
start of the step, then velocities, then positions with the new velocities,
then quaternions with the new rates (renormalised). The discrete parts
(latches, brake stick flag, hooks, nut, pressures, damper lags) update after
the bodies. The stiffest modes (ring on latches and contacts) sit at
omega*dt < 0.7, inside the method's stability limit of 2.

Energy ledger
-------------
Kinetic energy is computed from the bodies. Stored energy is the sum of the
potentials of every elastic element (buffer springs including the preload
work, contact, latches, guide pins, seals, hook springs, released push-rods).
Every non-conservative force is recorded when it is computed, and after the
velocity update its work is booked with the mean of the power before and
after (exactly what the update did to the kinetic energy) into one bucket:
dampers, brake, contact (Hunt-Crossley damping and friction), other (latch,
seal, pin and roll damping) or actuator work (drive, centring, hooks,
push-rod release, pressure). Semi-implicit Euler is leapfrog with half-step
velocities, so the ledger's kinetic energy first brings them to the current
time with half a kick. ``KE + stored + dissipated - actuator work`` is then
constant up to the integrator's bounded, second-order energy error (0.1-0.2 %
at 1 ms); the tests hold it to 0.5 % without losses and 1 % with them.

Cost
----
Petal, face and latch elements are skipped while the ring is farther than
the guide height from the passive face, and the structural elements while the
chaser is a few centimetres away (exact bounds), so free flight costs ~1 us a
step. The centring output goes through the drive's lag: a PD damping term
acting directly on the light ring would be unstable at 1 ms.

Why numba
---------
One run of a docking is 10^5-10^6 steps of a small system; numpy on 3-vectors
costs ~20 us a call (PERFORMANCE.md 2e), far too slow. The physics is written
once, in :mod:`sim_bridge._kernel`, as ``@njit(cache=True)`` functions over
flat float64 arrays (state, parameters, command, faults). The batch kernel
loops over runs and steps; a single :class:`Plant` is a :class:`BatchPlant`
of one, so the two cannot disagree. Sensor noise is a counter-based hash of
(seed, step, channel): no generator state, and the seed never reaches the
dynamics.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from controller.errors import PlantError
from controller.protocol.fields import fast_builder
from controller.protocol.housekeeping import HK_LAYOUT
from controller.protocol.layouts import TRUTH_EXTRAS
from controller.types import (
    N_HOOK_SETS,
    N_HOOKS,
    N_LATCHES,
    PLANT_FAULT_KINDS,
    ActuatorCommand,
    InitialConditions,
    PlantFault,
    SensorFrame,
    Truth,
)
from sim_bridge import _kernel as K  # noqa: N812
from sim_bridge import _layout as L  # noqa: N812
from sim_bridge._initial import free_state, mated_state
from sim_bridge._kernel.wire import wire_quantise as wire_kernel
from sim_bridge.preset import Preset, load_preset

__all__ = ["BatchPlant", "Plant", "command_vector"]

_MASK64 = (1 << 64) - 1

PARALLEL_MIN_RUNS = 8
"""Batches at least this large are stepped on all cores (numba ``prange``)."""


def command_vector(cmd: ActuatorCommand, out: np.ndarray | None = None) -> np.ndarray:
    """Pack an :class:`ActuatorCommand` into the kernel's command array (length ``NU``)."""
    v0, v1 = cmd.hook_motor_v
    if not (
        math.isfinite(cmd.damper_n_s_m)
        and math.isfinite(cmd.brake_slip_n)
        and math.isfinite(cmd.ring_speed_m_s)
        and math.isfinite(v0)
        and math.isfinite(v1)
    ):
        raise PlantError(f"actuator command {cmd.seq} has a non-finite set-point: {cmd}")
    u = np.empty(L.NU) if out is None else out
    u[L.U_DAMPER] = cmd.damper_n_s_m
    u[L.U_BRAKE] = cmd.brake_slip_n
    u[L.U_RING_SPEED] = cmd.ring_speed_m_s
    u[L.U_CENTRING] = 1.0 if cmd.ring_centring else 0.0
    u[L.U_ARM] = 1.0 if cmd.latch_arm else 0.0
    u[L.U_RELEASE] = 1.0 if cmd.latch_release else 0.0
    u[L.U_HOOK_V] = v0
    u[L.U_HOOK_V + 1] = v1
    u[L.U_SEAL_VALVE] = 1.0 if cmd.seal_valve_open else 0.0
    u[L.U_TUNNEL_VALVE] = 1.0 if cmd.tunnel_valve_open else 0.0
    u[L.U_PUSHRODS] = 1.0 if cmd.pushrods_fire else 0.0
    u[L.U_TUNNEL_VENT] = 1.0 if cmd.tunnel_vent_open else 0.0
    u[L.U_CONTACT] = 1.0 if cmd.contact_reported else 0.0
    return u


def _healthy_faults() -> np.ndarray:
    f = np.zeros(L.NF)
    f[L.F_HOOK_JAM : L.F_HOOK_JAM + N_HOOKS] = np.nan
    f[L.F_DAMPER_SCALE] = 1.0
    f[L.F_BRAKE_SCALE] = 1.0
    f[L.F_BUS_V] = np.nan
    f[L.F_THRUST_SCALE] = 1.0
    return f


_SENSOR_START: dict[str, int] = {
    "bus_voltage_v": L.S_BUS_V,
    "rel_pos_m": L.S_REL_POS,
    "rel_vel_m_s": L.S_REL_VEL,
    "rel_angle_rad": L.S_REL_ANG,
    "rel_rate_rad_s": L.S_REL_RATE,
    "ring_extension_m": L.S_RING_EXT,
    "ring_extension_b_m": L.S_RING_EXT_B,
    "ring_speed_m_s": L.S_RING_SPEED,
    "ring_lateral_m": L.S_RING_LAT,
    "ring_tilt_rad": L.S_RING_TILT,
    "axial_load_n": L.S_AX,
    "lateral_load_n": L.S_LAT,
    "drive_current_a": L.S_DRIVE_I,
    "hook_pos": L.S_HOOK_POS,
    "hook_load_n": L.S_HOOK_LOAD,
    "hook_motor_current_a": L.S_MOT_I,
    "hook_motor_speed_rad_s": L.S_MOT_W,
    "cable_tension_n": L.S_TENSION,
    "seal_cavity_pressure_pa": L.S_P_CAV,
    "seal_cavity_pressure_b_pa": L.S_P_CAV_B,
    "tunnel_pressure_pa": L.S_P_TUN,
}
"""Where each analog SensorFrame field starts in the sensor vector (layout ``S_*``)."""

_WIRE_INDEX = np.array(
    [_SENSOR_START[name] + i for name, n, _, _ in HK_LAYOUT for i in range(n)], dtype=np.intp
)
_WIRE_SCALE = np.array([k for _, n, k, _ in HK_LAYOUT for _ in range(n)])


def wire_quantise(sensors: np.ndarray) -> None:
    """Put the analog channels of a sensor vector (NS,) through the wire's fixed point, in place.

    Exactly what a housekeeping report does to them (``docs/icd.md`` 4.3): counts =
    round(value / LSB) half to even, saturated at +-32767, NaN kept (the "not
    available" sentinel), then value = counts x LSB. Done on every frame of the
    in-process backend, so ``sim://`` and a run over the link see the same numbers.
    """
    wire_kernel(sensors, _WIRE_INDEX, _WIRE_SCALE)


def wire_time(steps: int, dt_s: float) -> float:
    """Simulated time of ``steps`` steps as the wire stamps it: whole ms (CDS, ICD 2.1), s."""
    return round(steps * dt_s * 1000.0) / 1000.0


class BatchPlant:
    """N independent runs of the mechanism stepped together by one compiled kernel.

    Commands are arrays with a leading batch axis, shape ``(N, NU)`` in the
    layout of :mod:`sim_bridge._layout` (see :func:`command_vector`); a single
    :class:`ActuatorCommand` or a sequence of N of them is accepted too. All
    runs share the preset and the step; they differ in initial state, seed and
    faults.
    """

    def __init__(
        self,
        preset: Preset | str,
        initials: Sequence[InitialConditions],
        seeds: Sequence[int],
        dt_s: float = 0.001,
        *,
        _states: np.ndarray | None = None,
    ) -> None:
        self.preset = load_preset(preset) if isinstance(preset, str) else preset
        if len(initials) != len(seeds) or len(seeds) == 0:
            raise PlantError(
                f"need one seed per initial condition, got {len(initials)} and {len(seeds)}"
            )
        self.dt_s = float(dt_s)
        self._p = self.preset.to_params(self.dt_s)
        n = len(seeds)
        if _states is None:
            self._x = np.stack([free_state(self._p, ic) for ic in initials])
        else:
            self._x = np.ascontiguousarray(_states, dtype=np.float64).copy()
        self._seeds = np.array([int(s) & _MASK64 for s in seeds], dtype=np.uint64)
        self._u = np.stack([command_vector(ActuatorCommand()) for _ in range(n)])
        self._f = np.stack([_healthy_faults() for _ in range(n)])
        self._steps = np.zeros(n, dtype=np.int64)
        self._sense_out = np.empty(L.NS)
        self._truth_out = np.empty((n, L.NT))
        K.refresh(self._x, self._p, self._u, self._f)
        if _states is None:
            stored = self.truth_array()[:, L.T_STORED]
            bad = np.flatnonzero(stored > 1.0)
            if bad.size:
                raise PlantError(
                    f"initial condition {int(bad[0])} starts with the petals already inside the "
                    f"guides ({stored[bad[0]]:.1f} J stored); increase distance_m"
                )

    def touching_at(self, ic: InitialConditions) -> bool:
        """Whether run 0 started at ``ic`` would touch at once: the truth reports contact
        or a petal would start inside its guide (what the constructor refuses). Run 0's
        state is replaced."""
        self._x[0] = free_state(self._p, ic)
        K.refresh(self._x[:1], self._p, self._u[:1], self._f[:1])
        t = self.truth_array()[0]
        return bool(t[L.T_IN_CONTACT] > 0.5 or t[L.T_STORED] > 1.0)

    @classmethod
    def mated(
        cls,
        preset: Preset | str,
        seeds: Sequence[int],
        dt_s: float = 0.001,
        *,
        tunnel_pressure_pa: float = 0.0,
        cavity_pressure_pa: float = 0.0,
        hooks_closed: bool = True,
    ) -> BatchPlant:
        """Runs that start mated at rest: ring retracted and latched, hooks at preload
        (``hooks_closed=True``) or open. The tunnel defaults to vented (0 Pa):
        hatches closed, ready to undock.
        """
        ps = load_preset(preset) if isinstance(preset, str) else preset
        p = ps.to_params(dt_s)
        u = command_vector(ActuatorCommand(damper_n_s_m=0.0, brake_slip_n=0.0))
        x = mated_state(
            p, u, _healthy_faults(), tunnel_pressure_pa, cavity_pressure_pa, hooks_closed
        )
        ic = InitialConditions(distance_m=0.0, closing_speed_m_s=0.0)
        states = np.stack([x for _ in seeds])
        return cls(ps, [ic] * len(seeds), seeds, dt_s, _states=states)

    # ------------------------------------------------------------ stepping
    @property
    def n(self) -> int:
        """Number of runs."""
        return int(self._x.shape[0])

    @property
    def t_s(self) -> float:
        """Simulated time, s (exactly steps x dt, never accumulated)."""
        return float(self._steps[0]) * self.dt_s

    def set_command(self, cmd: np.ndarray | ActuatorCommand | Sequence[ActuatorCommand]) -> None:
        """Set the command that the next steps hold."""
        if isinstance(cmd, ActuatorCommand):
            command_vector(cmd, self._u[0])
            self._u[1:] = self._u[0]
        elif isinstance(cmd, np.ndarray):
            arr = np.asarray(cmd, dtype=np.float64)
            if not np.all(np.isfinite(arr)):
                raise PlantError("command array has non-finite set-points")
            if arr.shape == (L.NU,) or arr.shape == (self.n, L.NU):
                self._u[:] = arr
            else:
                raise PlantError(f"command array must be ({self.n}, {L.NU}), got {arr.shape}")
        else:
            if len(cmd) != self.n:
                raise PlantError(f"need {self.n} commands, got {len(cmd)}")
            for i, c in enumerate(cmd):
                command_vector(c, self._u[i])

    def advance(
        self, cmd: np.ndarray | ActuatorCommand | Sequence[ActuatorCommand], n_steps: int
    ) -> None:
        """Hold ``cmd`` for ``n_steps`` steps of every run."""
        if n_steps < 0:
            raise PlantError(f"n_steps must be >= 0, got {n_steps}")
        self.set_command(cmd)
        if self.n >= PARALLEL_MIN_RUNS:
            K.advance_parallel(self._x, self._p, self._u, self._f, self._steps, int(n_steps))
        else:
            K.advance(self._x, self._p, self._u, self._f, self._steps, int(n_steps))

    # ------------------------------------------------------------ faults
    def inject(
        self, fault: PlantFault, active: bool = True, runs: Sequence[int] | None = None
    ) -> None:
        """Switch a physical fault on (or off) in ``runs`` (default all) from the next step."""
        idx = range(self.n) if runs is None else runs
        for r in idx:
            _inject(self._f[r], self._x[r], fault, active)

    # ------------------------------------------------------------ accessors (arrays over runs)
    @property
    def state(self) -> np.ndarray:
        """Copy of the raw state array (N, NX); layout in :mod:`sim_bridge._layout`."""
        return self._x.copy()

    def truth_array(self) -> np.ndarray:
        """Energy ledger and loads (N, NT); columns ``T_*`` of :mod:`sim_bridge._layout`."""
        K.truth(self._x, self._p, self._u, self._f, self._truth_out)
        return self._truth_out.copy()

    def energies(self) -> dict[str, np.ndarray]:
        """Energy ledger per run, J."""
        t = self.truth_array()
        return {
            "kinetic_j": t[:, L.T_KE],
            "kinetic_common_j": t[:, L.T_KE_COMMON],
            "stored_j": t[:, L.T_STORED],
            "dissipated_damper_j": t[:, L.T_D_DAMP],
            "dissipated_brake_j": t[:, L.T_D_BRAKE],
            "dissipated_contact_j": t[:, L.T_D_CONTACT],
            "dissipated_other_j": t[:, L.T_D_OTHER],
            "actuator_work_j": t[:, L.T_W_ACT],
            "thrust_work_j": t[:, L.T_W_THRUST],
            "total_j": t[:, L.T_KE]
            + t[:, L.T_STORED]
            + t[:, L.T_D_DAMP]
            + t[:, L.T_D_BRAKE]
            + t[:, L.T_D_CONTACT]
            + t[:, L.T_D_OTHER]
            - t[:, L.T_W_ACT],
        }

    def relative_pose(self) -> np.ndarray:
        """True chaser interface pose in the passive frame (N, 12): pos, vel, angle, rate."""
        out = np.empty((self.n, 12))
        for i in range(self.n):
            K.relative_pose(self._x[i], self._p, out[i])
        return out

    def separation_speed(self) -> np.ndarray:
        """Axial opening speed of the interfaces, m/s (N,); positive = separating."""
        return self.relative_pose()[:, 3]

    def latch_captured(self) -> np.ndarray:
        """Latch engaged flags (N, 6)."""
        return self._x[:, L.X_LATCH : L.X_LATCH + N_LATCHES] > 0.5

    def hook_pos(self) -> np.ndarray:
        """True hook positions (N, 12), 0 open .. 1 closed."""
        return self._x[:, L.X_HOOK_Q : L.X_HOOK_Q + N_HOOKS].copy()

    def hook_load(self) -> np.ndarray:
        """True per-hook loads (N, 12), N."""
        return self._x[:, L.X_HOOK_LOAD : L.X_HOOK_LOAD + N_HOOKS].copy()

    def loads(self) -> np.ndarray:
        """(N, 4): axial, lateral, peak |axial|, peak lateral load on the chaser, N."""
        cols = [L.X_AX, L.X_LAT, L.X_PEAK_AX, L.X_PEAK_LAT]
        return self._x[:, cols].copy()

    def reset_peaks(self) -> None:
        """Restart peak-load tracking (e.g. at capture)."""
        self._x[:, L.X_PEAK_AX] = 0.0
        self._x[:, L.X_PEAK_LAT] = 0.0

    def sense_array(self, run: int = 0) -> np.ndarray:
        """Sensor channels of run ``run`` (NS,), layout ``S_*``."""
        out = np.empty(L.NS)
        K.sense(self._x, self._p, self._f, self._seeds, self._steps, run, out)
        wire_quantise(out)
        return out

    def sense(self, run: int = 0) -> SensorFrame:
        """The :class:`SensorFrame` of run ``run`` at the current time."""
        out = self._sense_out
        K.sense(self._x, self._p, self._f, self._seeds, self._steps, run, out)
        wire_quantise(out)
        steps = int(self._steps[run])
        return _frame(out.tolist(), steps, wire_time(steps, self.dt_s))

    def truth(self, run: int = 0) -> Truth:
        """The :class:`Truth` of run ``run`` (energy ledger, true loads)."""
        t = self.truth_array()[run].tolist()
        return Truth(
            t_s=float(self._steps[run]) * self.dt_s,
            energy_kinetic_j=t[L.T_KE],
            energy_stored_j=t[L.T_STORED],
            energy_dissipated_damper_j=t[L.T_D_DAMP],
            energy_dissipated_brake_j=t[L.T_D_BRAKE],
            energy_dissipated_contact_j=t[L.T_D_CONTACT],
            axial_load_n=t[L.T_AX],
            lateral_load_n=t[L.T_LAT],
            in_contact=t[L.T_IN_CONTACT] > 0.5,
            extra={
                "energy_dissipated_other_j": t[L.T_D_OTHER],
                "energy_actuator_work_j": t[L.T_W_ACT],
                "energy_total_j": t[L.T_KE]
                + t[L.T_STORED]
                + t[L.T_D_DAMP]
                + t[L.T_D_BRAKE]
                + t[L.T_D_CONTACT]
                + t[L.T_D_OTHER]
                - t[L.T_W_ACT],
                "energy_kinetic_translational_j": t[L.T_KE_TRANS],
                "energy_kinetic_rotational_j": t[L.T_KE_ROT],
                "energy_kinetic_ring_j": t[L.T_KE_RING],
                "separation_speed_m_s": t[L.T_SEP_SPEED],
                "guide_pin_error_m": t[L.T_PIN_ERR],
                "seal_force_n": t[L.T_SEAL_F],
                "peak_axial_load_n": t[L.T_PEAK_AX],
                "peak_lateral_load_n": t[L.T_PEAK_LAT],
                "min_structural_gap_m": t[L.T_MIN_GAP],
                "ring_extension_m": t[L.T_RING_EXT],
                "energy_thrust_work_j": t[L.T_W_THRUST],
                "thrust_n": t[L.T_THRUST],
                "ring_stop_hits": t[L.T_STOP_HITS],
                "energy_kinetic_common_j": t[L.T_KE_COMMON],
            },
        )


_build_frame = fast_builder(SensorFrame)
_build_truth = fast_builder(Truth)
_TRUTH_EXTRA_INDEX: tuple[tuple[str, int], ...] = tuple(
    (
        name,
        {
            "energy_actuator_work_j": L.T_W_ACT,
            "energy_dissipated_other_j": L.T_D_OTHER,
            "energy_thrust_work_j": L.T_W_THRUST,
            "thrust_n": L.T_THRUST,
            "ring_stop_hits": L.T_STOP_HITS,
            "energy_kinetic_common_j": L.T_KE_COMMON,
        }[name],
    )
    for name in TRUTH_EXTRAS
)
"""Where each entry of the SimTruth's ``extra`` is in the truth vector (layout ``T_*``)."""


def _frame(v: list[float], seq: int, t_s: float) -> SensorFrame:
    """Build the frame positionally (field order of SensorFrame): this is on the 1 kHz path,
    so it is built by :func:`~controller.protocol.fields.fast_builder`."""
    b = [c > 0.5 for c in v[22:36]]
    return _build_frame(
        (
            t_s,
            seq,
            v[0],
            (v[1], v[2], v[3]),
            (v[4], v[5], v[6]),
            (v[7], v[8], v[9]),
            (v[10], v[11], v[12]),
            v[13],
            v[14],
            v[15],
            (v[16], v[17]),
            (v[18], v[19]),
            v[20],
            v[21],
            b[0],
            b[1],
            (b[2], b[3], b[4]),
            (b[5], b[6], b[7], b[8], b[9], b[10]),
            (b[11], b[12], b[13]),
            v[36],
            tuple(v[37:49]),
            tuple(v[49:61]),
            (v[61], v[62]),
            (v[63], v[64]),
            (v[65], v[66]),
            v[67],
            v[68],
            v[69],
            (v[70] > 0.5, v[71] > 0.5, v[72] > 0.5, v[73] > 0.5),
        )
    )


def _inject(f: np.ndarray, x: np.ndarray, fault: PlantFault, active: bool) -> None:
    kind = fault.kind
    if kind not in PLANT_FAULT_KINDS:
        raise PlantError(
            f"unknown plant fault {kind!r}; known: {', '.join(sorted(PLANT_FAULT_KINDS))}"
        )

    def index(n: int) -> int:
        if not 0 <= fault.index < n:
            raise PlantError(f"fault {kind!r}: index {fault.index} is outside 0..{n - 1}")
        return fault.index

    if kind == "latch_fail":
        f[L.F_LATCH_FAIL + index(N_LATCHES)] = 1.0 if active else 0.0
    elif kind == "hook_jam":
        k = index(N_HOOKS)
        f[L.F_HOOK_JAM + k] = x[L.X_HOOK_Q + k] if active else np.nan
    elif kind == "hook_motor_fail":
        f[L.F_MOTOR_FAIL + index(N_HOOK_SETS)] = 1.0 if active else 0.0
    elif kind == "cable_break":
        f[L.F_CABLE_BREAK + index(N_HOOK_SETS)] = 1.0 if active else 0.0
    elif kind == "damper_weak":
        f[L.F_DAMPER_SCALE] = min(1.0, max(0.0, fault.value)) if active else 1.0
    elif kind == "brake_fail":
        f[L.F_BRAKE_SCALE] = min(1.0, max(0.0, fault.value)) if active else 1.0
    elif kind == "drive_jam":
        f[L.F_DRIVE_JAM] = 1.0 if active else 0.0
    elif kind == "seal_leak":
        f[L.F_SEAL_LEAK] = max(0.0, fault.value) if active else 0.0
    elif kind == "unlock_fail":
        f[L.F_UNLOCK_FAIL + index(N_HOOK_SETS)] = 1.0 if active else 0.0
    elif kind == "thrust_none":
        f[L.F_THRUST_SCALE] = 0.0 if active else 1.0
    elif kind == "thrust_late":
        f[L.F_THRUST_DELAY] = max(0.0, fault.value) if active else 0.0
    elif kind == "thrust_stuck":
        f[L.F_THRUST_STUCK] = 1.0 if active else 0.0
    else:  # power_loss
        f[L.F_BUS_V] = max(0.0, fault.value) if active else np.nan


class Plant:
    """One run of the mechanism, stepped from Python once per control cycle.

    A thin wrapper over a :class:`BatchPlant` of one, so single and batched
    runs share every line of physics. The command of the last ``step`` is
    cached by identity: sending the same :class:`ActuatorCommand` object again
    skips re-packing it.
    """

    def __init__(
        self, preset: Preset | str, initial: InitialConditions, seed: int, dt_s: float = 0.001
    ) -> None:
        self._b = BatchPlant(preset, [initial], [seed], dt_s)
        self._last_cmd: ActuatorCommand | None = None
        self._bind()

    def _bind(self) -> None:
        b = self._b
        self._x, self._p, self._u, self._f = b._x, b._p, b._u, b._f
        self._steps = b._steps

    @classmethod
    def mated(
        cls,
        preset: Preset | str,
        seed: int,
        dt_s: float = 0.001,
        *,
        tunnel_pressure_pa: float = 0.0,
        cavity_pressure_pa: float = 0.0,
        hooks_closed: bool = True,
    ) -> Plant:
        """A plant that starts mated at rest (for locking, seal and undocking tests).

        ``hooks_closed=True``: both hook sets at preload (hard-mated, MATED phase);
        ``False``: ring retracted and latched, hooks open (start of LOCKING).
        """
        self = cls.__new__(cls)
        self._b = BatchPlant.mated(
            preset,
            [seed],
            dt_s,
            tunnel_pressure_pa=tunnel_pressure_pa,
            cavity_pressure_pa=cavity_pressure_pa,
            hooks_closed=hooks_closed,
        )
        self._last_cmd = None
        self._bind()
        return self

    @property
    def preset(self) -> Preset:
        return self._b.preset

    @property
    def batch(self) -> BatchPlant:
        """The underlying batch of one (array accessors)."""
        return self._b

    @property
    def dt_s(self) -> float:
        return self._b.dt_s

    @property
    def t_s(self) -> float:
        """Simulated time, s."""
        return float(self._steps[0]) * self._b.dt_s

    def _set(self, cmd: ActuatorCommand) -> None:
        if cmd is not self._last_cmd:
            command_vector(cmd, self._u[0])
            self._last_cmd = cmd

    def step(self, cmd: ActuatorCommand) -> None:
        """Apply ``cmd`` and advance one step ``dt_s``."""
        self._set(cmd)
        K.advance(self._x, self._p, self._u, self._f, self._steps, 1)

    def advance(self, cmd: ActuatorCommand, n_steps: int) -> None:
        """Hold ``cmd`` for ``n_steps`` steps (one compiled call)."""
        if n_steps < 0:
            raise PlantError(f"n_steps must be >= 0, got {n_steps}")
        self._set(cmd)
        K.advance(self._x, self._p, self._u, self._f, self._steps, int(n_steps))

    def sense(self) -> SensorFrame:
        """Sensor frame at the current time (noisy, quantised as the wire quantises)."""
        return self._b.sense(0)

    def truth(self) -> Truth:
        """Energy ledger and true loads at the current time."""
        return self._b.truth(0)

    def device_truth(self) -> Truth:
        """The truth a simulated device reports (SimTruth): :meth:`truth` with only the
        ``extra`` entries the wire carries (:data:`~controller.protocol.layouts.TRUTH_EXTRAS`,
        what the telemetry records). The same numbers, built for the control rate."""
        b = self._b
        out = b._truth_out
        K.truth(self._x, self._p, self._u, self._f, out)
        t = out[0].tolist()
        return _build_truth(
            (
                float(self._steps[0]) * b.dt_s,
                t[L.T_KE],
                t[L.T_STORED],
                t[L.T_D_DAMP],
                t[L.T_D_BRAKE],
                t[L.T_D_CONTACT],
                t[L.T_AX],
                t[L.T_LAT],
                t[L.T_IN_CONTACT] > 0.5,
                {name: t[i] for name, i in _TRUTH_EXTRA_INDEX},
            )
        )

    def inject(self, fault: PlantFault, active: bool = True) -> None:
        """Switch a physical fault on (or off) from the next step."""
        _inject(self._f[0], self._x[0], fault, active)

    def reset_peaks(self) -> None:
        """Restart peak-load tracking."""
        self._b.reset_peaks()
