"""Contact, soft capture and buffering against DOMAIN.md section 5."""

from __future__ import annotations

import numpy as np
import pytest
from simkit import ARM, approach, run_to_capture

from controller.types import ActuatorCommand, InitialConditions, PlantFault
from sim_bridge.plant import BatchPlant


def test_nominal_contact_captures_all_six_latches() -> None:
    cap = run_to_capture(approach(speed=0.10, lateral=0.05, pitch_deg=2.0))
    assert cap.t_capture_s is not None
    assert cap.t_contact_s is not None
    # DOMAIN 5: all latch pairs captured <= 3 s after first contact
    assert cap.t_capture_s - cap.t_contact_s <= 3.0
    frame = cap.plant.sense()
    assert all(frame.alignment)
    assert frame.rel_pos_m[0] > 0.3  # captured on the extended ring, not hard-docked


def test_angular_misalignment_inside_the_envelope_captures() -> None:
    """IDSS: pitch/yaw and roll <= 4 deg; the guides correct each axis (batch of three)."""
    ics = [
        InitialConditions(distance_m=0.3, closing_speed_m_s=0.1, angle_deg=angles)
        for angles in ((3.0, 0.0, 0.0), (0.0, 3.0, 0.0), (0.0, 0.0, 3.0))
    ]
    batch = BatchPlant("cn-10t-100t", ics, [1, 2, 3])
    batch.advance(ARM, 6000)
    assert batch.latch_captured().all()


def test_large_lateral_offset_does_not_capture() -> None:
    cap = run_to_capture(approach(speed=0.10, lateral=0.35, pitch_deg=0.0), limit_s=12.0)
    assert cap.t_contact_s is not None, "the petals must touch"
    assert cap.t_capture_s is None
    assert not any(cap.plant.sense().latch_captured)


def test_unarmed_latches_do_not_capture() -> None:
    cmd = ActuatorCommand(latch_arm=False)
    cap = run_to_capture(approach(), cmd, limit_s=8.0)
    assert cap.t_contact_s is not None
    assert not any(cap.plant.sense().latch_captured)


def test_failed_latch_reports_open_and_release_opens_all() -> None:
    plant = approach()
    plant.inject(PlantFault("latch_fail", index=3))
    for _ in range(800):
        plant.advance(ARM, 10)
    captured = plant.sense().latch_captured
    assert captured == (True, True, True, False, True, True)
    plant.advance(ActuatorCommand(latch_release=True), 10)
    assert not any(plant.sense().latch_captured)


@pytest.mark.parametrize("speed", [0.10, 0.20])
def test_buffering_dissipates_and_limits_loads(speed: float) -> None:
    """DOMAIN 5 at 0.10 and 0.20 m/s: >= 90 % of the contact energy dissipated 10 s after capture.

    The reference E0 is the relative kinetic energy the chaser brings to the
    contact (0.5 mu v^2, 46 J and 184 J). Two measures must reach 90 %: the
    kinetic energy left (<= 10 % of E0 and of the energy still moving when
    the last latch engages), and the energy in the dissipation buckets
    (damper, brake, contact, other), which is the stricter one because the
    buffer still holds some of E0 as spring energy. Measured at this build:
    95.6 % and 90.1 % of E0 in the buckets, KE left < 0.1 %.
    """
    plant = approach(speed=speed, lateral=0.05, pitch_deg=2.0)
    ke_contact = plant.truth().energy_kinetic_j
    cap = run_to_capture(plant)
    assert cap.t_capture_s is not None
    plant.advance(ARM, 10_000)  # 10 s after capture
    tr = plant.truth()
    assert tr.energy_kinetic_j <= 0.1 * ke_contact
    assert tr.energy_kinetic_j <= 0.1 * cap.ke_at_capture_j
    assert cap.ke_at_capture_j > 0.3 * ke_contact  # captured while still moving
    dissipated = tr.energy_dissipated_j + tr.extra["energy_dissipated_other_j"]
    assert dissipated >= 0.9 * ke_contact
    assert tr.extra["energy_actuator_work_j"] <= 0.1 * ke_contact  # not bought with input
    # peak loads: <= 5 kN axial, <= 3 kN lateral; stroke margin >= 20 %
    assert tr.extra["peak_axial_load_n"] <= 5000.0
    assert tr.extra["peak_lateral_load_n"] <= 3000.0
    assert tr.extra["peak_axial_load_n"] > 500.0  # the buffer did work
    ready = plant.preset.get("ring.ready_extension_m")
    assert ready - plant.sense().ring_extension_m <= 0.8 * ready
    assert all(plant.sense().latch_captured)


def test_weak_dampers_and_failed_brake_dissipate_less() -> None:
    nominal = run_to_capture(approach(speed=0.2)).plant
    nominal.advance(ARM, 3000)
    weak = approach(speed=0.2)
    weak.inject(PlantFault("damper_weak", value=0.2))
    weak.inject(PlantFault("brake_fail", value=0.0))
    run_to_capture(weak)
    weak.advance(ARM, 3000)
    tn, tw = nominal.truth(), weak.truth()
    assert tw.energy_dissipated_brake_j == pytest.approx(0.0, abs=1e-6)
    assert tn.energy_dissipated_brake_j > 10.0
    # with a fifth of the damping and no brake the buffer keeps swinging
    assert tw.energy_kinetic_j > 10.0 * max(tn.energy_kinetic_j, 1.0)


def test_idss_envelope_corners_capture_within_3_s() -> None:
    """IDSS corners (DOMAIN 2): 0.05 / 0.10 m/s, 0.10 m and 0.04 m/s lateral, 4 deg and
    0.2 deg/s pitch/yaw (vector sums) and roll, all diverging. Scripted with the
    controller's contact set-points (dampers off, brake 2 kN, latches armed)."""
    ics = []
    for speed, sign, distance in (
        (0.10, 1, 0.117),
        (0.10, -1, 0.093),
        (0.05, 1, 0.120),
        (0.05, -1, 0.095),
    ):
        ics.append(
            InitialConditions(
                distance_m=distance,
                closing_speed_m_s=speed,
                lateral_offset_m=(sign * 0.07, sign * 0.07),
                lateral_speed_m_s=(sign * 0.028, sign * 0.028),
                angle_deg=(sign * 4.0, sign * 2.8, sign * 2.8),
                rate_deg_s=(sign * 0.2, sign * 0.14, sign * 0.14),
            )
        )
    batch = BatchPlant("cn-10t-100t", ics, [1, 2, 3, 4])
    cmd = ActuatorCommand(latch_arm=True, damper_n_s_m=0.0, brake_slip_n=2000.0)
    t_contact: list[float | None] = [None] * 4
    t_capture: list[float | None] = [None] * 4
    for i in range(600):
        batch.advance(cmd, 10)
        for r in range(4):
            if t_contact[r] is None and batch.truth(r).in_contact:
                t_contact[r] = (i + 1) * 0.01
        for r in np.flatnonzero(batch.latch_captured().all(axis=1)):
            if t_capture[r] is None:
                t_capture[r] = (i + 1) * 0.01
        if all(t is not None for t in t_capture):
            break
    for r in range(4):
        tc, tcap = t_contact[r], t_capture[r]
        assert tc is not None, f"corner {r}: no contact"
        assert tcap is not None, f"corner {r}: no capture"
        assert tcap - tc <= 3.0, f"corner {r}: capture {tcap - tc:.2f} s after contact"
        tr = batch.truth(r)
        assert tr.extra["peak_axial_load_n"] <= 5000.0
        assert tr.extra["peak_lateral_load_n"] <= 3000.0
