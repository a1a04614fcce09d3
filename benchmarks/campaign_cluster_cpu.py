"""What does a campaign run cost inside a Dask cluster, against the same runs in one process?

    .venv/bin/python benchmarks/campaign_cluster_cpu.py [--runs 60] [--workers 1] [--rounds 2]

CPU time, not wall time, so that the figures hold on a shared machine: the
first ``--runs`` runs of ``campaigns/maker-envelope.toml``

* in this process (``execute_many``, process CPU time), and
* on a LocalCluster of ``--workers`` workers, started the way ``dockhil
  campaign`` starts it (:data:`hil.campaign.engine.LOCAL_CLUSTER_CONFIG`)
  and with Dask's default settings: the CPU of the cluster's processes
  (workers and nannies, from ``psutil``) and of this one (the scheduler and
  the client) over the runs, after every worker has run one (kernels loaded).

The passes alternate ``--rounds`` times; every pass is printed with the
load average. The difference between a worker's CPU per run and the
in-process figure is what the cluster costs each run on the workers' cores;
the driver's CPU per run is what it takes from them on a machine with as many
cores as workers.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _cpu(pids: list[int]) -> float:
    import psutil

    total = 0.0
    for pid in pids:
        try:
            t = psutil.Process(pid).cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system
    return total


def in_process(campaign: Any, specs: list[Any]) -> float:
    from hil.campaign.execute import execute_many

    execute_many(campaign, specs[:1])
    t = time.process_time()
    execute_many(campaign, specs)
    return (time.process_time() - t) / len(specs)


def on_cluster(campaign: Any, specs: list[Any], workers: int, tuned: bool) -> tuple[float, float]:
    """(CPU of the cluster's processes, CPU of this process) per run, s."""
    import dask
    import psutil
    from distributed import Client, LocalCluster

    from hil.campaign.engine import LOCAL_CLUSTER_CONFIG, Warmup
    from hil.campaign.execute import execute_many

    with (
        dask.config.set(LOCAL_CLUSTER_CONFIG if tuned else {}),
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        client.register_plugin(Warmup(), name=Warmup.name)
        [shared] = client.scatter([campaign], broadcast=True)
        client.gather([client.submit(execute_many, shared, specs[:1], pure=False)] * workers)
        me = psutil.Process()
        kids = [p.pid for p in me.children(recursive=True)]
        k0, s0 = _cpu(kids), _cpu([me.pid])
        chunks = [specs[i : i + 10] for i in range(0, len(specs), 10)]
        client.gather([client.submit(execute_many, shared, c, pure=False) for c in chunks])
        k1, s1 = _cpu(kids), _cpu([me.pid])
    return (k1 - k0) / len(specs), (s1 - s0) / len(specs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    from hil.campaign.execute import RunSpec
    from hil.campaign.sampling import run_seed, sample
    from hil.campaign.spec import load_campaign

    campaign = load_campaign(ROOT / "campaigns" / "maker-envelope.toml")
    inputs = sample(campaign)
    specs = [RunSpec(i, run_seed(campaign.seed, i), inputs[i]) for i in range(args.runs)]
    print(f"cores {os.cpu_count()}, {args.runs} runs a pass, {args.workers} worker(s)")
    for _ in range(args.rounds):
        load = os.getloadavg()[0]
        print(
            f"  in this process          {in_process(campaign, specs) * 1e3:6.1f} ms CPU/run"
            f"  (load {load:.2f})"
        )
        for tuned in (True, False):
            load = os.getloadavg()[0]
            cluster, driver = on_cluster(campaign, specs, args.workers, tuned)
            name = "dockhil's settings" if tuned else "Dask's defaults  "
            print(
                f"  cluster, {name} {cluster * 1e3:6.1f} ms CPU/run in its processes, "
                f"driver {driver * 1e3:4.1f} ms  (load {load:.2f})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
