"""Runs are bounded: a device clock that stops, runs back or jumps is a fault, and a run
cannot outstay its scenario (issue 15, point 2). Each of these hung or ran on before."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import pytest

from controller.types import ActuatorCommand, InitialConditions, SensorFrame, Truth
from hil.backends import open_hal
from hil.runner import run
from hil.scenario import Command, Scenario

Warp = Callable[[int, float], float]
"""(cycle index, the true device time) -> the time stamp the device reports."""


class WarpedClockHal:
    """``sim://`` whose frames carry a rewritten time stamp: a device with a broken clock."""

    def __init__(self, warp: Warp) -> None:
        self.inner = open_hal("sim://?period=0.01")
        self.warp = warp
        self.n = 0

    @property
    def capabilities(self) -> frozenset[str]:
        return self.inner.capabilities

    @property
    def period_s(self) -> float:
        return self.inner.period_s

    def read(self) -> SensorFrame:
        frame = self.inner.read()
        self.n += 1
        return dataclasses.replace(frame, t_s=self.warp(self.n, frame.t_s))

    def write(self, cmd: ActuatorCommand) -> None:
        self.inner.write(cmd)

    def truth(self) -> Truth | None:
        return self.inner.truth()

    def close(self) -> None:
        self.inner.close()


SCENARIO = Scenario(
    name="bounded",
    path="<test>",
    duration_s=30.0,
    initial=InitialConditions(distance_m=0.3),
    commands=(Command(0.0, "dock"),),
)


@pytest.mark.parametrize(
    ("warp", "words"),
    [
        (lambda n, t: min(t, 0.5), "stood still"),
        (lambda n, t: t if n < 60 else t - 0.3, "ran backwards"),
        (lambda n, t: t if n < 60 else t + 50.0, "jumped"),
    ],
    ids=["frozen", "backwards", "jump"],
)
def test_a_broken_device_clock_ends_the_run_safe(warp: Warp, words: str) -> None:
    t0 = time.monotonic()
    rec = run(SCENARIO, hal=WarpedClockHal(warp)).record  # type: ignore[arg-type]
    assert time.monotonic() - t0 < 60.0
    assert rec.outcome == "ERROR"
    assert words in (rec.error or "")
    assert any(e["kind"] == "clock_fault" for e in rec.events)
    assert rec.final_phase == "SAFE"


def test_a_healthy_clock_is_not_a_fault() -> None:
    rec = run(SCENARIO, hal=WarpedClockHal(lambda n, t: t)).record  # type: ignore[arg-type]
    assert not any(e["kind"] in ("clock_fault", "run_limit") for e in rec.events)


def test_a_run_cannot_outstay_its_scenario() -> None:
    """A clock that creeps (never still, never reaching the end) hits the cycle limit."""
    creep = WarpedClockHal(lambda n, t: n * 1e-7)
    rec = run(dataclasses.replace(SCENARIO, duration_s=0.5), hal=creep).record  # type: ignore[arg-type]
    assert rec.outcome == "ERROR"
    assert "cycles" in (rec.error or "")
    assert any(e["kind"] == "run_limit" for e in rec.events)
    assert creep.n < 2000


def test_a_controller_bug_ends_the_run_error_with_the_record_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 10, point 3: a failing procedure latches SAFE inside the controller; the
    runner keeps the record and the telemetry and ends the run ERROR, no traceback."""
    from controller import laws

    def broken(*_: object, **__: object) -> ActuatorCommand:
        raise ZeroDivisionError("injected")

    monkeypatch.setattr(laws, "buffering_command", broken)
    result = run(SCENARIO)
    rec = result.record
    assert rec.outcome == "ERROR"
    assert rec.final_phase == "SAFE"
    assert "ZeroDivisionError: injected in phase CAPTURE" in (rec.error or "")
    assert any(e["kind"] == "internal_fault" for e in rec.events)
    t = result.telemetry.columns()["t_s"]
    assert len(t) > 100  # what was recorded before and after the bug is kept
    assert any(m.name == "contact_closing_speed_m_s" and m.value for m in rec.measurements)
