"""Contact, soft capture and buffering against DOMAIN.md section 5."""

from __future__ import annotations

import pytest
from simkit import ARM, approach, run_to_capture

from controller.types import ActuatorCommand, InitialConditions, PlantFault
from sim_bridge.plant import BatchPlant
from sim_bridge.validation import scripted_captures, slightly_off


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
    """DOMAIN 5 at 0.10 and 0.20 m/s with the nominal misalignment, scripted with the
    controller's set-points: DOMAIN 2a's energy fraction >= 0.9 at capture + 10 s with
    actuator work <= 0.1 E0, the ledger closed within 1 %, loads inside their limits."""
    f = scripted_captures([slightly_off(speed)])[0]
    assert f.capture_after_contact_s is not None
    assert f.capture_after_contact_s <= 3.0
    assert f.energy_fraction_10s is not None
    assert f.energy_fraction_10s >= 0.9
    assert f.actuator_work_fraction_10s is not None
    assert f.actuator_work_fraction_10s <= 0.1
    assert f.ledger_error_fraction is not None
    assert f.ledger_error_fraction <= 0.01
    assert 500.0 < f.peak_axial_n <= 5000.0  # the buffer did work, within the design load
    assert f.peak_lateral_n <= 3000.0
    assert f.stop_hits == 0


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
