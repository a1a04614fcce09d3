"""Closed loop against the simulated plant: a nominal docking from READY towards MATED.

Skipped while ``sim_bridge.plant`` is not importable. Marked slow (tens of
seconds of wall time for minutes of simulated time).
"""

from __future__ import annotations

import pytest

from controller.interlocks import violated
from controller.machine import DockingController
from controller.types import InitialConditions

plant_mod = pytest.importorskip("sim_bridge.plant")

NOMINAL = InitialConditions(
    distance_m=0.3, closing_speed_m_s=0.1, lateral_offset_m=(0.05, 0.0), angle_deg=(0.0, 2.0, 0.0)
)


@pytest.mark.slow
def test_nominal_docking_captures_buffers_and_retracts_without_violations() -> None:
    plant = plant_mod.Plant("cn-10t-100t", NOMINAL, seed=1, dt_s=0.001)
    ctl = DockingController()
    assert ctl.command("dock", 0.0).accepted
    entered: dict[str, float] = {}
    violations = 0
    for _ in range(int(300.0 / 0.001)):
        f = plant.sense()
        cmd = ctl.step(f)
        violations += bool(violated(ctl.phase, f, cmd, ctl.config))
        entered.setdefault(ctl.phase.split(".", 1)[0], f.t_s)
        if "LOCKING" in entered or ctl.phase.startswith(("SAFE", "ABORT")):
            break
        plant.step(cmd)
    assert violations == 0
    assert "SAFE" not in entered
    assert entered["BUFFERING"] - entered["CONTACT"] <= 3.0
    assert "LOCKING" in entered, entered
