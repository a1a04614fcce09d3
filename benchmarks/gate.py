"""CI gate on benchmark ratios measured in one run against the reference workload.

    python benchmarks/gate.py BENCH.json [--baseline benchmarks/baseline.json] [--update]

Each benchmark's median is divided by the median of ``test_reference_workload``
from the same JSON file, so machine speed and load that affect both cancel.
The gate fails only when a ratio exceeds its baseline by more than
``--margin`` (default 2.0x): same-run ratios moved by a few per cent to some
tens of per cent on this kind of shared machine, a real slowdown (a numpy
call in the tick, a lost JIT) moves them by integer factors. ``--update``
rewrites the baseline from this run. Benchmarks without a baseline are
reported, not gated.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REFERENCE = "test_reference_workload"


def ratios(bench_json: Path) -> dict[str, float]:
    data = json.loads(bench_json.read_text())
    medians = {b["name"]: b["stats"]["median"] for b in data["benchmarks"]}
    if REFERENCE not in medians:
        raise SystemExit(f"{bench_json}: no {REFERENCE} in this run; cannot form ratios")
    ref = medians[REFERENCE]
    return {name: med / ref for name, med in sorted(medians.items()) if name != REFERENCE}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bench_json", type=Path)
    parser.add_argument("--baseline", type=Path, default=Path(__file__).with_name("baseline.json"))
    parser.add_argument("--margin", type=float, default=2.0)
    parser.add_argument("--update", action="store_true")
    args = parser.parse_args(argv)
    now = ratios(args.bench_json)
    if args.update:
        args.baseline.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n")
        print(f"baseline written: {len(now)} ratios -> {args.baseline}")
        return 0
    base: dict[str, float] = json.loads(args.baseline.read_text())
    failed = []
    print(f"{'benchmark':60s} {'ratio':>10s} {'baseline':>10s} {'change':>8s}")
    for name, r in now.items():
        b = base.get(name)
        if b is None:
            print(f"{name:60s} {r:10.3f} {'-':>10s} {'new':>8s}")
            continue
        change = r / b
        flag = "  SLOWER" if change > args.margin else ""
        print(f"{name:60s} {r:10.3f} {b:10.3f} {change:7.2f}x{flag}")
        if change > args.margin:
            failed.append(name)
    if failed:
        print(f"{len(failed)} benchmark(s) slower than {args.margin}x their baseline ratio")
        return 1
    print(f"all {len(now)} ratios within {args.margin}x of the baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
