"""Attacks of a hostile device, one test each: SAFE within a bound, no motion after bad data.

The device (``tests/hil/hostile.py``) is the real virtual microcontroller until
device time ``AT_S``, mid-retraction with the ring drive moving, then it lies.
Each test asserts the drives were commanded before the attack (so the check
below it could fail) and not once from the first bad report on.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from hostile import HostileDevice

from hil.backends.serial_hal import SerialHal
from hil.runner import RunResult, run
from hil.scenario import Command, Scenario
from hil.telemetry import float_column

AT_S = 40.0
PERIOD_S = 0.01
SCENARIO = Scenario(
    name="hostile",
    path="<test>",
    duration_s=46.0,
    period_s=PERIOD_S,
    commands=(Command(0.0, "dock"),),
)
MOTION = ("cmd_ring_speed_m_s", "cmd_hook_motor_v_0", "cmd_hook_motor_v_1")


@pytest.fixture
def attacked(request: pytest.FixtureRequest) -> Iterator[tuple[RunResult, HostileDevice]]:
    dev = HostileDevice(request.param, AT_S, PERIOD_S)
    try:
        hal = SerialHal(dev.path)
        yield run(SCENARIO, hal=hal), dev
    finally:
        dev.close()


def _motion(result: RunResult) -> np.ndarray:
    cols = result.telemetry.columns()
    return np.any([float_column(cols, c) != 0.0 for c in MOTION], axis=0)


def _safe_at(result: RunResult) -> float:
    return next(p["t_s"] for p in result.record.phases if p["phase"].startswith("SAFE"))


def _check_no_motion_after_attack(result: RunResult, first_bad_step: int = 0) -> None:
    moving = _motion(result)
    k0 = round(AT_S / PERIOD_S) + first_bad_step  # row k holds the report of step k
    assert moving[k0 - 500 : k0].any(), "the drives were not moving before the attack"
    assert not moving[k0:].any(), f"motion commanded {int(moving[k0:].sum())} times after it"
    assert result.record.final_phase == "SAFE"


@pytest.mark.slow
@pytest.mark.parametrize("attacked", ["nan", "fullscale"], indirect=True)
def test_bad_values_hold_at_once_and_end_safe(attacked: tuple[RunResult, HostileDevice]) -> None:
    result, dev = attacked
    assert dev.attacked > 0
    _check_no_motion_after_attack(result)
    assert _safe_at(result) <= AT_S + 0.3  # the staleness limit (0.2 s) and a cycle


@pytest.mark.slow
@pytest.mark.parametrize("attacked", ["freeze", "reverse"], indirect=True)
def test_a_broken_clock_ends_the_run_safe(attacked: tuple[RunResult, HostileDevice]) -> None:
    result, _ = attacked
    # the first rewritten report still carries the true time (AT_S): the lie starts after it
    _check_no_motion_after_attack(result, first_bad_step=1)
    rec = result.record
    assert rec.outcome == "ERROR"
    assert any(e["kind"] == "clock_fault" for e in rec.events), rec.error


@pytest.mark.slow
@pytest.mark.parametrize("attacked", ["wrong_apid"], indirect=True)
def test_reports_under_another_apid_are_a_link_fault(
    attacked: tuple[RunResult, HostileDevice],
) -> None:
    result, _ = attacked
    rec = result.record
    assert rec.outcome == "ERROR"
    assert rec.final_phase == "SAFE"
    assert any(e["kind"] == "link_fault" for e in rec.events)
    assert rec.link["wrong_apid"] >= 1
    assert rec.sim_time_s <= AT_S + 0.02  # not one more step on unverified data


@pytest.mark.slow
@pytest.mark.parametrize("attacked", ["flood"], indirect=True)
def test_a_flood_of_garbage_is_counted_and_ridden_out(
    attacked: tuple[RunResult, HostileDevice],
) -> None:
    result, dev = attacked
    rec = result.record
    assert dev.attacked > 100
    assert rec.outcome != "ERROR", rec.error
    assert rec.sim_time_s >= SCENARIO.duration_s - 0.02  # the docking went on to the end
    assert rec.link["bytes_discarded"] >= 4096 * 100
