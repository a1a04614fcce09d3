"""The plant against the published record (DOMAIN 2a): the figures of ``docs/validation.md``.

Every figure here is computed from the plant alone, with scripted set-points
that stand in for the controller's (the closed-loop figures, timeline and
full dockings, come from the scenario library): during contact the
controller's petal-guidance set-points (dampers at ``damper_contact_n_s_m``,
brake at ``brake_contact_n``, latches armed, contact reported to the chaser),
from full capture its buffering ones (dampers and brake at their buffering
values, centring on, no report). ``python -m sim_bridge.validation`` prints the
table; ``tests/sim_bridge/test_validation.py`` checks each row.

Energy figures follow DOMAIN 2a: ``E0`` is the relative kinetic energy at
first contact (kinetic less the pair's common motion, ``docs/plant.md`` 5); at
capture + 10 s the residual is the relative kinetic energy plus the stored
energy above the settled equilibrium, taken as :mod:`hil.measure` takes it for
a run without a retraction: the stored energy before contact, the buffers at
rest on their stops (the closed loop's RETRACTION-entry value is within 0.02 J
of it at every corner). The ledger is kinetic + stored + dissipated - actuator
work.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from controller.config import ControllerConfig
from controller.types import ActuatorCommand, InitialConditions, PlantFault
from sim_bridge import _layout as L  # noqa: N812
from sim_bridge.envelope import Envelope, corners, start_conditions
from sim_bridge.plant import BatchPlant
from sim_bridge.preset import Preset, load_preset

__all__ = [
    "FLIGHT_CONTACT_TO_LOCK_S",
    "CaptureFigures",
    "absorber_force_vs_speed",
    "central",
    "corner_starts",
    "flight_like",
    "peak_axial_vs_speed",
    "restitution",
    "scripted_captures",
    "slightly_off",
]

PRESET = "cn-10t-100t"
FLIGHT_CONTACT_TO_LOCK_S = (330.0, 510.0)
"""Contact -> hard lock, s: 7 +- 1.5 min (DOMAIN 5; Shenzhou-10/-11 and Tianzhou-1 took 7
minutes, DOMAIN 2a [S34])."""
CHUNK_STEPS = 10
"""Steps between the scripted controller's looks (10 ms at the preset's 1 ms step)."""


@dataclass(frozen=True, slots=True)
class CaptureFigures:
    """What one scripted capture did (None where it never got there)."""

    t_contact_s: float | None
    capture_after_contact_s: float | None
    peak_axial_n: float
    peak_lateral_n: float
    e0_j: float
    energy_fraction_10s: float | None
    actuator_work_fraction_10s: float | None
    ledger_error_fraction: float | None
    stop_hits: int


def _commands(
    cfg: ControllerConfig, thrust: bool
) -> tuple[ActuatorCommand, ActuatorCommand, ActuatorCommand]:
    """(approach, contact, buffering) set-points. The contact discrete rises only at first
    contact, as the controller raises it: reported from the start, the chaser would fire
    in free flight and arrive faster than its start condition says."""
    approach = ActuatorCommand(
        damper_n_s_m=cfg.damper_contact_n_s_m,
        brake_slip_n=cfg.brake_contact_n,
        latch_arm=True,
    )
    contact = dataclasses.replace(approach, contact_reported=thrust)
    buffering = ActuatorCommand(
        damper_n_s_m=cfg.damper_rebound_n_s_m,
        brake_slip_n=cfg.brake_slip_min_n,
        ring_centring=True,
        latch_arm=True,
    )
    return approach, contact, buffering


def _batch(
    initials: Sequence[InitialConditions], preset: Preset | str, faults: Sequence[PlantFault]
) -> BatchPlant:
    """One run per start condition (seeds 1..n) with ``faults`` on from the first step."""
    ps = load_preset(preset) if isinstance(preset, str) else preset
    plant = BatchPlant(ps, list(initials), list(range(1, len(initials) + 1)))
    for fault in faults:
        plant.inject(fault)
    return plant


def scripted_captures(
    initials: Sequence[InitialConditions],
    preset: Preset | str = PRESET,
    thrust: bool = True,
    faults: Sequence[PlantFault] = (),
    limit_s: float = 16.0,
    after_capture_s: float = 10.0,
) -> list[CaptureFigures]:
    """Run each start condition through contact, capture and 10 s of buffering (one batch);
    a run not captured within ``limit_s`` stops there."""
    cfg = ControllerConfig()
    n = len(initials)
    plant = _batch(initials, preset, faults)
    approach_cmd, contact_cmd, buffer_cmd = _commands(cfg, thrust)
    cmds = [approach_cmd] * n
    t_contact: list[float | None] = [None] * n
    t_capture: list[float | None] = [None] * n
    e0 = np.zeros(n)
    ledger0 = np.zeros(n)
    i_cap_work = np.zeros(n)
    settled = plant.truth_array()[:, L.T_STORED].copy()  # free flight: buffers at rest
    done = np.zeros(n, dtype=bool)
    final: dict[int, tuple[float, float, float, float]] = {}
    """Per run at capture + 10 s: kinetic, stored, actuator work, ledger total (J)."""
    steps = 0
    dt = plant.dt_s
    while not done.all():
        plant.advance(cmds, CHUNK_STEPS)
        steps += CHUNK_STEPS
        t = steps * dt
        tr = plant.truth_array()
        en = plant.energies()
        captured: np.ndarray = np.asarray(plant.latch_captured().all(axis=1))
        for r in range(n):
            if done[r]:
                continue
            if t_contact[r] is None and (tr[r, L.T_IN_CONTACT] > 0.5 or captured[r]):
                t_contact[r] = t
                e0[r] = en["kinetic_j"][r] - en["kinetic_common_j"][r]
                ledger0[r] = en["total_j"][r]
                if not captured[r]:
                    cmds[r] = contact_cmd
            if t_capture[r] is None and captured[r]:
                t_capture[r] = t
                cmds[r] = buffer_cmd
                i_cap_work[r] = en["actuator_work_j"][r]
            tc = t_capture[r]
            if tc is None and t >= limit_s:
                done[r] = True  # not captured in time
            if tc is not None:
                if r not in final and t >= tc + after_capture_s - 1e-9:
                    final[r] = (
                        float(en["kinetic_j"][r] - en["kinetic_common_j"][r]),
                        float(en["stored_j"][r]),
                        float(en["actuator_work_j"][r]),
                        float(en["total_j"][r]),
                    )
                done[r] = r in final
    out = []
    tr = plant.truth_array()
    for r in range(n):
        tc, tcap = t_contact[r], t_capture[r]
        frac = work = ledger = None
        if r in final and e0[r] > 0.0:
            ke, st, w, total = final[r]
            frac = 1.0 - (ke + max(0.0, st - settled[r])) / e0[r]
            work = (w - i_cap_work[r]) / e0[r]
            ledger = abs(total - ledger0[r]) / e0[r]
        out.append(
            CaptureFigures(
                t_contact_s=tc,
                capture_after_contact_s=None if tc is None or tcap is None else tcap - tc,
                peak_axial_n=float(tr[r, L.T_PEAK_AX]),
                peak_lateral_n=float(tr[r, L.T_PEAK_LAT]),
                e0_j=float(e0[r]),
                energy_fraction_10s=frac,
                actuator_work_fraction_10s=work,
                ledger_error_fraction=ledger,
                stop_hits=int(tr[r, L.T_STOP_HITS]),
            )
        )
    return out


def corner_starts(preset: Preset | str = PRESET) -> list[tuple[str, InitialConditions]]:
    """Every corner of the preset's envelope with its start conditions."""
    env = Envelope.of(preset)
    return [(c.name, start_conditions(preset, c.at_contact(env))) for c in corners(env)]


def central(speed_m_s: float, distance_m: float = 0.2) -> InitialConditions:
    """A central, aligned approach at ``speed_m_s``."""
    return InitialConditions(distance_m=distance_m, closing_speed_m_s=speed_m_s)


def slightly_off(speed_m_s: float) -> InitialConditions:
    """The nominal scenario's small misalignment (0.05 m, pitch 2 deg, yaw 1 deg) at a speed."""
    return InitialConditions(
        distance_m=0.3,
        closing_speed_m_s=speed_m_s,
        lateral_offset_m=(0.05, 0.0),
        angle_deg=(0.0, 2.0, 1.0),
    )


def restitution(
    speeds_m_s: Sequence[float], preset: Preset | str = PRESET, faults: Sequence[PlantFault] = ()
) -> list[float]:
    """Coefficient of restitution of central impacts with the latches disabled and no thrust:
    opening speed after the rebound over the closing speed (DOMAIN 5, [S14 p.245])."""
    cfg = ControllerConfig()
    ics = [central(v) for v in speeds_m_s]
    plant = _batch(ics, preset, faults)
    cmd = ActuatorCommand(
        damper_n_s_m=cfg.damper_contact_n_s_m, brake_slip_n=cfg.brake_contact_n, latch_arm=False
    )
    opening = np.zeros(len(ics))
    for _ in range(int(12.0 / (CHUNK_STEPS * plant.dt_s))):
        plant.advance(cmd, CHUNK_STEPS)
        opening = np.maximum(opening, plant.relative_pose()[:, 3])
    return [float(o / v) for o, v in zip(opening, speeds_m_s, strict=True)]


def peak_axial_vs_speed(
    speeds_m_s: Sequence[float], preset: Preset | str = PRESET, faults: Sequence[PlantFault] = ()
) -> list[float]:
    """Peak axial contact force (N) of central captures at each closing speed."""
    figs = scripted_captures([central(v) for v in speeds_m_s], preset, faults=faults)
    return [f.peak_axial_n for f in figs]


def flight_like(contact_to_lock_s: float) -> bool:
    """Whether a contact -> hard lock time is within the flights' 7 +- 1.5 min."""
    lo, hi = FLIGHT_CONTACT_TO_LOCK_S
    return lo <= contact_to_lock_s <= hi


def absorber_force_vs_speed(
    speeds_m_s: Sequence[float], preset: Preset | str = PRESET, faults: Sequence[PlantFault] = ()
) -> list[float]:
    """Peak force through the axial absorber (spring + brake at the drive nut, N) of central
    captures at each closing speed, over 6 s from the start with the contact set-points and
    no thrust (a test stand's impact).

    This is the force Syromiatnikov's central-impact test compares with calculation
    ([S14 p.239]); the interface load also carries the light ring's contact spikes.
    """
    cfg = ControllerConfig()
    ics = [central(v) for v in speeds_m_s]
    plant = _batch(ics, preset, faults)
    cmd, _, _ = _commands(cfg, thrust=False)
    peak = np.zeros(len(ics))
    for _ in range(int(6.0 / (CHUNK_STEPS * plant.dt_s))):
        plant.advance(cmd, 1)
        peak = np.maximum(peak, np.abs(plant.state[:, L.X_DRIVE_F]))
        plant.advance(cmd, CHUNK_STEPS - 1)
    return [float(v) for v in peak]


def _fmt(v: float | None, spec: str) -> str:
    return "-" if v is None else format(v, spec)


def main() -> int:
    """Print the corner table and the scalar figures (the numbers of docs/validation.md)."""
    out: list[str] = []
    starts = corner_starts()
    figs = scripted_captures([ic for _, ic in starts])
    out.append(
        "| corner | capture after contact, s | peak axial, N | peak lateral, N | E0, J | "
        "energy fraction 10 s | actuator work / E0 | ledger error / E0 | stop hits |"
    )
    out.append("|---|---|---|---|---|---|---|---|---|")
    for (name, _), f in zip(starts, figs, strict=True):
        out.append(
            f"| {name} | {_fmt(f.capture_after_contact_s, '.2f')} | {f.peak_axial_n:.0f} | "
            f"{f.peak_lateral_n:.0f} | {f.e0_j:.0f} | {_fmt(f.energy_fraction_10s, '.3f')} | "
            f"{_fmt(f.actuator_work_fraction_10s, '.3f')} | "
            f"{_fmt(f.ledger_error_fraction, '.4f')} | {f.stop_hits} |"
        )
    speeds = [0.05, 0.08, 0.12, 0.18, 0.25]
    peaks = [round(x) for x in peak_axial_vs_speed(speeds)]
    out.append(f"peak axial vs speed {speeds} {peaks}")
    force = [round(x) for x in absorber_force_vs_speed(speeds)]
    out.append(f"absorber force vs speed {speeds} {force}")
    rest = [round(x, 3) for x in restitution(speeds)]
    out.append(f"restitution (latches off) {speeds} {rest}")
    for v in (0.05, 0.08, 0.12):
        for label, ic in (("central", central(v)), ("0.05 m / 2 deg off", slightly_off(v))):
            for thrust in (False, True):
                f = scripted_captures([ic], thrust=thrust)[0]
                out.append(f"{v} m/s {label}, thrust {thrust}: capture {f.capture_after_contact_s}")
    sys.stdout.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
