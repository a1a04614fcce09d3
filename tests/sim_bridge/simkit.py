"""Scripted runs of the plant shared by the tests (no controller: commands are fixed scripts)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from controller.types import ActuatorCommand, InitialConditions
from sim_bridge.plant import Plant
from sim_bridge.preset import Preset

PRESET = "cn-10t-100t"
ARM = ActuatorCommand(latch_arm=True, contact_reported=True)
"""Dampers 11 kN s/m and brake 2 kN (command defaults), latches armed, and contact reported:
the chaser pushes after contact (until its 4 s burn limit, as nothing here drops the report)."""


def approach(
    speed: float = 0.10,
    lateral: float = 0.05,
    pitch_deg: float = 2.0,
    distance: float = 0.3,
    seed: int = 1,
    preset: Preset | str = PRESET,
) -> Plant:
    ic = InitialConditions(
        distance_m=distance,
        closing_speed_m_s=speed,
        lateral_offset_m=(lateral, 0.0),
        angle_deg=(0.0, pitch_deg, 0.0),
    )
    return Plant(preset, ic, seed=seed)


@dataclass
class Capture:
    """Where a scripted approach got to: time of full capture and the KE then."""

    plant: Plant
    t_capture_s: float | None
    ke_at_capture_j: float
    t_contact_s: float | None


def run_to_capture(plant: Plant, cmd: ActuatorCommand = ARM, limit_s: float = 15.0) -> Capture:
    """Step in 10 ms chunks until all six latches report captured (or the limit)."""
    t_contact = None
    while plant.t_s < limit_s:
        plant.advance(cmd, 10)
        tr = plant.truth()
        if t_contact is None and tr.in_contact:
            t_contact = plant.t_s
        if all(plant.sense().latch_captured):
            return Capture(plant, plant.t_s, tr.energy_kinetic_j, t_contact)
    return Capture(plant, None, float("nan"), t_contact)


def spread(values: np.ndarray) -> float:
    return float(np.max(values) - np.min(values))
