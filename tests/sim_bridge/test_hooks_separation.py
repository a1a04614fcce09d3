"""Structural hooks (locking), retraction and separation."""

from __future__ import annotations

import numpy as np
import pytest
from simkit import ARM, approach, run_to_capture, spread

from controller.types import ActuatorCommand, PlantFault, hooks_of_set
from sim_bridge.plant import Plant

CLOSE_A = ActuatorCommand(hook_motor_v=(28.0, 0.0))
CLOSE_BOTH = ActuatorCommand(hook_motor_v=(28.0, 28.0))


def _close(plant: Plant, cmd: ActuatorCommand, limit_s: float = 240.0) -> dict[int, float]:
    """Drive until each powered set's six hooks read >= 0.99; return the close time per set."""
    done: dict[int, float] = {}
    sets = [s for s in (0, 1) if cmd.hook_motor_v[s] > 0.0]
    max_spread = 0.0
    while plant.t_s < limit_s and len(done) < len(sets):
        plant.advance(cmd, 500)
        pos = np.array(plant.sense().hook_pos)
        for s in sets:
            hooks = list(hooks_of_set(s))
            max_spread = max(max_spread, spread(pos[hooks]))
            if s not in done and pos[hooks].min() >= 0.99:
                done[s] = plant.t_s
    done[-1] = max_spread
    return done


def test_each_set_closes_in_time_with_visible_spread() -> None:
    plant = Plant.mated("cn-10t-100t", seed=2, hooks_closed=False)
    assert max(plant.sense().hook_pos) < 0.02
    t = _close(plant, CLOSE_BOTH)
    for s in (0, 1):
        assert 60.0 <= t[s] <= 180.0, f"set {s} closed in {t[s]} s"
    # the per-hook sensors see a spread (rigging), inside DOMAIN 5's 5 % of stroke
    assert 0.01 < t[-1] <= 0.05
    loads = np.array(plant.sense().hook_load_n)
    assert np.all(np.abs(loads - 22_000.0) <= 2_200.0)  # preload +-10 %
    frame = plant.sense()
    assert all(frame.interface_contact)
    assert 15_000.0 <= plant.truth().extra["seal_force_n"] <= 30_000.0


def test_one_set_alone_reaches_preload_and_holds_the_interface() -> None:
    plant = Plant.mated("cn-10t-100t", seed=2, hooks_closed=False)
    t = _close(plant, CLOSE_A)
    assert 0 in t
    plant.advance(ActuatorCommand(), 2000)  # motor off: the gear self-locks
    loads = np.array(plant.sense().hook_load_n)
    a, b = list(hooks_of_set(0)), list(hooks_of_set(1))
    assert np.all(np.abs(loads[a] - 22_000.0) <= 2_200.0)
    assert np.all(loads[b] < 500.0)
    assert plant.truth().extra["min_structural_gap_m"] < 0.0005
    assert 15_000.0 <= plant.truth().extra["seal_force_n"] <= 30_000.0


def test_jammed_hook_stops_short_with_a_load_anomaly() -> None:
    plant = Plant.mated("cn-10t-100t", seed=2, hooks_closed=False)
    plant.advance(CLOSE_A, 40_000)
    jam_at = plant.sense().hook_pos[2]
    plant.inject(PlantFault("hook_jam", index=2))
    plant.advance(CLOSE_A, 150_000)
    frame = plant.sense()
    assert frame.hook_pos[2] == pytest.approx(jam_at, abs=0.01)
    assert frame.hook_pos[2] < 0.9
    others = [frame.hook_load_n[k] for k in hooks_of_set(0) if k != 2]
    # the jammed hook's drive link carries far more than its free-running neighbours
    assert frame.hook_load_n[2] > 5.0 * max(max(others), 500.0)
    assert frame.hook_motor_current_a[0] > 1.5  # the motor is stalled


def test_faulty_sets_do_not_move() -> None:
    plant = Plant.mated("cn-10t-100t", seed=2, hooks_closed=False)
    plant.inject(PlantFault("hook_motor_fail", index=0))
    plant.inject(PlantFault("cable_break", index=1))
    plant.advance(CLOSE_BOTH, 30_000)
    assert max(plant.sense().hook_pos) < 0.05
    assert plant.sense().hook_motor_speed_rad_s[1] > 100.0  # runs free, slack cable


def test_unlock_fail_keeps_the_set_closed() -> None:
    plant = Plant.mated("cn-10t-100t", seed=2)
    plant.inject(PlantFault("unlock_fail", index=1))
    plant.advance(ActuatorCommand(latch_release=True, hook_motor_v=(-28.0, -28.0)), 150_000)
    pos = np.array(plant.sense().hook_pos)
    assert pos[list(hooks_of_set(0))].max() < 0.02
    assert pos[list(hooks_of_set(1))].min() > 0.97


def test_separation_speed_and_no_recontact() -> None:
    plant = Plant.mated("cn-10t-100t", seed=4)
    assert plant.truth().energy_kinetic_j < 1e-6  # starts at rest, in equilibrium
    open_cmd = ActuatorCommand(latch_release=True, hook_motor_v=(-28.0, -28.0))
    while max(plant.sense().hook_pos) > 0.5:
        plant.advance(open_cmd, 500)
        assert plant.t_s < 240.0, "hooks did not open"
    assert plant.t_s <= 240.0  # DOMAIN 5: unlock <= 4 min
    fire = ActuatorCommand(latch_release=True, pushrods_fire=True)
    plant.advance(fire, 3000)
    speed = plant.truth().extra["separation_speed_m_s"]
    assert 0.05 <= speed <= 0.15
    assert all(plant.sense().pushrod_extended)
    gaps = []
    for _ in range(20):
        plant.advance(fire, 500)
        gaps.append(plant.truth().extra["min_structural_gap_m"])
        assert not plant.truth().in_contact
    assert np.all(np.diff(gaps) > 0.0)


def test_retraction_seats_the_guide_pins() -> None:
    cap = run_to_capture(approach(speed=0.10, lateral=0.05, pitch_deg=2.0))
    plant = cap.plant
    plant.advance(ARM, 10_000)
    plant.advance(ActuatorCommand(latch_arm=True, ring_centring=True), 20_000)
    # DOMAIN 5 residual motion before retraction: <= 5 mm/s, <= 0.05 deg/s, +-5 mm, +-0.5 deg
    pose = plant.batch.relative_pose()[0]
    assert np.linalg.norm(pose[3:6]) <= 0.005
    assert np.degrees(np.linalg.norm(pose[9:12])) <= 0.05
    frame = plant.sense()
    assert max(abs(v) for v in frame.ring_lateral_m) <= 0.005
    assert np.degrees(max(abs(v) for v in frame.ring_tilt_rad)) <= 0.5
    retract = ActuatorCommand(latch_arm=True, ring_centring=True, ring_speed_m_s=-0.005)
    frame = plant.sense()
    while not (frame.ring_retracted and all(frame.interface_contact)):
        plant.advance(retract, 500)
        frame = plant.sense()
        assert plant.t_s < 200.0, "retraction did not finish"
    plant.advance(retract, 20_000)  # the drive keeps pulling through the clutch
    frame = plant.sense()
    assert frame.ring_retracted
    assert all(frame.interface_contact)
    assert all(frame.latch_captured)
    # DOMAIN 2: guide-pin centring error <= 1-1.5 mm
    assert plant.truth().extra["guide_pin_error_m"] <= 0.0015
    assert frame.drive_current_a > 0.5  # the drive is pulling through the clutch


def test_drive_jam_stops_the_ring_and_raises_current() -> None:
    plant = approach()
    plant.inject(PlantFault("drive_jam"))
    before = plant.sense().ring_extension_b_m
    plant.advance(ActuatorCommand(ring_speed_m_s=-0.005), 2000)
    frame = plant.sense()
    assert frame.ring_extension_b_m == pytest.approx(before, abs=5e-4)
    assert frame.drive_current_a > 5.0
