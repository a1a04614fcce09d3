"""Determinism, seed independence of the dynamics, and batch == single."""

from __future__ import annotations

import numpy as np
import pytest
from simkit import ARM, PRESET

from controller.types import ActuatorCommand, InitialConditions
from sim_bridge import _layout as L  # noqa: N812
from sim_bridge.plant import BatchPlant, Plant, command_vector

IC = InitialConditions(
    distance_m=0.3,
    closing_speed_m_s=0.12,
    lateral_offset_m=(0.04, -0.02),
    angle_deg=(0.5, 1.5, -1.0),
    rate_deg_s=(0.0, 0.05, 0.0),
)


def _record(seed: int) -> tuple[np.ndarray, np.ndarray]:
    plant = Plant(PRESET, IC, seed=seed)
    frames, states = [], []
    for _ in range(400):  # 4 s through contact and capture
        plant.advance(ARM, 10)
        frames.append(plant.batch.sense_array(0))
        states.append(plant.batch.state[0])
    return np.array(frames), np.array(states)


def test_same_seed_is_bit_identical() -> None:
    f1, s1 = _record(7)
    f2, s2 = _record(7)
    assert np.array_equal(f1, f2)
    assert np.array_equal(s1, s2)


def test_different_seeds_differ_only_in_the_noise() -> None:
    f1, s1 = _record(7)
    f2, s2 = _record(8)
    assert np.array_equal(s1, s2)  # the true dynamics never see the seed
    assert not np.array_equal(f1, f2)
    noisy = f1[:, L.S_REL_POS] - s1[:, 0]  # not a true value; just check both are close to truth
    assert np.all(np.isfinite(noisy))
    rel = np.abs(f1[:, L.S_REL_POS + 1] - f2[:, L.S_REL_POS + 1])
    assert 0.0 < rel.max() < 0.01  # noise of the order of the 1 mm sensor sigma
    # switches and latch flags carry no noise
    assert np.array_equal(f1[:, L.S_LATCH : L.S_LATCH + 6], f2[:, L.S_LATCH : L.S_LATCH + 6])


def test_noise_statistics_follow_the_preset() -> None:
    plant = Plant(PRESET, InitialConditions(), seed=3)
    truth_y = plant.batch.relative_pose()[0, 1]
    ys = []
    for _ in range(4000):
        plant.step(ActuatorCommand())
        ys.append(plant.sense().rel_pos_m[1])
    err = np.array(ys) - truth_y
    sigma = plant.preset.get("sensors.rel_pos_noise_m")
    assert abs(err.mean()) < 0.1 * sigma
    assert err.std() == pytest.approx(sigma, rel=0.1)


def test_batch_of_three_equals_three_single_runs() -> None:
    ics = [
        IC,
        InitialConditions(distance_m=0.25, closing_speed_m_s=0.2, lateral_offset_m=(0.0, 0.06)),
        InitialConditions(distance_m=0.3, closing_speed_m_s=0.08, angle_deg=(0.0, 0.0, 3.0)),
    ]
    seeds = [11, 12, 13]
    cmds = [ARM, ActuatorCommand(latch_arm=True, damper_n_s_m=8000.0), ARM]
    batch = BatchPlant(PRESET, ics, seeds)
    singles = [Plant(PRESET, ic, seed=s) for ic, s in zip(ics, seeds, strict=True)]
    u = np.stack([command_vector(c) for c in cmds])
    for _ in range(5):
        batch.advance(u, 1000)
        for plant, cmd in zip(singles, cmds, strict=True):
            plant.advance(cmd, 1000)
        for i, plant in enumerate(singles):
            assert np.array_equal(batch.state[i], plant.batch.state[0])
            assert np.array_equal(batch.sense_array(i), plant.batch.sense_array(0))
    assert batch.latch_captured().all()
    assert np.array_equal(batch.hook_pos()[1], singles[1].batch.hook_pos()[0])
    e = batch.energies()
    assert np.allclose(e["total_j"], [p.truth().extra["energy_total_j"] for p in singles])


def test_parallel_batch_matches_serial() -> None:
    ics = [InitialConditions(closing_speed_m_s=0.05 + 0.01 * k) for k in range(10)]
    par = BatchPlant(PRESET, ics, list(range(10)))
    ser = BatchPlant(PRESET, ics[:3], list(range(3)))
    par.advance(ARM, 3000)
    ser.advance(ARM, 3000)
    assert np.array_equal(par.state[:3], ser.state)
    moved = par.relative_pose()[:, 0] < 0.3 + 0.4
    assert np.all(moved)  # every run advanced, not just the first three
