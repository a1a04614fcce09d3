"""The nominal docking on sim://, in multiples of real time, with the wire's quantisation.

    python benchmarks/nominal_speed.py [--repeat 3]

Prints, for ``scenarios/nominal.toml`` in lockstep on ``sim://``: simulated time,
thread CPU time and wall time, and the real-time factor (simulated s per CPU s);
then the same run with the wire's quantisation bypassed (set-points and
sensors as floats), as the reference of the same kind from the same process:
the difference is what issue 12's transparency costs. The figure to keep is
>= 60x real time; it is printed, never asserted (a shared machine's speed is
not a property of the code). Medians over ``--repeat`` runs of each, interleaved.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

import sim_bridge.backend as backend
import sim_bridge.plant as plant
from benchmarks.bench_reference import bracket_compute
from hil.runner import run
from hil.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def _one(quantise: bool) -> tuple[float, float, float]:
    """(simulated s, thread CPU s, wall s) of one nominal run."""
    saved: dict[str, Any] = {
        "wq": plant.wire_quantise,
        "wc": backend.wire_command,
        "wt": plant.wire_time,
    }
    if not quantise:
        plant.wire_quantise = lambda sensors: None  # type: ignore[assignment]
        backend.wire_command = lambda cmd: cmd  # type: ignore[assignment]
        plant.wire_time = lambda steps, dt_s: steps * dt_s  # type: ignore[assignment]
    try:
        scenario = load_scenario(ROOT / "scenarios" / "nominal.toml")
        cpu0, wall0 = time.thread_time(), time.perf_counter()
        result = run(scenario)
        cpu, wall = time.thread_time() - cpu0, time.perf_counter() - wall0
    finally:
        plant.wire_quantise = saved["wq"]
        backend.wire_command = saved["wc"]
        plant.wire_time = saved["wt"]
    assert result.record.final_phase == "MATED", result.record.final_phase
    return result.record.sim_time_s, cpu, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    _one(True)  # warm-up: JIT caches, imports
    rows: dict[bool, list[tuple[float, float, float]]] = {True: [], False: []}
    for _ in range(args.repeat):
        for q in (True, False):
            rows[q].append(_one(q))
    ref_us = bracket_compute(0.5) * 1e6
    for q, label in ((True, "sim:// as shipped (wire quantisation)"), (False, "reference: floats")):
        sim = rows[q][0][0]
        cpu = statistics.median(r[1] for r in rows[q])
        wall = statistics.median(r[2] for r in rows[q])
        print(
            f"{label:<40} {sim:7.1f} s simulated, {cpu:6.2f} s CPU, {wall:6.2f} s wall: "
            f"{sim / cpu:5.0f}x real time (CPU), {sim / wall:5.0f}x (wall)"
        )
    print(f"compute reference workload (same process): {ref_us:.1f} us per call")


if __name__ == "__main__":
    main()
