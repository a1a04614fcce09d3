"""Take a fault response out of the controller and its fault scenario must FAIL.

Shows that the scenarios in docs/faults.md test the responses, not merely
that the run ends somewhere: each test disables one response with
``monkeypatch`` and checks that the scenario's outcome flips to FAIL on the
expectation that describes the response. (The unpatched scenarios pass in
tests/hil/test_fault_library.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from controller import laws
from controller.config import ControllerConfig
from controller.machine import _Model
from controller.sequences.context import Cycle
from controller.sequences.locking import SealCheck
from controller.types import SensorFrame
from hil.runner import run
from hil.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def failed_expectations(name: str) -> tuple[str, set[str]]:
    record = run(load_scenario(ROOT / "scenarios" / f"{name}.toml")).record
    failed = {m.name for m in record.measurements if m.outcome == "FAIL"}
    failed |= {c.name for c in record.checks if c.outcome == "FAIL"}
    return record.outcome, failed


def test_without_the_capture_retry_nocap_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """NOCAP: no re-arm and retry, straight to ABORT at the first T_cap."""
    monkeypatch.setattr(_Model, "capture_retry_left", property(lambda self: False))
    outcome, failed = failed_expectations("fault-nocap")
    assert outcome == "FAIL"
    assert "event retry:capture retry 1" in failed


def test_without_the_hook_set_failover_a_dead_motor_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Hook-set motor failure: a set that never gives up keeps the other from finishing."""
    original = laws.drive_hook_set

    def never_give_up(
        st: laws.HookSetState, frame: SensorFrame, t_s: float, cfg: ControllerConfig
    ) -> float:
        volts = original(st, frame, t_s, cfg)
        if st.mode == "failed":
            st.mode = "drive"
            st.window_mean_pos = -1.0
            return cfg.hook_voltage_close_v
        return volts

    monkeypatch.setattr(laws, "drive_hook_set", never_give_up)
    outcome, failed = failed_expectations("fault-hook-motor")
    assert outcome == "FAIL"
    assert {"final_phase in MATED", "event degraded:hook_set_A"} <= failed


def test_without_the_sensor_loss_transition_nan_data_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Persistent NaN: holding forever instead of going SAFE is wrong."""
    monkeypatch.setattr(_Model, "sensor_data_lost", property(lambda self: False))
    outcome, failed = failed_expectations("fault-sensor-nan")
    assert outcome == "FAIL"
    assert {"final_phase in SAFE", "event safe:sensor data lost"} <= failed


def test_without_the_seal_leak_response_the_leak_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """Seal leak: counting a failed decay test as sealed opens the tunnel on a leak."""

    def ignore_leak(self: SealCheck, c: Cycle, why: str) -> None:
        self.seal_check_done = True
        c.sealed = True

    monkeypatch.setattr(SealCheck, "attempt_failed", ignore_leak)
    outcome, failed = failed_expectations("fault-seal-leak")
    assert outcome == "FAIL"
    assert {"event degraded:seal_leak", "event retry:seal: re-tighten"} <= failed
