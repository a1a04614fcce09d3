"""Frame monitor: plausibility, staleness, redundancy, undervoltage, with hand-built frames."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from ctl_frames import make_frame

from controller.config import ControllerConfig
from controller.monitor import (
    BAD,
    HOLD,
    OK,
    REPEAT,
    FrameMonitor,
    implausible,
    seal_sensors_fault,
)

NAN = math.nan
INF = math.inf


def test_nominal_frame_is_plausible(cfg: ControllerConfig) -> None:
    assert implausible(make_frame(), cfg) is None


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"bus_voltage_v": NAN}, "bus_voltage_v"),
        ({"rel_pos_m": (0.1, NAN, 0.0)}, "rel_pos_m"),
        ({"rel_vel_m_s": (0.0, 0.0, INF)}, "rel_vel_m_s"),
        ({"rel_angle_rad": (0.0, 4.0, 0.0)}, "rel_angle_rad"),
        ({"rel_rate_rad_s": (-INF, 0.0, 0.0)}, "rel_rate_rad_s"),
        ({"ring_extension_m": NAN}, "ring_extension_m"),
        ({"ring_extension_b_m": 5.0}, "ring_extension_b_m"),
        ({"ring_extension_m": 0.31, "ring_extension_b_m": 0.30}, "ring_extension_disagree"),
        ({"ring_extension_m": 0.0, "ring_extension_b_m": 0.4}, "ring_extension_disagree"),
        ({"ring_speed_m_s": NAN}, "ring_speed_m_s"),
        ({"ring_lateral_m": (0.0, 2.0)}, "ring_lateral_m"),
        ({"ring_tilt_rad": (NAN, 0.0)}, "ring_tilt_rad"),
        ({"axial_load_n": INF}, "load_n"),
        ({"lateral_load_n": NAN}, "load_n"),
        ({"drive_current_a": 1e6}, "drive_current_a"),
        ({"hook_pos": (0.0,) * 11 + (NAN,)}, "hook_pos"),
        ({"hook_pos": (0.0,) * 11}, "hook_pos"),
        ({"hook_load_n": (INF,) + (0.0,) * 11}, "hook_load_n"),
        ({"hook_motor_current_a": (0.0, NAN)}, "hook_motor_current_a"),
        ({"hook_motor_speed_rad_s": (1e9, 0.0)}, "hook_motor_speed_rad_s"),
        ({"cable_tension_n": (NAN, 0.0)}, "cable_tension_n"),
    ],
)
def test_implausible_values_are_named(
    cfg: ControllerConfig, overrides: dict[str, object], reason: str
) -> None:
    assert implausible(make_frame(**overrides), cfg) == reason


def test_seal_transducer_disagreement_is_soft(cfg: ControllerConfig) -> None:
    f = make_frame(seal_cavity_pressure_pa=50_000.0, seal_cavity_pressure_b_pa=40_000.0)
    assert implausible(f, cfg) is None
    assert seal_sensors_fault(f, cfg) == "seal_cavity_pressure_disagree"
    assert seal_sensors_fault(make_frame(seal_cavity_pressure_b_pa=NAN), cfg) is not None
    assert seal_sensors_fault(make_frame(), cfg) is None


def _feed(mon: FrameMonitor, ts: list[float], **over: object) -> list[int]:
    out = []
    for i, t in enumerate(ts):
        out.append(mon.check(make_frame(t_s=t, seq=i, **over)))
    return out


def test_time_must_advance(cfg: ControllerConfig) -> None:
    mon = FrameMonitor(cfg)
    assert _feed(mon, [0.0, 0.001, 0.001, 0.0005, 0.002]) == [OK, OK, BAD, BAD, OK]
    assert mon.reason == ""
    assert not mon.data_lost


def test_the_same_frame_again_is_no_new_data_then_bad() -> None:
    """Real time: the host may wake before the next report; a few repeats are not bad data."""
    cfg = ControllerConfig(max_repeated_frames=3)
    mon = FrameMonitor(cfg)
    first, again = make_frame(t_s=0.0, seq=0), make_frame(t_s=0.001, seq=1)
    statuses = [mon.check(f) for f in (first, again, again, again, again, again)]
    assert statuses == [OK, OK, REPEAT, REPEAT, REPEAT, BAD]
    assert mon.reason == "t_s_not_advancing"
    assert mon.check(make_frame(t_s=0.002, seq=2)) == OK


def test_controller_keeps_its_command_on_a_repeated_frame() -> None:
    from controller.machine import DockingController

    ctl = DockingController()
    ctl.command("dock", 0.0)
    frame = make_frame(t_s=0.5, seq=5)
    ctl.step(make_frame(t_s=0.49, seq=4))
    cmd = ctl.step(frame)
    assert ctl.step(frame) is cmd
    assert [e for e in ctl.drain_events() if e.kind == "fault"] == []


def test_frozen_clock_persisting_goes_to_data_lost() -> None:
    cfg = ControllerConfig(max_consecutive_bad_frames=10)
    mon = FrameMonitor(cfg)
    _feed(mon, [0.0] + [0.001] * 10)
    assert not mon.data_lost
    mon.check(make_frame(t_s=0.001, seq=99))
    assert mon.data_lost


def test_gap_longer_than_staleness_limit_is_data_loss(cfg: ControllerConfig) -> None:
    mon = FrameMonitor(cfg)
    assert _feed(mon, [0.0, 0.001, 0.001 + cfg.staleness_limit_s * 1.5]) == [OK, OK, BAD]
    assert mon.reason == "stale_gap"
    assert mon.data_lost


def test_short_gap_is_fine_and_dt_is_frame_time(cfg: ControllerConfig) -> None:
    mon = FrameMonitor(cfg)
    _feed(mon, [0.0, 0.05])
    assert mon.dt_s == pytest.approx(0.05)
    assert not mon.data_lost


def test_seq_gaps_are_counted_not_held(cfg: ControllerConfig) -> None:
    mon = FrameMonitor(cfg)
    assert mon.check(make_frame(t_s=0.0, seq=1)) == OK
    assert mon.check(make_frame(t_s=0.001, seq=5)) == OK
    assert mon.seq_gaps == 1


def test_undervoltage_holds(cfg: ControllerConfig) -> None:
    mon = FrameMonitor(cfg)
    assert mon.check(make_frame(t_s=0.0, bus_voltage_v=cfg.bus_undervoltage_v - 1)) == HOLD
    assert mon.reason == "bus_undervoltage"
    assert mon.check(make_frame(t_s=0.001)) == OK


def test_bad_data_for_longer_than_staleness_is_lost(cfg: ControllerConfig) -> None:
    mon = FrameMonitor(cfg)
    mon.check(make_frame(t_s=0.0))
    t = 0.0
    while t < cfg.staleness_limit_s * 0.9:
        t += 0.01
        mon.check(make_frame(t_s=t, rel_vel_m_s=(NAN, 0.0, 0.0)))
    assert not mon.data_lost
    mon.check(make_frame(t_s=cfg.staleness_limit_s * 1.1, rel_vel_m_s=(NAN, 0.0, 0.0)))
    assert mon.data_lost
    mon.reset()
    assert not mon.data_lost
    assert mon.check(replace(make_frame(), t_s=10.0)) == OK


def test_implausible_reuses_the_monitors_answer_only_for_that_frame_and_config(
    cfg: ControllerConfig,
) -> None:
    """The harness's interlock check asks again about the frame the monitor just checked:
    the answer is remembered, but only for that very frame object under that very config."""
    mon = FrameMonitor(cfg)
    frame = make_frame(t_s=1.0, seq=1, axial_load_n=1000.0)
    assert mon.check(frame) == OK
    assert implausible(frame, cfg) is None
    narrow = replace(cfg, range_load_n=(-500.0, 500.0))
    assert implausible(frame, narrow) == "load_n"  # another config: checked afresh
    assert implausible(replace(frame, axial_load_n=math.nan), cfg) == "load_n"  # another frame
    bad = make_frame(t_s=2.0, seq=2, lateral_load_n=math.nan)
    assert mon.check(bad) == BAD
    assert implausible(bad, cfg) == mon.reason == "load_n"
