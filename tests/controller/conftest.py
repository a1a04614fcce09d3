"""Fixtures for the controller tests; the frame factory itself lives in ``ctl_frames``."""

from __future__ import annotations

import pytest
from ctl_frames import Driver

from controller.config import ControllerConfig
from controller.machine import DockingController


@pytest.fixture
def cfg() -> ControllerConfig:
    return ControllerConfig()


@pytest.fixture
def ctl() -> DockingController:
    return DockingController()


@pytest.fixture
def drv(ctl: DockingController) -> Driver:
    return Driver(ctl, period_s=0.01)
