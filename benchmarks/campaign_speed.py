"""How fast do campaign runs go? Per-run harness cost, and throughput on 1 and 2 workers.

    .venv/bin/python benchmarks/campaign_speed.py [--runs 200] [--repeat 20] [--rounds 1]

The workload is the *capture window*: the base of ``campaigns/maker-envelope.toml``
at the envelope's centre (0.13 m/s, 0.08 m lateral offset, 1 deg and 0.1 deg/s on
each axis), 10 mm before contact, ended at capture + 10 s.

1. Per run, in thread CPU time, interleaved in one process so both feel the same
   load: ``dockhil run``'s path (:func:`hil.runner.run` on a plain ``sim://``)
   against the campaign's path (:func:`hil.campaign.execute.execute`), beside the
   compute kind's reference workload (``benchmarks/bench_reference.py``) timed in
   the same loop. The two runs' measurements are compared: they must be equal.
2. Throughput: the first ``--runs`` runs of the maker-envelope campaign on a
   LocalCluster of one worker, then of two, each into a fresh directory; runs/s
   over the fan-out (cluster start and report excluded), and the ratio. With
   ``--rounds N`` the two passes alternate N times and the best of each is
   kept: on a shared machine the least disturbed pass is the one that says
   what the code can do (every pass is printed, with the load around it).

Figures, never a pass/fail: the machine is shared and its load is printed with them.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CENTRE = {
    "initial.closing_speed_m_s": 0.13,
    "initial.lateral_offset_m[0]": 0.08,
    "initial.lateral_offset_m[1]": 0.0,
    "initial.lateral_offset_m|norm": 0.08,
    "initial.lateral_speed_m_s[0]": 0.0,
    "initial.lateral_speed_m_s[1]": 0.0,
    "initial.lateral_speed_m_s|norm": 0.0,
    "initial.angle_deg[0]": 1.0,
    "initial.angle_deg[1]": 1.0,
    "initial.angle_deg[2]": 1.0,
    "initial.rate_deg_s[0]": 0.1,
    "initial.rate_deg_s[1]": 0.1,
    "initial.rate_deg_s[2]": 0.1,
}


def per_run(repeat: int) -> None:
    from benchmarks.bench_reference import reference_workload
    from hil.campaign.execute import RunSpec, execute, prepare
    from hil.campaign.spec import load_campaign
    from hil.runner import run

    campaign = load_campaign(ROOT / "campaigns" / "maker-envelope.toml")
    spec = RunSpec(0, 1, CENTRE)
    scenario, _ = prepare(campaign, spec)
    plain = run(scenario)  # warm: JIT cache, imports
    row = execute(campaign, spec)
    for m in plain.record.measurements:
        value = row[f"m:{m.name}"]
        same = value == m.value or (m.value is None and value != value)
        assert same, f"{m.name}: dockhil run {m.value} != campaign {value}"
    cycles = round(plain.record.sim_time_s / scenario.period_s)

    def bare() -> None:
        """Controller and plant alone, no harness: the floor a harness cut can reach."""
        from controller.machine import DockingController
        from sim_bridge.plant import Plant

        ctl = DockingController()
        plant = Plant(scenario.preset, scenario.initial, 1)
        ctl.command("dock", 0.0)
        substeps = round(scenario.period_s / plant.dt_s)
        for _ in range(cycles):
            plant.advance(ctl.step(plant.sense()), substeps)

    plain_s, lean_s, ref_s, bare_s = [], [], [], []
    for _ in range(repeat):
        t = time.thread_time()
        bare()
        bare_s.append(time.thread_time() - t)
        t = time.thread_time()
        run(scenario)
        plain_s.append(time.thread_time() - t)
        t = time.thread_time()
        execute(campaign, spec)
        lean_s.append(time.thread_time() - t)
        t = time.thread_time()
        for _ in range(200):
            reference_workload()
        ref_s.append((time.thread_time() - t) / 200)
    p, lean, ref, floor = (statistics.median(x) for x in (plain_s, lean_s, ref_s, bare_s))
    print(f"capture window: {plain.record.sim_time_s:.2f} s simulated, {repeat} runs each")
    print(f"  dockhil run path   {p * 1e3:7.1f} ms CPU/run  ({1 / p:5.1f} runs/s/core)")
    print(f"  campaign path      {lean * 1e3:7.1f} ms CPU/run  ({1 / lean:5.1f} runs/s/core)")
    print(f"  speed-up           {p / lean:7.2f} x  (same measurements: checked)")
    print(
        f"  controller + plant {floor * 1e3:7.1f} ms CPU/run  (no harness: "
        f"harness = {(lean - floor) / lean * 100:.0f} % of a campaign run)"
    )
    print(
        f"  compute reference  {ref * 1e6:7.1f} us  (campaign run = {lean / ref:,.0f} references)"
    )


def _reference_rate(seconds: float) -> float:
    """Calls of the compute reference per second of wall time in this process."""
    from benchmarks.bench_reference import reference_workload

    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for _ in range(100):
            reference_workload()
        n += 100
    return n / (time.perf_counter() - t0)


def host_scaling(seconds: float = 3.0) -> float:
    """What the machine gives two processes right now: the compute reference's total rate
    in two processes over its rate in one (2.0 on an idle 2-core machine)."""
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_reference_rate, [0.2, 0.2]))  # both processes up
        one = pool.submit(_reference_rate, seconds).result()
        two = sum(pool.map(_reference_rate, [seconds, seconds]))
    return two / one


def throughput(runs: int, rounds: int = 1) -> None:
    from hil.campaign import engine
    from hil.campaign.execute import RunSpec, execute
    from hil.campaign.sampling import run_seed, sample
    from hil.campaign.spec import load_campaign

    campaign = load_campaign(ROOT / "campaigns" / "maker-envelope.toml")
    campaign = dataclasses.replace(
        campaign, runs=runs, boundary=None, keep_worst=0, keep_failures=0
    )
    inputs = sample(campaign)
    n_ref = max(10, runs // 4)
    t0 = time.perf_counter()
    for i in range(n_ref):
        execute(campaign, RunSpec(i, run_seed(campaign.seed, i), inputs[i]))
    in_process = n_ref / (time.perf_counter() - t0)
    print("throughput on the campaign's first runs (LHS over the maker's envelope):")
    print(f"  in this process, no Dask: {in_process:5.1f} runs/s ({n_ref} runs)")
    rates: dict[int, float] = {1: 0.0, 2: 0.0}
    for _ in range(rounds):
        for workers in (1, 2):
            with tempfile.TemporaryDirectory(prefix="dockhil-speed-") as tmp:
                out = Path(tmp)
                load0 = os.getloadavg()[0]
                summary = engine.run_campaign(campaign, out, workers=workers, quiet=True)
                fan = summary["fan_out_s"]
                rate = summary["runs"] / fan
                rates[workers] = max(rates[workers], rate)
                print(
                    f"  {workers} worker(s): {summary['runs']} runs in {fan:6.1f} s fan-out = "
                    f"{rate:5.1f} runs/s (load average before {load0:.2f}, "
                    f"after {os.getloadavg()[0]:.2f})"
                )
    if rounds > 1:
        print(
            f"  best of {rounds}: 1 worker {rates[1]:5.1f} runs/s, 2 workers {rates[2]:5.1f} runs/s"
        )
    print(f"  2 workers / 1 worker = {rates[2] / rates[1]:.2f} x")
    print(f"  host now: 2 processes / 1 process of the compute reference = {host_scaling():.2f} x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="runs per throughput pass")
    parser.add_argument("--repeat", type=int, default=20, help="runs per path, per-run part")
    parser.add_argument("--rounds", type=int, default=1, help="throughput passes (best kept)")
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args()
    print(f"cores {os.cpu_count()}, load average {os.getloadavg()}")
    per_run(args.repeat)
    if not args.skip_throughput:
        throughput(args.runs, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
