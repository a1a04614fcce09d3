"""pytest plugin: one test suite, every backend.

Options and fixtures in the style of pytest-embedded and labgrid:

* ``--hal-url URL`` (or ``$DOCKHIL_HAL_URL``; default ``sim://``) picks the
  backend; ``--dockhil-seed N`` the seed of simulated backends.
* ``hal`` -- an open HAL for the test, closed afterwards.
* ``dut`` -- a :class:`Dut`: the controller running against that HAL in
  lockstep, with ``command()``, ``wait_for_phase()``, ``wait_until()`` that
  count *simulated* (frame) time, and the telemetry of the test so far.
* markers ``@pytest.mark.hardware`` (skipped unless the backend is real
  hardware) and ``@pytest.mark.fault_injection`` (skipped unless the backend
  can inject physical faults).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from controller.errors import DockhilError
from controller.hal import FAULT_INJECTION, HARDWARE, Hal, SimControl
from controller.machine import DockingController
from controller.types import InitialConditions, PlantFault, SensorFrame
from hil.backends import HAL_URL_ENV, open_hal
from hil.loop import ControlLoop
from hil.telemetry import TelemetryRecorder


class DutTimeoutError(AssertionError):
    """A wait ran out of simulated time; the message says what was awaited and where we are."""


class Dut:
    """The device under test: a controller closed around a HAL, stepped on demand.

    It drives the harness's one loop (:class:`hil.loop.ControlLoop`), holding
    the next frame read ahead so ``dut.frame`` and ``dut.t_s`` are what the
    controller will be stepped on next. Interlocks are checked on every cycle
    here too: a violating command is an ``interlock_violation`` event.
    """

    def __init__(self, hal: Hal, controller: DockingController | None = None) -> None:
        self.hal = hal
        self.controller = controller or DockingController()
        self.telemetry = TelemetryRecorder()
        self.loop = ControlLoop(hal, self.controller, telemetry=self.telemetry)
        self.loop.peek()

    @property
    def frame(self) -> SensorFrame:
        """The frame the controller will be stepped on next."""
        return self.loop.peek()

    @property
    def events(self) -> list[dict[str, Any]]:
        """Events so far, ``{"t_s", "kind", "detail"}`` as in ``result.json``."""
        return self.loop.events

    @property
    def t_s(self) -> float:
        return self.frame.t_s

    @property
    def phase(self) -> str:
        return self.controller.phase

    def command(self, name: str) -> bool:
        """Issue an operator command now; True when the controller accepted it."""
        return self.loop.command(name)

    def inject(self, fault: PlantFault, active: bool = True) -> None:
        if not isinstance(self.hal, SimControl):
            pytest.skip("this backend cannot inject physical faults")
        self.hal.inject(fault, active)

    def cycle(self) -> SensorFrame:
        """One control cycle on the current frame; returns the next frame."""
        self.loop.cycle()
        return self.loop.peek()

    def run_for(self, seconds: float) -> None:
        end = self.frame.t_s + seconds
        while self.frame.t_s < end:
            self.cycle()

    def wait_until(
        self, predicate: Callable[[Dut], bool], timeout_s: float, what: str = "condition"
    ) -> float:
        """Cycle until ``predicate(dut)`` holds; returns the simulated time it took."""
        start = self.frame.t_s
        while not predicate(self):
            if self.frame.t_s - start > timeout_s:
                raise DutTimeoutError(
                    f"{what} not met within {timeout_s:g} s of simulated time "
                    f"(now t={self.frame.t_s:.3f} s, phase {self.phase})"
                )
            self.cycle()
        return self.frame.t_s - start

    def wait_for_phase(self, phase: str, timeout_s: float) -> float:
        """Cycle until the controller is in ``phase`` (or one of its sub-states)."""
        return self.wait_until(
            lambda d: d.phase.split(".", 1)[0] == phase or d.phase == phase,
            timeout_s,
            what=f"phase {phase}",
        )


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dockhil")
    group.addoption("--hal-url", default=None, help=f"HAL URL (default: ${HAL_URL_ENV} or sim://)")
    group.addoption("--dockhil-seed", type=int, default=1, help="seed for simulated backends")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "hardware: needs a real mechanism or microcontroller")
    config.addinivalue_line(
        "markers", "fault_injection: needs a backend that injects physical faults"
    )


def hal_url_of(config: pytest.Config) -> str:
    url = config.getoption("--hal-url") or os.environ.get(HAL_URL_ENV) or "sim://"
    return str(url)


@pytest.fixture
def hal_url(request: pytest.FixtureRequest) -> str:
    return hal_url_of(request.config)


@pytest.fixture
def hal(request: pytest.FixtureRequest, hal_url: str) -> Iterator[Hal]:
    try:
        backend = open_hal(hal_url)
    except DockhilError as exc:
        pytest.fail(f"cannot open HAL {hal_url}: {exc}", pytrace=False)
    caps = backend.capabilities
    if request.node.get_closest_marker("hardware") and HARDWARE not in caps:
        backend.close()
        pytest.skip(f"needs hardware; {hal_url} is not")
    if request.node.get_closest_marker("fault_injection") and FAULT_INJECTION not in caps:
        backend.close()
        pytest.skip(f"needs fault injection; {hal_url} cannot")
    if isinstance(backend, SimControl):
        marker = request.node.get_closest_marker("initial")
        initial = InitialConditions(**marker.kwargs) if marker else InitialConditions()
        backend.setup("cn-10t-100t", int(request.config.getoption("--dockhil-seed")), initial)
    yield backend
    backend.close()


@pytest.fixture
def dut(hal: Hal) -> Dut:
    return Dut(hal)
