"""One full lockstep cycle (HAL read, controller step, HAL write) on sim:// and over a pty.

``python -m pytest benchmarks/bench_loop.py --benchmark-enable``. The pty case
starts ``dockhil vmcu --pty`` (lockstep) and measures the round trip through
the codec, the kernel's pty and the device's plant step.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from controller.hal import Hal, SimControl
from controller.machine import DockingController
from controller.types import InitialConditions
from hil.backends import open_hal

ROOT = Path(__file__).resolve().parents[1]


def _prepared(hal: Hal) -> tuple[Hal, DockingController]:
    if isinstance(hal, SimControl):
        hal.setup("cn-10t-100t", 1, InitialConditions(distance_m=2.0, closing_speed_m_s=0.05))
    ctl = DockingController()
    ctl.command("dock", 0.0)
    for _ in range(50):  # warm-up: JIT, first reports
        hal.write(ctl.step(hal.read()))
    return hal, ctl


def _cycle(hal: Hal, ctl: DockingController) -> None:
    hal.write(ctl.step(hal.read()))


@pytest.fixture(scope="module")
def sim_loop() -> Iterator[tuple[Hal, DockingController]]:
    hal = open_hal("sim://?period=0.01")
    yield _prepared(hal)
    hal.close()


@pytest.fixture(scope="module")
def pty_loop() -> Iterator[tuple[Hal, DockingController]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "hil.cli", "vmcu", "--pty", "--period-ms", "10"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    path = proc.stdout.readline().strip()
    hal = open_hal(path)
    yield _prepared(hal)
    hal.close()
    proc.terminate()
    proc.wait(timeout=5)


@pytest.mark.benchmark(group="compute")
def test_lockstep_cycle_sim(benchmark: Any, sim_loop: tuple[Hal, DockingController]) -> None:
    hal, ctl = sim_loop
    benchmark(_cycle, hal, ctl)
    assert hal.read().t_s > 0.5


@pytest.mark.benchmark(group="ipc")
def test_lockstep_cycle_pty(benchmark: Any, pty_loop: tuple[Hal, DockingController]) -> None:
    hal, ctl = pty_loop
    benchmark(_cycle, hal, ctl)
    assert hal.read().t_s > 0.5
