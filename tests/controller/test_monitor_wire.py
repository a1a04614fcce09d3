"""No plausibility range is wider than the wire, and a pegged channel is bad data.

Issue 15, point 11: loads were plausible up to +-500 kN and currents up to
+-200 A while the wire carries +-65.5 kN and +-32.8 A, so a load pegged at the
wire's full scale passed every check and retraction went on for 50 s.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from ctl_frames import make_frame

from controller.config import ControllerConfig
from controller.machine import DockingController
from controller.monitor import BAD, FrameMonitor, implausible, wire_range
from controller.phases import Phase
from controller.protocol.housekeeping import HK_LAYOUT

FULL_SCALE = {name: 32767 / k for name, _, k, _ in HK_LAYOUT}


@pytest.mark.parametrize(
    ("field", "value", "index"),
    [
        ("axial_load_n", FULL_SCALE["axial_load_n"], None),
        ("lateral_load_n", -FULL_SCALE["lateral_load_n"], None),
        ("drive_current_a", FULL_SCALE["drive_current_a"], None),
        ("hook_load_n", FULL_SCALE["hook_load_n"], 4),
        ("hook_motor_current_a", -FULL_SCALE["hook_motor_current_a"], 1),
        ("rel_vel_m_s", FULL_SCALE["rel_vel_m_s"], 0),
    ],
)
def test_a_channel_pegged_at_full_scale_is_implausible(
    cfg: ControllerConfig, field: str, value: float, index: int | None
) -> None:
    frame = make_frame()
    if index is None:
        pegged = replace(frame, **{field: value})
        one_below = replace(frame, **{field: value * (1 - 2 / 32767)})
    else:
        items = list(getattr(frame, field))
        items[index] = value
        pegged = replace(frame, **{field: tuple(items)})
        items[index] = value * (1 - 2 / 32767)
        one_below = replace(frame, **{field: tuple(items)})
    assert implausible(pegged, cfg) is not None
    assert implausible(one_below, cfg) is None  # two counts below full scale is a reading


def test_every_range_is_inside_the_wire(cfg: ControllerConfig) -> None:
    assert wire_range(cfg.range_load_n, "axial_load_n") == pytest.approx((-65533.0, 65533.0))
    assert wire_range(cfg.range_drive_current_a, "drive_current_a")[1] < 32.767
    assert wire_range((-1.0, 1.0), "axial_load_n") == (-1.0, 1.0)  # narrower ranges stay


def test_pegged_load_during_retraction_ends_safe_within_the_staleness_limit(
    cfg: ControllerConfig,
) -> None:
    """Bad frames hold the drives at once and latch SAFE when they persist."""
    ctl = DockingController(cfg)
    ctl.force_phase(Phase.RETRACTION)
    mon = FrameMonitor(cfg)
    good = make_frame()
    for k in range(10):  # readings fine ...
        ctl.step(replace(good, t_s=k * 0.01, seq=k))
    t0 = 0.09
    frame = make_frame(axial_load_n=FULL_SCALE["axial_load_n"])  # ... then the load pegs
    assert mon.check(replace(frame, t_s=0.0, seq=0)) == BAD
    t = t0
    for k in range(10, 1000):
        t = k * 0.01
        cmd = ctl.step(replace(frame, t_s=t, seq=k))
        assert cmd.ring_speed_m_s == 0.0  # nothing moves on a pegged load
        if ctl.phase == "SAFE":
            break
    assert ctl.phase == "SAFE"
    assert t - t0 <= cfg.staleness_limit_s + 0.02


@pytest.mark.parametrize(
    "rel_pos",
    [
        (FULL_SCALE["rel_pos_m"], 0.01, 0.0),  # the gap saturated on the wire
        (5.0, 0.01, 0.0),  # in process: a chaser 5 m out (SimSetup allows 10 m)
        (FULL_SCALE["rel_pos_m"], -FULL_SCALE["rel_pos_m"], FULL_SCALE["rel_pos_m"]),
    ],
)
def test_a_chaser_beyond_the_gap_s_full_scale_is_far_not_a_failed_sensor(
    cfg: ControllerConfig, rel_pos: tuple[float, float, float]
) -> None:
    """The gap at or above full scale reads "at least this far": a chaser starting further
    out, or backing off after a NOCAP retry, put the controller in SAFE with "sensor data
    lost: rel_pos_m" (out-of-envelope ended SAFE at 81 s, a start 5 m out at 2 s)."""
    assert implausible(make_frame(rel_pos_m=rel_pos), cfg) is None


@pytest.mark.parametrize(
    "rel_pos",
    [
        (0.3, FULL_SCALE["rel_pos_m"], 0.0),  # a lateral channel pegged while the gap reads
        (-FULL_SCALE["rel_pos_m"], 0.0, 0.0),  # a gap pegged negative (frames overlapping)
        (float("inf"), 0.0, 0.0),
        (float("nan"), 0.0, 0.0),
        (5.0, float("nan"), 0.0),
        (2.0e4, 0.0, 0.0),  # beyond the configured range
    ],
)
def test_the_far_reading_excuses_nothing_else(
    cfg: ControllerConfig, rel_pos: tuple[float, float, float]
) -> None:
    assert implausible(make_frame(rel_pos_m=rel_pos), cfg) == "rel_pos_m"
