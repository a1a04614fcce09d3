"""Fixtures for the controller tests; the frame factory itself lives in ``ctl_frames``."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from ctl_frames import Driver, make_frame

from controller.config import ControllerConfig
from controller.machine import DockingController
from controller.types import SensorFrame


@pytest.fixture
def frame_factory() -> Callable[..., SensorFrame]:
    return make_frame


@pytest.fixture
def cfg() -> ControllerConfig:
    return ControllerConfig()


@pytest.fixture
def ctl() -> DockingController:
    return DockingController()


@pytest.fixture
def drv(ctl: DockingController) -> Driver:
    return Driver(ctl, period_s=0.01)
