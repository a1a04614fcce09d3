"""The pytest plugin: fixtures, markers and waits in simulated time, on whatever --hal-url is."""

from __future__ import annotations

import pytest

from controller.laws import pairs_captured
from controller.types import PlantFault
from hil.pytest_plugin import Dut, DutTimeoutError

pytest_plugins = ["pytester"]


@pytest.mark.initial(distance_m=0.2, closing_speed_m_s=0.1, lateral_offset_m=(0.03, 0.0))
def test_dut_captures_within_3_s_of_contact(dut: Dut) -> None:
    assert dut.command("dock")
    dut.wait_for_phase("CONTACT", timeout_s=10.0)
    assert dut.wait_for_phase("BUFFERING", timeout_s=3.0) <= 3.0
    # every pair holds (either latch of a pair suffices: they are duplicated); the second
    # latch of a pair may still be on its ramp when BUFFERING begins
    assert pairs_captured(dut.frame.latch_captured) == 3
    assert dut.loop.interlock_violations == 0
    assert not [e for e in dut.events if e["kind"] == "interlock_violation"]


def test_rejected_command_and_timeout_message(dut: Dut) -> None:
    assert not dut.command("undock")  # not mated: rejected, not a crash
    with pytest.raises(DutTimeoutError, match=r"phase MATED not met within 0\.5 s"):
        dut.wait_for_phase("MATED", timeout_s=0.5)
    rejected = [e["detail"] for e in dut.events if e["kind"] == "command_rejected"]
    assert len(rejected) == 1
    assert rejected[0].startswith("undock")


@pytest.mark.fault_injection
@pytest.mark.initial(distance_m=0.2, closing_speed_m_s=0.1)
def test_failed_latches_give_no_full_capture(dut: Dut) -> None:
    for k in range(6):
        dut.inject(PlantFault("latch_fail", index=k))
    dut.command("dock")
    dut.wait_for_phase("CONTACT", timeout_s=10.0)
    dut.run_for(4.0)
    assert not any(dut.frame.latch_captured)
    assert dut.phase.split(".")[0] != "BUFFERING"


def test_markers_and_options(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.hardware
        def test_needs_bench(hal):
            pass

        def test_url(hal_url, hal):
            assert hal_url == "sim://?seed=3"
            assert "lockstep" in hal.capabilities
        """
    )
    result = pytester.runpytest("--hal-url", "sim://?seed=3", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=1)
    result = pytester.runpytest("--hal-url", "nope://", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*cannot open HAL nope://*"])
