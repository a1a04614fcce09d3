"""A bug inside the controller fails closed: SAFE, latched, an ``internal_fault`` event, no raise.

Each test injects a failure where a real bug would sit (a control law, a
procedure's facts, a table action, SAFE's own entry action) and checks that
``DockingController.step`` or ``command`` returns instead of raising, that the
command is the safe one and that only ``reset`` leaves SAFE.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from ctl_frames import RETRACTED, Driver

from controller import laws
from controller.config import ControllerConfig
from controller.machine import DockingController, _Model
from controller.phases import Phase
from controller.types import ActuatorCommand


def _divide_by_zero(*_: object) -> ActuatorCommand:
    return ActuatorCommand(seq=int(1 / 0))


def _faults(ctl: DockingController) -> list[str]:
    return [e.detail for e in ctl.drain_events() if e.kind == "internal_fault"]


def test_a_failing_law_latches_safe_with_an_internal_fault(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ctl = DockingController()
    ctl.force_phase(Phase.LOCKING)
    drv = Driver(ctl, period_s=0.01)
    drv.base = RETRACTED
    monkeypatch.setattr(laws, "locking_command", _divide_by_zero)
    cmd = drv.tick()
    assert ctl.phase == "SAFE"
    assert cmd == ActuatorCommand(seq=cmd.seq)
    assert _faults(ctl) == ["ZeroDivisionError: division by zero in phase LOCKING.DRIVE"]
    monkeypatch.undo()
    assert drv.run(1.0) == ActuatorCommand(seq=drv.n)
    assert ctl.phase == "SAFE"
    assert not ctl.command("arm", drv.t_s).accepted
    assert ctl.command("reset", drv.t_s).accepted
    assert ctl.phase == "STANDBY"


def test_a_failing_guard_latches_safe(monkeypatch: pytest.MonkeyPatch) -> None:
    """A guard raises (``sensor_data_lost``, read by the first row of every phase)."""
    ctl = DockingController()
    assert ctl.command("dock", 0.0).accepted
    drv = Driver(ctl, period_s=0.01)
    drv.run(0.1)

    def broken(self: _Model) -> bool:
        raise KeyError("sensor_data_lost")

    monkeypatch.setattr(_Model, "sensor_data_lost", property(broken))
    cmd = drv.tick()
    assert ctl.phase == "SAFE"
    assert cmd == ActuatorCommand(seq=cmd.seq)
    (detail,) = _faults(ctl)
    assert detail.startswith("KeyError: 'sensor_data_lost' in phase READY.")


def _raising(exc: Exception) -> Callable[..., None]:
    """An action (or anything else) that raises ``exc`` whatever it is called with."""

    def broken(*_: object) -> None:
        raise exc

    return broken


def test_a_failing_table_action_rejects_the_command_and_latches_safe(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_Model, "remember_dock", _raising(RuntimeError("remember_dock broke")))
    ctl = DockingController()
    res = ctl.command("dock", 0.0)
    assert not res.accepted
    assert "RuntimeError" in res.reason
    assert ctl.phase == "SAFE"
    assert _faults(ctl) == ["RuntimeError: remember_dock broke in phase READY"]


def test_safe_holds_even_when_its_own_entry_action_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_Model, "report_safe", _raising(ValueError("report_safe broke")))
    monkeypatch.setattr(laws, "contact_command", _divide_by_zero)
    ctl = DockingController(ControllerConfig())
    ctl.force_phase(Phase.APPROACH)
    cmd = Driver(ctl, period_s=0.01).tick()
    assert ctl.top_phase is Phase.SAFE
    assert ctl.phase == "SAFE"
    assert cmd == ActuatorCommand(seq=cmd.seq)
    assert _faults(ctl) == ["ZeroDivisionError: division by zero in phase APPROACH"]
