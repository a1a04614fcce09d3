"""The pair's common motion: the kinetic energy no mechanism can dissipate (docs/plant.md 5).

``energy_kinetic_common_j`` is the kinetic energy of the three bodies moving as
one rigid stack with their momentum and angular momentum. Internal forces
conserve both, so it must stay constant through contact, capture and buffering
while the relative kinetic energy is dissipated; it must be zero for a head-on,
aligned approach (no angular momentum), and all of the kinetic energy when the
bodies already move as one.
"""

from __future__ import annotations

import numpy as np
import pytest
from simkit import approach, run_to_capture

from controller.types import ActuatorCommand, InitialConditions
from sim_bridge import _layout as L  # noqa: N812
from sim_bridge._kernel.bodies import qmat
from sim_bridge.plant import Plant

PUSH = ActuatorCommand(
    latch_arm=True, damper_n_s_m=5_000.0, brake_slip_n=2_000.0, contact_reported=True
)
"""The controller's petal-guidance set-points, contact reported to the chaser (it pushes)."""
BUFFER = ActuatorCommand(latch_arm=True, damper_n_s_m=14_000.0, brake_slip_n=300.0)
"""Buffering without the chaser's push: only internal forces act."""


def _energies(plant: Plant) -> tuple[float, float]:
    """(kinetic, common) energy now, J, as the truth reports them."""
    t = plant.truth()
    return t.energy_kinetic_j, t.extra["energy_kinetic_common_j"]


def test_a_head_on_aligned_approach_has_no_common_motion() -> None:
    plant = Plant("cn-10t-100t", InitialConditions(distance_m=0.3, closing_speed_m_s=0.1), 1)
    ke, common = _energies(plant)
    assert ke > 10.0
    assert common < 1e-9 * ke


def test_bodies_moving_as_one_are_all_common_motion() -> None:
    plant = approach(lateral=0.05, pitch_deg=2.0)
    x = plant._x[0]  # the state vector itself: set every body's velocity
    om = np.array([0.002, -0.003, 0.001])  # rad/s, world
    vel = np.array([0.01, 0.02, -0.005])  # m/s
    masses = [plant._p[L.P_MS], plant._p[L.P_MC], plant._p[L.P_MR]]
    cm = sum(m * x[b * L.BODY : b * L.BODY + 3] for b, m in enumerate(masses)) / sum(masses)
    for b in range(3):
        o = b * L.BODY
        x[o + 3 : o + 6] = vel + np.cross(om, x[o : o + 3] - cm)
        rm = np.array(qmat(x, o)).reshape(3, 3)
        x[o + 10 : o + 13] = rm.T @ om
    ke, common = _energies(plant)
    # the truth brings the velocities to the current time with half a kick of the
    # ring's preload on its stop (internal: momentum kept, a little energy moved)
    assert common == pytest.approx(ke, rel=1e-3)
    assert ke - common >= -1e-9


def test_common_motion_is_conserved_while_the_relative_motion_is_dissipated() -> None:
    ic = InitialConditions(
        distance_m=0.3,
        closing_speed_m_s=0.12,
        lateral_offset_m=(0.05, 0.0),
        lateral_speed_m_s=(0.05, 0.0),
        angle_deg=(0.0, 2.0, 0.0),
        rate_deg_s=(0.3, 0.3, 0.3),
    )
    plant = Plant("cn-10t-100t", ic, 1)
    ke0, common0 = _energies(plant)
    assert common0 > 0.03 * ke0, "a lateral rate and body rates are angular momentum"
    cap = run_to_capture(plant, PUSH)
    assert cap.t_capture_s is not None
    plant.advance(BUFFER, 500)  # the report dropped: the chaser's push ends
    ke1, common1 = _energies(plant)
    series = []
    for _ in range(1000):  # 10 s of buffering: internal forces only
        plant.advance(BUFFER, 10)
        series.append(_energies(plant))
    ke2, common2 = series[-1]
    commons = np.array([c for _, c in series])
    # kept to the integrator's angular-momentum error (0.2 % in 10 s here; spin and orbit
    # trade tens of percent of it, so a wrong L or I moves it far more)
    assert np.max(np.abs(commons - common1)) <= 5e-3 * common1
    assert ke1 - common1 > 0.2 * (ke0 - common0), "relative motion left after capture"
    assert ke2 - common2 < 0.5 * (ke1 - common1), "the buffer dissipates the relative motion"
    assert ke2 > common2 > 0.03 * ke0, "what stays is the common motion"


def test_the_chasers_push_changes_the_common_motion() -> None:
    # an external force: if this did not move, the measure above could not tell
    plant = approach(speed=0.10, lateral=0.05, pitch_deg=2.0)
    _, common0 = _energies(plant)
    plant.advance(ActuatorCommand(latch_arm=True, contact_reported=True), 1500)
    _, common1 = _energies(plant)
    assert abs(common1 - common0) > 0.01 * common0
