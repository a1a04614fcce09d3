"""Compute cost of the simulated mechanism (pytest-benchmark, and a script mode).

Goals (brief; PERFORMANCE.md goals 9 and 10):

* one run of 600 s simulated at a 1 ms step in <= 10 s of wall time (>= 60x real time);
* a batch of 1000 runs at >= 1 million run-steps per second;
* the per-call cost of ``Plant.step()`` + ``Plant.sense()`` (the controller-in-the-loop path).

These are measurements, never pass/fail gates. Run::

    .venv/bin/python benchmarks/bench_plant.py            # prints the figures
    .venv/bin/python benchmarks/bench_plant.py --cold     # also JIT compile time (empty cache)
    .venv/bin/python -m pytest benchmarks/bench_plant.py --benchmark-enable
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from controller.types import ActuatorCommand, InitialConditions
from sim_bridge.plant import BatchPlant, Plant

#: the kind of these benchmarks; gate.py divides each by the reference of its kind
pytestmark = pytest.mark.benchmark(group="compute")

PRESET = "cn-10t-100t"
IC = InitialConditions(
    distance_m=0.3, closing_speed_m_s=0.1, lateral_offset_m=(0.05, 0.0), angle_deg=(0.0, 2.0, 0.0)
)

# A scripted docking (no controller): capture, buffering, centring, retraction, locking.
SCRIPT: list[tuple[float, ActuatorCommand]] = [
    (15.0, ActuatorCommand(latch_arm=True)),
    (35.0, ActuatorCommand(latch_arm=True, ring_centring=True)),
    (135.0, ActuatorCommand(latch_arm=True, ring_centring=True, ring_speed_m_s=-0.005)),
    (335.0, ActuatorCommand(latch_arm=True, ring_speed_m_s=-0.005, hook_motor_v=(28.0, 28.0))),
    (600.0, ActuatorCommand(seal_valve_open=True)),
]


def docking_600s(chunk_steps: int = 100) -> Plant:
    """600 s of scripted docking, advanced in compiled chunks of ``chunk_steps``."""
    plant = Plant(PRESET, IC, seed=1)
    for t_end, cmd in SCRIPT:
        while plant.t_s < t_end - 1e-9:
            plant.advance(cmd, chunk_steps)
    return plant


def step_and_sense(plant: Plant, cmd: ActuatorCommand, n: int) -> None:
    for _ in range(n):
        plant.step(cmd)
        plant.sense()


def batch_run(n_runs: int, n_steps: int) -> BatchPlant:
    ics = [
        InitialConditions(
            distance_m=0.3,
            closing_speed_m_s=0.05 + 0.15 * (k % 10) / 10.0,
            lateral_offset_m=(0.01 * (k % 7), 0.0),
        )
        for k in range(n_runs)
    ]
    batch = BatchPlant(PRESET, ics, list(range(n_runs)))
    batch.advance(ActuatorCommand(latch_arm=True), n_steps)
    return batch


# ------------------------------------------------------------------ pytest-benchmark


def _warm_up() -> None:
    """Load (or compile) every kernel first, so no benchmark times the JIT."""
    warm = Plant(PRESET, IC, seed=1)
    warm.step(ActuatorCommand())
    warm.sense()
    warm.truth()
    BatchPlant(PRESET, [IC] * 8, list(range(8))).advance(ActuatorCommand(), 1)


@pytest.fixture(scope="module", autouse=True)
def _jit_loaded() -> None:
    _warm_up()


def test_single_run_600s(benchmark: Any) -> None:
    plant = benchmark.pedantic(docking_600s, rounds=1, iterations=1)
    assert plant.t_s >= 600.0


def test_step_plus_sense(benchmark: Any) -> None:
    plant = Plant(PRESET, IC, seed=1)
    cmd = ActuatorCommand(latch_arm=True)
    benchmark(step_and_sense, plant, cmd, 100)


@pytest.mark.benchmark(group="parallel")
def test_batch_1000_runs(benchmark: Any) -> None:
    batch = benchmark.pedantic(batch_run, args=(1000, 2000), rounds=1, iterations=1)
    assert batch.n == 1000


# ------------------------------------------------------------------ script mode


def _cold_compile_s() -> tuple[float, float]:
    """First-call times in a fresh process with an empty numba cache, s.

    (imports + JIT of everything a single run uses, extra JIT of the parallel batch kernel)
    """
    code = (
        "import time; t=time.perf_counter();"
        "from sim_bridge.plant import Plant, BatchPlant;"
        "from controller.types import InitialConditions, ActuatorCommand;"
        "p=Plant('cn-10t-100t', InitialConditions(), 1); p.step(ActuatorCommand()); p.sense();"
        "p.truth(); t1=time.perf_counter();"
        "BatchPlant('cn-10t-100t', [InitialConditions()] * 8, list(range(8)))"
        ".advance(ActuatorCommand(), 1);"
        "print(t1-t, time.perf_counter()-t1)"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=str(Path(__file__).parents[1]))
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
    single, parallel = out.stdout.strip().splitlines()[-1].split()
    return float(single), float(parallel)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", action="store_true", help="also measure cold JIT compile time")
    parser.add_argument("--runs", type=int, default=1000)
    args = parser.parse_args()

    t0 = time.perf_counter()
    _warm_up()
    print(f"warm start (imports + cached JIT load): {time.perf_counter() - t0:.2f} s")
    if args.cold:
        single, parallel = _cold_compile_s()
        print(
            f"cold start (empty numba cache): single-run kernels {single:.1f} s, "
            f"+ parallel batch kernel {parallel:.1f} s"
        )

    w0, c0 = time.perf_counter(), time.process_time()
    docking_600s()
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    print(
        f"single run, 600 s simulated (scripted docking, 100-step chunks): "
        f"{wall:.2f} s wall ({600.0 / wall:.0f}x real time), {cpu:.2f} s CPU"
    )

    plant = Plant(PRESET, IC, seed=1)
    cmd = ActuatorCommand(latch_arm=True)
    n = 20_000
    w0, c0 = time.perf_counter(), time.process_time()
    step_and_sense(plant, cmd, n)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    print(
        f"step()+sense() per call: {wall / n * 1e6:.1f} us wall, {cpu / n * 1e6:.1f} us CPU "
        f"(600 s at 1 kHz: {600_000 * wall / n:.1f} s)"
    )
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(n):
        plant.step(cmd)
    wall = time.perf_counter() - w0
    print(f"step() alone per call: {wall / n * 1e6:.1f} us wall")

    steps = 2000
    w0, c0 = time.perf_counter(), time.process_time()
    batch_run(args.runs, steps)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    rs = args.runs * steps
    print(
        f"batch of {args.runs} runs x {steps} steps: {rs / wall / 1e6:.2f} M run-steps/s wall, "
        f"{rs / cpu / 1e6:.2f} M run-steps/s per CPU-second ({os.cpu_count()} cores)"
    )


if __name__ == "__main__":
    main()
