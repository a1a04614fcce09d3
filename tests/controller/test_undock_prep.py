"""Undock prep (DOMAIN U1) inside UNLOCKING: vent the tunnel, confirm no rise, then unlock.

The controller is put in MATED (sealed, hooks closed) and fed hand-built
frames whose tunnel pressure the test sets, so each branch of the vent step
(UNLOCKING.VENT, UNLOCKING.CONFIRM) is exercised without the plant.
"""

from __future__ import annotations

from typing import Any

import pytest
from ctl_frames import LOCKED, Driver

from controller.config import ControllerConfig
from controller.interlocks import violated
from controller.machine import DockingController
from controller.phases import Phase

PERIOD_S = 0.01
CFG = ControllerConfig()


def _mated(tunnel_pa: float) -> Driver:
    """A controller in MATED with a passed seal check, fed locked frames at ``tunnel_pa``."""
    ctl = DockingController(CFG)
    ctl.force_phase(Phase.MATED, sealed=True)
    drv = Driver(ctl, PERIOD_S)
    drv.base = {**LOCKED, "tunnel_pressure_pa": tunnel_pa}
    cmd = drv.run(1.0)
    assert ctl.phase == "MATED"
    assert cmd.tunnel_valve_open
    assert not cmd.tunnel_vent_open
    ctl.drain_events()
    return drv


def _checked(drv: Driver, seconds: float, **over: Any) -> None:
    """Run ``seconds`` and assert the harness's interlock check on every cycle."""
    for _ in range(round(seconds / PERIOD_S)):
        f = drv.frame(**over)
        cmd = drv.ctl.step(f)
        drv.n += 1
        drv.last = cmd
        assert violated(drv.ctl.phase, f, cmd, CFG) == [], (drv.ctl.phase, cmd)
        assert not (cmd.tunnel_valve_open and cmd.tunnel_vent_open)


def test_undock_vents_confirms_then_opens_hooks() -> None:
    drv = _mated(40_000.0)
    ctl = drv.ctl
    assert ctl.command("undock", drv.t_s).accepted
    _checked(drv, 5.0)
    assert ctl.phase == "UNLOCKING.VENT"
    assert drv.last is not None
    assert drv.last.tunnel_vent_open
    assert not drv.last.tunnel_valve_open
    assert drv.last.hook_motor_v == (0.0, 0.0)  # hooks untouched while pressurised
    # vented: vent closed, hold with no rise
    _checked(drv, 0.02, tunnel_pressure_pa=150.0)
    assert ctl.phase == "UNLOCKING.CONFIRM"
    assert not drv.last.tunnel_vent_open
    _checked(drv, CFG.tunnel_vent_hold_s - 0.5, tunnel_pressure_pa=150.0)
    assert ctl.phase == "UNLOCKING.CONFIRM"
    assert drv.last.hook_motor_v == (0.0, 0.0)
    _checked(drv, 1.0, tunnel_pressure_pa=150.0)
    assert ctl.phase == "UNLOCKING.HOOKS"
    assert drv.last.hook_motor_v == (-CFG.hook_voltage_open_v, -CFG.hook_voltage_open_v)
    assert not drv.last.tunnel_vent_open
    assert not drv.last.tunnel_valve_open
    events = ctl.drain_events()
    assert any(e.kind == "info" and e.detail.startswith("tunnel vented") for e in events)
    assert not [e for e in events if e.kind in ("interlock", "fault", "degraded")]


def test_vent_time_out_abandons_undocking_and_stays_mated() -> None:
    drv = _mated(40_000.0)
    ctl = drv.ctl
    assert ctl.command("undock", drv.t_s).accepted
    _checked(drv, CFG.tunnel_vent_timeout_s - 1.0)
    assert ctl.phase == "UNLOCKING.VENT"
    _checked(drv, 2.0)
    assert ctl.top_phase is Phase.MATED
    assert drv.last is not None
    assert drv.last.tunnel_valve_open
    events = ctl.drain_events()
    faults = [e.detail for e in events if e.kind == "fault"]
    assert any("undocking abandoned, staying mated" in d for d in faults), faults
    assert not [e for e in events if e.kind in ("safe", "abort", "degraded")]
    # the operator may try again
    assert ctl.command("undock", drv.t_s).accepted


def test_pressure_rise_with_vent_closed_abandons_undocking() -> None:
    drv = _mated(40_000.0)
    ctl = drv.ctl
    assert ctl.command("undock", drv.t_s).accepted
    _checked(drv, 1.0, tunnel_pressure_pa=150.0)
    assert ctl.phase == "UNLOCKING.CONFIRM"
    _checked(drv, 0.05, tunnel_pressure_pa=CFG.tunnel_pressure_limit_pa + 100.0)
    assert ctl.top_phase is Phase.MATED
    faults = [e.detail for e in ctl.drain_events() if e.kind == "fault"]
    assert any("rose" in d and "leaking" in d for d in faults), faults


def test_abort_while_venting_keeps_the_joint_mated() -> None:
    drv = _mated(40_000.0)
    ctl = drv.ctl
    assert ctl.command("undock", drv.t_s).accepted
    _checked(drv, 2.0)
    res = ctl.command("abort", drv.t_s)
    assert res.accepted
    assert res.phase_after == "MATED"
    _checked(drv, 1.0)
    assert ctl.phase == "MATED"


def test_abort_after_venting_opens_hooks_as_before() -> None:
    drv = _mated(0.0)
    ctl = drv.ctl
    assert ctl.command("undock", drv.t_s).accepted
    _checked(drv, CFG.tunnel_vent_hold_s + 1.0)
    assert ctl.phase == "UNLOCKING.HOOKS"
    assert ctl.command("abort", drv.t_s).phase_after == "ABORT"


def test_unlock_time_out_counts_from_the_end_of_venting() -> None:
    drv = _mated(40_000.0)
    ctl = drv.ctl
    assert ctl.command("undock", drv.t_s).accepted
    _checked(drv, 60.0)  # 60 s of venting
    _checked(drv, CFG.tunnel_vent_hold_s + 1.0, tunnel_pressure_pa=100.0)
    assert ctl.phase == "UNLOCKING.HOOKS"
    hooks_start = drv.t_s
    ctl.drain_events()
    # the hooks never open (frames stay locked): contingency at T_unlock after the vent
    _checked(drv, CFG.unlock_timeout_s - 2.0, tunnel_pressure_pa=100.0)
    assert not [e for e in ctl.drain_events() if e.kind == "contingency_unlock"]
    _checked(drv, 3.0, tunnel_pressure_pa=100.0)
    hits = [e for e in ctl.drain_events() if e.kind == "contingency_unlock"]
    assert hits
    assert hits[0].t_s - hooks_start == pytest.approx(CFG.unlock_timeout_s, abs=1.5)


def test_lock_lost_while_venting_is_safe() -> None:
    drv = _mated(40_000.0)
    ctl = drv.ctl
    assert ctl.command("undock", drv.t_s).accepted
    _checked(drv, 1.0)
    # the joint is still locked and pressurised: losing every full hook set is as in MATED
    drv.run(1.0, hook_pos=(0.5,) * 12)
    assert ctl.phase == "SAFE"
