"""The plant against the published record (DOMAIN 2a), one test per row of docs/validation.md.

Each row is checked where it holds and shown to fail where the physics that
makes it hold is taken away (no brake, no dampers, no thrust), so none of
them can pass by construction. Rows that the model does not yet meet at every
corner are listed in ``KNOWN_SHORT`` with their measured values in the page;
the tests check they are still short, so fixing one fails the test until the
page and the list are updated.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import itertools
import math
from pathlib import Path

import pytest

from controller.types import PlantFault
from sim_bridge.envelope import Envelope, corners, start_conditions
from sim_bridge.preset import load_preset
from sim_bridge.validation import (
    FLIGHT_CONTACT_TO_LOCK_S,
    CaptureFigures,
    absorber_force_vs_speed,
    central,
    corner_starts,
    flight_like,
    restitution,
    scripted_captures,
    slightly_off,
)

ROOT = Path(__file__).resolve().parents[2]
ENV = Envelope.of("cn-10t-100t")
NO_DAMPING = (PlantFault("damper_weak", value=0.0), PlantFault("brake_fail", value=0.0))

KNOWN_SHORT = frozenset(
    {
        # corners whose DOMAIN 2a energy fraction stays under 0.9 in the scripted capture
        # (docs/validation.md, "What still falls short"): the misalignment stored in the
        # tilt buffer at capture is still being worked off 10 s later
        "maker-slow-petal-div-pos",
        "maker-slow-petal-conv-neg",
        "maker-slow-between-div-pos",
        "maker-slow-between-div-neg",
        "maker-slow-between-conv-pos",
        "maker-fast-petal-div-pos",
        "maker-fast-between-div-neg",
    }
)


@pytest.fixture(scope="module")
def corner_figures() -> dict[str, CaptureFigures]:
    starts = corner_starts()
    figs = scripted_captures([ic for _, ic in starts])
    return {name: f for (name, _), f in zip(starts, figs, strict=True)}


def test_corner_scenarios_are_what_the_generator_writes() -> None:
    path = ROOT / "scenarios" / "envelope" / "maker_corners.py"
    spec = importlib.util.spec_from_file_location("maker_corners", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for file, text in module.expected_files().items():
        assert file.read_text(encoding="utf-8") == text, f"{file.name} is stale: run {path}"
    assert len(module.expected_files()) == 16


def test_corners_are_inside_the_envelope_and_at_its_limits() -> None:
    for corner in corners(ENV):
        c = corner.at_contact(ENV)
        assert ENV.contains(c), corner.name
        assert not ENV.contains(dataclasses.replace(c, closing_speed_m_s=0.2))  # can fail
        assert not ENV.contains(dataclasses.replace(c, lateral_offset_m=(0.17, 0.0)))
    starts = {name for name, _ in corner_starts()}
    assert len(starts) == 16


def test_every_corner_captures_within_3_s(corner_figures: dict[str, CaptureFigures]) -> None:
    for name, f in corner_figures.items():
        assert f.capture_after_contact_s is not None, f"{name}: no capture"
        assert f.capture_after_contact_s <= 3.0, f"{name}: {f.capture_after_contact_s:.2f} s"
        assert f.stop_hits == 0, f"{name}: the ring hit a stop inside the envelope"


def test_peak_axial_force_within_the_makers_limit(
    corner_figures: dict[str, CaptureFigures],
) -> None:
    for name, f in corner_figures.items():
        assert f.peak_axial_n <= ENV.axial_force_max_n, f"{name}: {f.peak_axial_n:.0f} N"
    # the limit can fail: far outside the envelope, with no brake and no dampers
    hard = scripted_captures([central(0.6, distance_m=0.2)], faults=NO_DAMPING)[0]
    assert hard.peak_axial_n > ENV.axial_force_max_n


def test_absorber_force_rises_with_speed_like_a_friction_brake() -> None:
    """[S14 p.239]: the central-impact absorber force. A friction brake's is flat in the
    closing speed, a spring absorber's proportional to it (F = v sqrt(k m)); the model's
    EM dampers add a proportional share (5 kN s/m at contact on a 2 kN brake). The shape
    is the brake's when 3.1x the speed raises the force by less than the geometric middle
    of the two, sqrt(3.1) = 1.77x; a stiff spring in place of brake and dampers does not."""
    speeds = [0.08, 0.12, 0.18, 0.25]
    middle = math.sqrt(speeds[-1] / speeds[0])
    force = absorber_force_vs_speed(speeds)
    assert all(b >= a for a, b in itertools.pairwise(force)), force
    assert force[-1] / force[0] < middle, force
    spring = load_preset("cn-10t-100t").with_overrides({"buffer.axial_stiffness_n_m": 2.0e5})
    springy = absorber_force_vs_speed(speeds, preset=spring, faults=NO_DAMPING)
    assert springy[-1] / springy[0] > middle, springy


def test_restitution_at_most_0_3_with_latches_disabled() -> None:
    speeds = [0.08, 0.12, 0.18]
    assert max(restitution(speeds)) <= 0.3
    # an ideal spring would give 1: without dampers and brake the ring throws the chaser back
    assert max(restitution(speeds, faults=NO_DAMPING)) > 0.3


def test_slow_impact_without_thrust_rebounds() -> None:
    """Apollo-Soyuz: a slow approach captured only with the jets firing after contact.

    Reproduced for the nominal small misalignment (0.05 m, 2 deg) at the maker's
    slowest speed; a perfectly aligned central impact still captures without the push
    (docs/validation.md: the guides then cost no energy and the ramps only 9 J)."""
    without, with_thrust = (
        scripted_captures([slightly_off(0.08)], thrust=thrust)[0] for thrust in (False, True)
    )
    assert without.t_contact_s is not None
    assert without.capture_after_contact_s is None, "captured without the chaser's push"
    assert with_thrust.capture_after_contact_s is not None
    assert with_thrust.capture_after_contact_s <= 3.0
    aligned = scripted_captures([central(0.08)], thrust=False)[0]
    assert aligned.capture_after_contact_s is not None  # the known deviation (page)


def test_ledger_closes_within_1_percent_at_every_corner(
    corner_figures: dict[str, CaptureFigures],
) -> None:
    for name, f in corner_figures.items():
        assert f.ledger_error_fraction is not None, name
        assert f.ledger_error_fraction <= 0.01, f"{name}: {f.ledger_error_fraction:.4f}"
    # the model's own error is far inside DOMAIN 2a's 1 %: at most 0.11 % since the buffer's
    # roll/tilt moment is the exact derivative of its energy (with q_w r alone, 0.24-0.93 %
    # at the slow corners: docs/validation.md)
    worst = max(f.ledger_error_fraction or 0.0 for f in corner_figures.values())
    assert worst <= 0.002, worst


def test_actuator_work_during_buffering_at_most_0_1_e0(
    corner_figures: dict[str, CaptureFigures],
) -> None:
    for name, f in corner_figures.items():
        assert f.actuator_work_fraction_10s is not None, name
        assert f.actuator_work_fraction_10s <= 0.1, f"{name}: {f.actuator_work_fraction_10s:.3f}"


def test_energy_fraction_at_the_corners(corner_figures: dict[str, CaptureFigures]) -> None:
    for name, f in corner_figures.items():
        assert f.energy_fraction_10s is not None, name
        if name in KNOWN_SHORT:
            assert f.energy_fraction_10s < 0.9, f"{name} now meets 0.9: update the page"
        else:
            assert f.energy_fraction_10s >= 0.9, f"{name}: {f.energy_fraction_10s:.3f}"


def test_energy_fraction_fails_without_dampers_and_brake() -> None:
    corner = next(c for c in corners(ENV) if c.name == "maker-fast-petal-conv-pos")
    ic = start_conditions("cn-10t-100t", corner.at_contact(ENV))
    healthy, broken = (scripted_captures([ic], faults=fs)[0] for fs in ((), NO_DAMPING))
    assert healthy.energy_fraction_10s is not None
    assert broken.energy_fraction_10s is not None
    assert broken.energy_fraction_10s < 0.9 <= healthy.energy_fraction_10s


def test_flight_like_timeline_check() -> None:
    lo, hi = FLIGHT_CONTACT_TO_LOCK_S
    assert (lo, hi) == (330.0, 510.0)  # 7 +- 1.5 min (DOMAIN 5, flights [S34])
    assert flight_like(390.0)
    assert not flight_like(252.0)  # the old plant's nominal
    assert not flight_like(600.0)


def test_brake_in_the_tilt_channels_stops_capture() -> None:
    """Why the friction brake stays on the longitudinal channel (docs/validation.md).

    With the brake in each screw pair's channel of the linkage, its tilt slip moment is
    0.30 m x the command (preset ``brake.tilt_ratio_m``, [D]); at the controller's
    contact set-point that is 600 N m on top of the 240 N m preload and the ring is no
    longer soft in tilt (DOMAIN 2a [S14 p.65]): most corners stop capturing. After
    capture, at the buffering set-point, it hardly changes the 10 s energy fraction."""
    starts = corner_starts()
    assert load_preset("cn-10t-100t").get("brake.tilt_ratio_m") == 0.0
    in_pairs = load_preset("cn-10t-100t").with_overrides({"brake.tilt_ratio_m": 0.30})
    figs = scripted_captures([ic for _, ic in starts], preset=in_pairs)
    missed = [
        n for (n, _), f in zip(starts, figs, strict=True) if f.capture_after_contact_s is None
    ]
    assert len(missed) >= 8, missed
