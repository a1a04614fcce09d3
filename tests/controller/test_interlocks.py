"""Named interlocks: each one fires on its forbidden combination and not on the allowed one."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from ctl_frames import CAPTURED, LOCKED, RETRACTED, make_frame

from controller import interlocks as il
from controller.config import ControllerConfig
from controller.types import SAFE_COMMAND, ActuatorCommand


def _v(phase: str, cmd: ActuatorCommand, **frame: object) -> list[str]:
    return il.violated(phase, make_frame(**frame), cmd)


CLOSE = ActuatorCommand(hook_motor_v=(20.0, 0.0))


def test_safe_command_violates_nothing_anywhere() -> None:
    for over in ({}, CAPTURED, RETRACTED, LOCKED, {"bus_voltage_v": 5.0}):
        assert _v("SAFE", SAFE_COMMAND, **over) == []
        assert _v("LOCKING", SAFE_COMMAND, **over) == []


def test_hook_drive_needs_capture_and_retraction() -> None:
    assert il.HOOK_DRIVE in _v("LOCKING", CLOSE, **CAPTURED)
    assert il.HOOK_DRIVE in _v(
        "LOCKING", CLOSE, **{**RETRACTED, "latch_captured": (True, True, False, False, True, True)}
    )
    assert _v("LOCKING", CLOSE, **RETRACTED) == []
    # one latch of each pair is enough: the pairs are duplicated
    assert (
        _v(
            "LOCKING",
            CLOSE,
            **{**RETRACTED, "latch_captured": (True, False, False, True, True, False)},
        )
        == []
    )
    # opening is always allowed
    assert _v("READY", ActuatorCommand(hook_motor_v=(-20.0, -20.0))) == []


def test_latch_release_needs_hooks_open() -> None:
    rel = ActuatorCommand(latch_release=True)
    assert il.LATCH_RELEASE in _v("ABORT", rel, hook_pos=(0.0,) * 11 + (0.2,))
    assert _v("ABORT", rel, hook_pos=(0.01,) * 12) == []


def test_retraction_needs_damped_motion() -> None:
    cfg = ControllerConfig()
    retract = ActuatorCommand(ring_speed_m_s=-0.005)
    assert il.RETRACTION in _v("RETRACTION", retract, **CAPTURED, rel_vel_m_s=(0.05, 0.0, 0.0))
    assert il.RETRACTION in _v("RETRACTION", retract, **CAPTURED, rel_rate_rad_s=(0.0, 0.01, 0.0))
    slow = cfg.residual_speed_limit_m_s * 0.5
    assert _v("RETRACTION", retract, **CAPTURED, rel_vel_m_s=(slow, 0.0, 0.0)) == []
    # an uncaptured ring may move freely
    assert _v("READY", retract, rel_vel_m_s=(0.05, 0.0, 0.0)) == []


def test_pushrods_need_hooks_open_and_latches_free() -> None:
    push = ActuatorCommand(pushrods_fire=True)
    assert il.PUSHRODS in _v("SEPARATION", push, **CAPTURED)
    assert il.PUSHRODS in _v("SEPARATION", push, hook_pos=(0.5,) * 12)
    assert _v("SEPARATION", push) == []


def test_tunnel_valve_needs_seal_pass_and_lock() -> None:
    tv = ActuatorCommand(tunnel_valve_open=True)
    assert _v("MATED", tv, **LOCKED) == []
    assert il.TUNNEL_VALVE in _v("MATED.UNSEALED", tv, **LOCKED)
    assert il.TUNNEL_VALVE in _v("SEAL_CHECK.DECAY", tv, **LOCKED)
    assert il.TUNNEL_VALVE in _v("MATED", tv, **RETRACTED)


def test_hook_opening_needs_vented_tunnel() -> None:
    cfg = ControllerConfig()
    open_a = ActuatorCommand(hook_motor_v=(-27.0, 0.0))
    limit = cfg.tunnel_pressure_limit_pa
    # 40 kPa in the tunnel would throw the chaser off the latched ring (DOMAIN U1)
    assert il.HOOK_OPEN in _v("UNLOCKING.HOOKS", open_a, **LOCKED, tunnel_pressure_pa=40_000.0)
    assert il.HOOK_OPEN in _v("ABORT", open_a, **LOCKED, tunnel_pressure_pa=limit + 10.0)
    assert _v("UNLOCKING.HOOKS", open_a, **LOCKED, tunnel_pressure_pa=limit) == []
    # closing against a pressurised tunnel is not what this interlock is about
    assert il.HOOK_OPEN not in _v("LOCKING", CLOSE, **RETRACTED, tunnel_pressure_pa=40_000.0)
    fixed, names = il.enforce(
        "UNLOCKING.HOOKS", make_frame(**LOCKED, tunnel_pressure_pa=40_000.0), open_a
    )
    assert names == [il.HOOK_OPEN]
    assert fixed.hook_motor_v == (0.0, 0.0)


def test_tunnel_valve_and_vent_exclusive() -> None:
    both = ActuatorCommand(tunnel_valve_open=True, tunnel_vent_open=True)
    assert il.TUNNEL_EXCLUSIVE in _v("MATED", both, **LOCKED)
    assert _v("MATED", ActuatorCommand(tunnel_valve_open=True), **LOCKED) == []
    assert _v("UNLOCKING.VENT", ActuatorCommand(tunnel_vent_open=True), **LOCKED) == []
    fixed, _ = il.enforce("MATED", make_frame(**LOCKED), both)
    assert not fixed.tunnel_valve_open
    assert not fixed.tunnel_vent_open


def test_vent_is_a_drive_on_a_bad_frame() -> None:
    bad = {"rel_vel_m_s": (math.nan, 0.0, 0.0)}
    assert il.BAD_FRAME in _v("UNLOCKING.VENT", ActuatorCommand(tunnel_vent_open=True), **bad)


def test_seal_valve_needs_hard_lock() -> None:
    sv = ActuatorCommand(seal_valve_open=True)
    assert il.SEAL_VALVE in _v("SEAL_CHECK", sv, **RETRACTED)
    one_set = tuple(1.0 if i % 2 else 0.4 for i in range(12))
    assert _v("SEAL_CHECK", sv, **{**RETRACTED, "hook_pos": one_set}) == []


def test_ring_drive_must_not_fight_closed_hooks() -> None:
    assert il.RING_VS_HOOKS in _v(
        "READY", ActuatorCommand(ring_speed_m_s=0.005), hook_pos=(0.5,) * 12
    )


def test_latch_arm_and_release_exclusive() -> None:
    assert il.LATCH_EXCLUSIVE in _v("READY", ActuatorCommand(latch_arm=True, latch_release=True))


def test_bad_frame_forbids_any_drive_but_allows_hold() -> None:
    bad = {"rel_vel_m_s": (math.nan, 0.0, 0.0)}
    assert il.BAD_FRAME in _v("LOCKING", ActuatorCommand(hook_motor_v=(-1.0, 0.0)), **bad)
    assert _v("APPROACH", ActuatorCommand(latch_arm=True), **bad) == []


def test_undervoltage_forbids_motors() -> None:
    assert il.UNDERVOLTAGE in _v("LOCKING", CLOSE, **RETRACTED, bus_voltage_v=15.0)


def test_safe_phase_outputs_exactly_safe_command() -> None:
    assert il.SAFE_OUTPUT in _v("SAFE", ActuatorCommand(latch_arm=True))
    assert _v("SAFE", replace(SAFE_COMMAND, seq=42)) == []


@pytest.mark.parametrize(
    ("phase", "cmd", "frame"),
    [
        ("LOCKING", CLOSE, CAPTURED),
        ("ABORT", ActuatorCommand(latch_release=True, latch_arm=True), {"hook_pos": (0.5,) * 12}),
        ("SEPARATION", ActuatorCommand(pushrods_fire=True, ring_speed_m_s=0.01), LOCKED),
        (
            "MATED.UNSEALED",
            ActuatorCommand(tunnel_valve_open=True, seal_valve_open=True),
            RETRACTED,
        ),
        ("SAFE", ActuatorCommand(hook_motor_v=(5.0, 5.0)), {}),
        (
            "UNLOCKING.HOOKS",
            ActuatorCommand(hook_motor_v=(-27.0, -27.0), tunnel_valve_open=True),
            {**LOCKED, "tunnel_pressure_pa": 50_000.0},
        ),
        ("MATED", ActuatorCommand(tunnel_valve_open=True, tunnel_vent_open=True), LOCKED),
        ("LOCKING", CLOSE, {**RETRACTED, "bus_voltage_v": 1.0}),
    ],
)
def test_enforce_always_returns_a_compliant_command(
    phase: str, cmd: ActuatorCommand, frame: dict[str, object]
) -> None:
    f = make_frame(**frame)
    fixed, names = il.enforce(phase, f, cmd)
    assert names
    assert il.violated(phase, f, fixed) == []
    assert fixed.seq == cmd.seq
