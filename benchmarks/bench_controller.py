"""Cost of one controller tick (``DockingController.step``), PERFORMANCE.md goal 1.

Two ways to run it:

* ``pytest benchmarks/bench_controller.py --benchmark-enable`` - pytest-benchmark
  statistics (median, IQR ...) per phase mix; a compute-cost tripwire, not a
  pass/fail timing test.
* ``python -m benchmarks.bench_controller [N]`` - times N ticks (default
  100 000) one by one with ``time.perf_counter_ns`` over a scripted docking
  (every phase from READY to SEPARATION) and prints p50 / p99 / p99.9 / max,
  which pytest-benchmark does not report. Goal: p50 <= 10 us, p99 <= 50 us.

Frames are built before timing starts; only ``step`` is timed.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest

from controller.machine import DockingController
from controller.types import SensorFrame
from tests.controller.ctl_frames import CAPTURED, NOMINAL, RETRACTED

#: the kind of these benchmarks; gate.py divides each by the reference of its kind
pytestmark = pytest.mark.benchmark(group="compute")

# the same hand-built frames as the controller's unit tests: one definition
_BASE = NOMINAL
_CAP: dict[str, Any] = CAPTURED
_RET: dict[str, Any] = RETRACTED


def _hooks_closing(u: float) -> dict[str, Any]:
    pos = min(1.0, 1.5 * u)
    load = 0.0 if pos < 1.0 else 23_000.0 * min(1.0, 3.0 * (1.5 * u - 1.0))
    return {**_RET, "hook_pos": (pos,) * 12, "hook_load_n": (load,) * 12}


def _locked(u: float) -> dict[str, Any]:
    p = 60_000.0 if u > 0.02 else 0.0
    return {
        **_RET,
        "hook_pos": (1.0,) * 12,
        "hook_load_n": (23_000.0,) * 12,
        "seal_cavity_pressure_pa": p,
        "seal_cavity_pressure_b_pa": p,
    }


def _unlocking(u: float) -> dict[str, Any]:
    pos = max(0.0, 1.0 - 3.0 * u)
    latched = u < 0.4
    gap = 0.0 if u < 0.5 else 0.3 * (u - 0.5)
    return {
        "latch_captured": (latched,) * 6,
        "hook_pos": (pos,) * 12,
        "rel_pos_m": (gap, 0.0, 0.0),
        "rel_vel_m_s": (0.1 if gap > 0 else 0.0, 0.0, 0.0),
    }


def _retracting(u: float) -> dict[str, Any]:
    ext = 0.25 * (1.0 - u)
    return {**_CAP, "ring_extension_m": ext, "ring_extension_b_m": ext, "ring_speed_m_s": -0.004}


# (fraction of the run, overrides as a function of progress 0..1 through the segment):
# a scripted docking that visits every phase from READY to SEPARATION and re-arm
_SCRIPT: list[tuple[float, Callable[[float], dict[str, Any]]]] = [
    (0.05, lambda u: {}),
    (0.02, lambda u: {"axial_load_n": 800.0, "ring_extension_m": 0.29, "ring_extension_b_m": 0.29}),
    (0.08, lambda u: {**_CAP, "rel_vel_m_s": (0.003, 0.001, 0.0), "ring_speed_m_s": -0.002}),
    (0.15, _retracting),
    (0.20, _hooks_closing),
    (0.25, _locked),
    (0.25, _unlocking),
]


def scripted_frames(n: int, period_s: float = 1e-3) -> list[SensorFrame]:
    """``n`` frames of the scripted docking, time stamped ``period_s`` apart."""
    out: list[SensorFrame] = []
    for frac, over in _SCRIPT:
        m = int(n * frac)
        for i in range(m):
            k = len(out)
            out.append(replace(_BASE, **over(i / m), t_s=k * period_s, seq=k))
    while len(out) < n:
        k = len(out)
        out.append(replace(_BASE, t_s=k * period_s, seq=k))
    return out


def _drive(frames: list[SensorFrame]) -> Iterator[tuple[DockingController, SensorFrame]]:
    ctl = DockingController()
    ctl.command("dock", 0.0)
    third = len(frames) * 71 // 100
    for i, f in enumerate(frames):
        if i == third:
            ctl.command("undock", f.t_s)
        yield ctl, f


@pytest.mark.parametrize("mix", ["steady_buffering", "scripted_docking"])
def test_step_cost(benchmark: Any, mix: str) -> None:
    """pytest-benchmark of one tick (frames prepared in setup, not timed)."""
    n = 20_000
    if mix == "steady_buffering":
        frames = [
            replace(_BASE, **_CAP, rel_vel_m_s=(0.05, 0.0, 0.0), t_s=k * 1e-3, seq=k)
            for k in range(n)
        ]
        ctl = DockingController()
        ctl.command("dock", 0.0)
        # bring it to BUFFERING with a few untimed ticks
        for k in range(300):
            ctl.step(
                replace(
                    _BASE,
                    t_s=-1.0 + k * 1e-3,
                    seq=-1000 + k,
                    axial_load_n=800.0 if k > 250 else 0.0,
                )
            )
        it: Iterator[tuple[DockingController, SensorFrame]] = ((ctl, f) for f in frames)
    else:
        it = _drive(scripted_frames(n))

    def setup() -> tuple[tuple[SensorFrame], dict[str, Any]]:
        _, frame = next(it)
        return (frame,), {}

    def target(frame: SensorFrame) -> None:
        ctl_step(frame)

    first_ctl, first = next(it)
    ctl_step = first_ctl.step
    ctl_step(first)
    benchmark.pedantic(target, setup=setup, rounds=n - 1000, iterations=1, warmup_rounds=100)


def percentiles(n: int = 100_000) -> dict[str, float]:
    """Time ``n`` ticks of the scripted docking; return p50/p99/p99.9/max in microseconds."""
    frames = scripted_frames(n)
    ctl = DockingController()
    ctl.command("dock", 0.0)
    undock_at = n * 755 // 1000
    step = ctl.step
    clock = time.perf_counter_ns
    samples = [0] * n
    for i, f in enumerate(frames):
        if i == undock_at:
            ctl.command("undock", f.t_s)
        t0 = clock()
        step(f)
        samples[i] = clock() - t0
    samples.sort()

    def pct(q: float) -> float:
        return samples[min(n - 1, int(q * n))] / 1000.0

    return {
        "p50_us": pct(0.50),
        "p99_us": pct(0.99),
        "p99.9_us": pct(0.999),
        "max_us": samples[-1] / 1000.0,
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    n = int(args[0]) if args else 100_000
    stats = percentiles(n)
    print(f"controller.step over {n} ticks: " + ", ".join(f"{k} {v:.2f}" for k, v in stats.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
