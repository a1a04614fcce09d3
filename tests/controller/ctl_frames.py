"""Hand-built sensor frames for controller unit tests (imported by conftest and tests).

``make_frame(**overrides)`` returns a nominal, plausible frame (mechanism
ready: ring at its ready stop, latches free, hooks open, bus healthy) with
``dataclasses.replace`` overrides, so each test states only what matters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from controller.machine import DockingController
from controller.types import ActuatorCommand, SensorFrame

READY_EXT_M = 0.30

NOMINAL = SensorFrame(
    t_s=0.0,
    seq=0,
    bus_voltage_v=28.0,
    rel_pos_m=(0.3, 0.0, 0.0),
    rel_vel_m_s=(0.0, 0.0, 0.0),
    rel_angle_rad=(0.0, 0.0, 0.0),
    rel_rate_rad_s=(0.0, 0.0, 0.0),
    ring_extension_m=READY_EXT_M,
    ring_extension_b_m=READY_EXT_M,
    ring_speed_m_s=0.0,
    ring_lateral_m=(0.0, 0.0),
    ring_tilt_rad=(0.0, 0.0),
    axial_load_n=0.0,
    lateral_load_n=0.0,
    ring_ready_stop=True,
    ring_retracted=False,
    alignment=(False, False, False),
    latch_captured=(False,) * 6,  # type: ignore[arg-type]
    interface_contact=(False, False, False),
    drive_current_a=0.0,
    hook_pos=(0.0,) * 12,
    hook_load_n=(0.0,) * 12,
    hook_motor_current_a=(0.0, 0.0),
    hook_motor_speed_rad_s=(0.0, 0.0),
    cable_tension_n=(0.0, 0.0),
    seal_cavity_pressure_pa=0.0,
    seal_cavity_pressure_b_pa=0.0,
    tunnel_pressure_pa=0.0,
    pushrod_extended=(False, False, False, False),
)

CAPTURED: dict[str, Any] = {"latch_captured": (True,) * 6}
RETRACTED: dict[str, Any] = {
    **CAPTURED,
    "ring_extension_m": 0.0,
    "ring_extension_b_m": 0.0,
    "ring_ready_stop": False,
    "ring_retracted": True,
    "interface_contact": (True, True, True),
    "rel_pos_m": (0.0, 0.0, 0.0),
}
LOCKED: dict[str, Any] = {**RETRACTED, "hook_pos": (1.0,) * 12, "hook_load_n": (22_000.0,) * 12}


def make_frame(**overrides: Any) -> SensorFrame:
    """A nominal frame with ``overrides`` (``ring_extension`` sets both channels)."""
    if "ring_extension" in overrides:
        ext = overrides.pop("ring_extension")
        overrides["ring_extension_m"] = ext
        overrides["ring_extension_b_m"] = ext
    return replace(NOMINAL, **overrides)


class Driver:
    """Feeds a controller a stream of frames at a fixed period, counting seq and t."""

    def __init__(self, ctl: DockingController, period_s: float = 1e-3) -> None:
        self.ctl = ctl
        self.period_s = period_s
        self.n = 0
        self.base: dict[str, Any] = {}
        self.last: ActuatorCommand | None = None

    @property
    def t_s(self) -> float:
        return self.n * self.period_s

    def frame(self, **overrides: Any) -> SensorFrame:
        return make_frame(**{**self.base, **overrides, "t_s": self.t_s, "seq": self.n})

    def tick(self, **overrides: Any) -> ActuatorCommand:
        cmd = self.ctl.step(self.frame(**overrides))
        self.n += 1
        self.last = cmd
        return cmd

    def run(self, seconds: float, **overrides: Any) -> ActuatorCommand:
        cmd = self.tick(**overrides)
        for _ in range(round(seconds / self.period_s) - 1):
            cmd = self.tick(**overrides)
        return cmd

    def until(
        self, pred: Callable[[DockingController], bool], max_s: float, **overrides: Any
    ) -> ActuatorCommand:
        cmd = self.tick(**overrides)
        for _ in range(int(max_s / self.period_s)):
            if pred(self.ctl):
                return cmd
            cmd = self.tick(**overrides)
        raise AssertionError(f"condition not met within {max_s} s; phase {self.ctl.phase}")
