"""Control laws as plain functions of hand-built frames."""

from __future__ import annotations

import pytest
from ctl_frames import make_frame

from controller import laws
from controller.config import ControllerConfig


def test_pairs_captured_counts_petals() -> None:
    assert laws.pairs_captured((True, False, False, True, False, False)) == 2
    assert laws.pairs_captured((True, False, False, True, False, True)) == 3
    assert laws.pairs_captured((True, False, True, True, True, True), need_both=True) == 2


def test_damper_is_softer_in_compression(cfg: ControllerConfig) -> None:
    assert laws.damper_coefficient(-0.1, cfg) == cfg.damper_compression_n_s_m
    assert laws.damper_coefficient(0.1, cfg) == cfg.damper_rebound_n_s_m
    assert cfg.damper_compression_n_s_m < cfg.damper_rebound_n_s_m


def test_brake_schedule(cfg: ControllerConfig) -> None:
    slow = laws.brake_slip_force(make_frame(ring_speed_m_s=0.0), cfg)
    fast = laws.brake_slip_force(make_frame(ring_speed_m_s=-0.2), cfg)
    bottom = laws.brake_slip_force(make_frame(ring_extension=0.01), cfg)
    assert slow == cfg.brake_slip_min_n
    assert slow < fast <= cfg.brake_slip_max_n
    assert bottom == cfg.brake_slip_max_n


def test_retraction_profile_slows_near_end(cfg: ControllerConfig) -> None:
    far = laws.retraction_speed(0.3, cfg)
    mid = laws.retraction_speed(cfg.retract_slow_zone_m / 2, cfg)
    end = laws.retraction_speed(0.0, cfg)
    assert far == -cfg.retract_speed_fast_m_s
    assert end == -cfg.retract_speed_slow_m_s
    assert far < mid < end < 0.0


def test_residual_motion_and_centring(cfg: ControllerConfig) -> None:
    assert laws.residual_motion_ok(make_frame(rel_vel_m_s=(0.003, 0.002, 0.0)), cfg)
    assert not laws.residual_motion_ok(make_frame(rel_vel_m_s=(0.004, 0.004, 0.0)), cfg)
    assert not laws.residual_motion_ok(make_frame(rel_rate_rad_s=(0.0, 0.002, 0.0)), cfg)
    assert laws.ring_centred(make_frame(ring_lateral_m=(0.004, -0.004)), cfg)
    assert not laws.ring_centred(make_frame(ring_tilt_rad=(0.0, 0.02)), cfg)


def _set_frame(a: list[float], loads: float = 0.0) -> object:
    pos = [0.0] * 12
    for k, p in enumerate(a):
        pos[2 * k] = p
        pos[2 * k + 1] = sum(a) / 6
    return make_frame(hook_pos=tuple(pos), hook_load_n=(loads,) * 12)


def test_hook_set_drives_then_slows_on_spread(cfg: ControllerConfig) -> None:
    st = laws.HookSetState(0)
    assert laws.drive_hook_set(st, _set_frame([0.5] * 6), 0.0, cfg) == cfg.hook_voltage_close_v
    spread = [0.5] * 5 + [0.5 - (cfg.hook_sync_slow_spread + 0.002)]
    assert laws.drive_hook_set(st, _set_frame(spread), 0.1, cfg) == cfg.hook_voltage_slow_v


def test_hook_jam_reverses_then_retries_then_gives_up(cfg: ControllerConfig) -> None:
    st = laws.HookSetState(0)
    jam = _set_frame([0.5] * 5 + [0.5 - cfg.hook_sync_stop_spread - 0.001])
    t = 0.0
    for attempt in range(cfg.hook_jam_retries):
        assert laws.drive_hook_set(st, jam, t, cfg) < 0.0
        assert st.mode == "reverse"
        assert st.retries == attempt + 1
        t += cfg.hook_reverse_s + 0.01
        assert laws.drive_hook_set(st, jam, t, cfg) > 0.0  # back to driving, slowly
        assert st.mode == "drive"
    assert laws.drive_hook_set(st, jam, t + 0.1, cfg) == 0.0
    assert st.mode == "failed"
    assert st.fault == "hook_jam"


def test_hook_set_without_progress_fails(cfg: ControllerConfig) -> None:
    st = laws.HookSetState(0)
    f = _set_frame([0.3] * 6)
    laws.drive_hook_set(st, f, 0.0, cfg)
    assert laws.drive_hook_set(st, f, cfg.hook_stall_window_s + 0.01, cfg) == 0.0
    assert st.mode == "failed"
    assert st.fault == "hook_set_no_motion"


def test_hook_set_progressing_is_healthy(cfg: ControllerConfig) -> None:
    st = laws.HookSetState(0)
    laws.drive_hook_set(st, _set_frame([0.3] * 6), 0.0, cfg)
    v = laws.drive_hook_set(st, _set_frame([0.33] * 6), cfg.hook_stall_window_s + 0.01, cfg)
    assert v == cfg.hook_voltage_close_v


def test_preload_control_stops_the_motor(cfg: ControllerConfig) -> None:
    st = laws.HookSetState(0)
    nominal = cfg.hook_preload_nominal_n
    v = laws.drive_hook_set(st, _set_frame([1.0] * 6, loads=nominal * 0.5), 0.0, cfg)
    assert v > 0.0
    v = laws.drive_hook_set(st, _set_frame([1.0] * 6, loads=nominal), 1.0, cfg)
    assert v == 0.0
    assert st.mode == "preloaded"
    assert laws.set_preload_in_band((nominal,) * 12, 0, cfg)
    assert not laws.set_preload_in_band((nominal * 1.2,) * 12, 0, cfg)


@pytest.mark.parametrize(
    ("p1", "passed"), [((49_990.0, 49_990.0), True), ((49_000.0, 49_990.0), False)]
)
def test_seal_decay_needs_both_transducers(
    cfg: ControllerConfig, p1: tuple[float, float], passed: bool
) -> None:
    rates = laws.seal_decay_rates((50_000.0, 50_000.0), p1, 20.0)
    assert laws.seal_test_passed(rates, cfg) is passed


def test_full_set_and_open_predicates(cfg: ControllerConfig) -> None:
    one_set = tuple(1.0 if i % 2 else 0.5 for i in range(12))
    assert laws.full_set_closed(one_set, cfg)
    assert not laws.full_set_closed((0.9,) * 12, cfg)
    assert laws.all_hooks_open((0.0,) * 12, cfg)
    assert not laws.all_hooks_open((0.0,) * 11 + (0.1,), cfg)
    assert laws.set_spread(one_set, 0) == 0.0
