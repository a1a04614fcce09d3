"""CI gate on benchmark ratios, each to the reference of its own kind from the same run.

    python benchmarks/gate.py BENCH.json [--baseline benchmarks/baseline.json] [--margin 2.0]
    python benchmarks/gate.py --update BENCH.json [MORE.json ...]   # median ratio of the runs

Every benchmark declares its kind as its pytest-benchmark group
(``@pytest.mark.benchmark(group=...)``, which the JSON records); see
conftest.py for how each kind is timed:

* ``compute`` - single-thread interpreter or numba work, divided by the
  pure-Python ``test_reference_workload`` (thread CPU time);
* ``parallel`` - work spread over all cores by numba ``prange``, divided by
  ``test_reference_parallel``, a fixed ``prange`` kernel (wall time);
* ``ipc`` - two processes handing bytes over a pty, divided by
  ``test_reference_pty_round_trip``, a bare 140 B echo round trip (wall
  time). **Reported, not gated**: under two CPU hogs the lockstep cycle's
  median went from 0.5 ms to 20 ms between passes while the echo's stayed
  0.1-0.4 ms (ratio change 0.35x to 26x), so no margin separates load from
  a regression (``benchmarks/under_load.py``, CHANGELOG).

The divisor is the reference measured right before and after the benchmark
(``extra_info["reference_s"]``, recorded by conftest.py) when present, else
the median of the kind's reference test; either way load that slows the
benchmark slows its divisor alike, where the compute reference could not
stand in for a pty round trip (issue 9). A gated ratio fails the gate (exit 1)
when it exceeds its baseline by more than ``--margin`` (default 2.0x): a real
slowdown (a numpy call in the tick, a lost JIT) moves a ratio by integer
factors, the idle/1-hog/2-hog passes of ``under_load.py`` by less (see the
CHANGELOG for the figures). The gate refuses (exit 2) a run with a benchmark
without a kind, with an unknown kind, timed on another clock than its
reference, or without the reference test of a kind it needs, and a baseline
that recorded a benchmark under another kind. ``--update`` rewrites the
baseline: the median ratio over the runs given (one run's ratios can sit at
either end of the spread; the median of several does not). Benchmarks
without a baseline are reported, not gated.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: kind (pytest-benchmark group) -> name of its reference benchmark
REFERENCES: dict[str, str] = {
    "compute": "test_reference_workload",
    "parallel": "test_reference_parallel",
    "ipc": "test_reference_pty_round_trip",
}
#: kinds whose ratios can fail the gate; the others are measured and reported only
GATED: frozenset[str] = frozenset({"compute", "parallel"})
DEFAULT_BASELINE = Path(__file__).with_name("baseline.json")


class GateError(Exception):
    """The run or the baseline cannot be judged (exit status 2)."""


@dataclass(frozen=True)
class Ratio:
    name: str
    kind: str
    ratio: float


def ratios(data: dict[str, Any], source: str = "run") -> dict[str, Ratio]:
    """Each benchmark's median over the median of its kind's reference, by name."""
    medians: dict[str, float] = {}
    kinds: dict[str, str] = {}
    timers: dict[str, str | None] = {}
    brackets: dict[str, list[float]] = {}
    for b in data.get("benchmarks", []):
        name, kind = b["name"], b.get("group")
        if name in medians:
            raise GateError(f"{source}: benchmark {name!r} appears twice")
        if kind is None:
            raise GateError(
                f"{source}: benchmark {name!r} has no kind; declare one with "
                f"@pytest.mark.benchmark(group=...) from {sorted(REFERENCES)}"
            )
        if kind not in REFERENCES:
            raise GateError(
                f"{source}: benchmark {name!r} has unknown kind {kind!r}; "
                f"known kinds: {sorted(REFERENCES)}"
            )
        medians[name] = float(b["stats"]["median"])
        kinds[name] = kind
        timers[name] = (b.get("options") or {}).get("timer")
        bracket = (b.get("extra_info") or {}).get("reference_s")
        if bracket:
            brackets[name] = [float(x) for x in bracket]
    out: dict[str, Ratio] = {}
    for name in sorted(medians):
        kind = kinds[name]
        ref = REFERENCES[kind]
        if name == ref:
            continue
        if ref not in medians:
            raise GateError(
                f"{source}: no {ref} in this run, needed as the reference of kind "
                f"{kind!r} (for {name!r}); run the whole benchmark suite"
            )
        if kinds[ref] != kind:
            raise GateError(f"{source}: reference {ref!r} is of kind {kinds[ref]!r}, not {kind!r}")
        if timers[name] != timers[ref]:
            raise GateError(
                f"{source}: {name!r} was timed with {timers[name]} but its reference {ref!r} "
                f"with {timers[ref]}; a ratio needs one clock (see benchmarks/conftest.py)"
            )
        if medians[ref] <= 0.0:
            raise GateError(f"{source}: reference {ref!r} has a median of {medians[ref]}")
        # the reference measured right before and after this benchmark, else the session's
        bracket = brackets.get(name)
        ref_s = sum(bracket) / len(bracket) if bracket else medians[ref]
        if ref_s <= 0.0:
            raise GateError(f"{source}: reference for {name!r} is {ref_s} s")
        out[name] = Ratio(name, kind, medians[name] / ref_s)
    return out


def load_baseline(path: Path) -> dict[str, Ratio]:
    raw = json.loads(path.read_text())
    out = {}
    for name, entry in raw.items():
        if not isinstance(entry, dict) or "kind" not in entry or "ratio" not in entry:
            raise GateError(f"{path}: entry {name!r} is not {{kind, ratio}}; rewrite with --update")
        out[name] = Ratio(name, str(entry["kind"]), float(entry["ratio"]))
    return out


def write_baseline(path: Path, now: dict[str, Ratio]) -> None:
    body = {r.name: {"kind": r.kind, "ratio": r.ratio} for r in now.values()}
    path.write_text(json.dumps(body, indent=1, sort_keys=True) + "\n")


@dataclass(frozen=True)
class Verdict:
    name: str
    kind: str
    ratio: float
    baseline: float | None
    change: float | None
    slower: bool


def judge(now: dict[str, Ratio], base: dict[str, Ratio], margin: float) -> list[Verdict]:
    out = []
    for name, r in now.items():
        b = base.get(name)
        if b is None:
            out.append(Verdict(name, r.kind, r.ratio, None, None, False))
            continue
        if b.kind != r.kind:
            raise GateError(
                f"{name!r} is of kind {r.kind!r} but its baseline was recorded as {b.kind!r}; "
                "re-record the baseline with --update"
            )
        change = r.ratio / b.ratio
        slower = change > margin and r.kind in GATED
        out.append(Verdict(name, r.kind, r.ratio, b.ratio, change, slower))
    return out


def report(verdicts: list[Verdict], missing: list[str], margin: float) -> int:
    print(f"{'benchmark':56s} {'kind':8s} {'ratio':>10s} {'baseline':>10s} {'change':>8s}")
    for v in sorted(verdicts, key=lambda v: (v.kind, v.name)):
        if v.baseline is None or v.change is None:
            print(f"{v.name:56s} {v.kind:8s} {v.ratio:10.3f} {'-':>10s} {'new':>8s}")
            continue
        flag = "  SLOWER" if v.slower else ("" if v.kind in GATED else "  (reported, not gated)")
        print(f"{v.name:56s} {v.kind:8s} {v.ratio:10.3f} {v.baseline:10.3f} {v.change:7.2f}x{flag}")
    for name in missing:
        print(f"{name:56s} {'':8s} {'-':>10s} {'':>10s} {'missing':>8s}")
    failed = [v for v in verdicts if v.slower]
    if failed:
        print(f"{len(failed)} benchmark(s) slower than {margin}x their baseline ratio")
        return 1
    print(f"all {len(verdicts)} ratios within {margin}x of the baseline")
    return 0


def median_ratios(runs: list[dict[str, Ratio]]) -> dict[str, Ratio]:
    """Per benchmark, the median ratio over several runs (a baseline less at one run's mercy)."""
    out: dict[str, Ratio] = {}
    for name in sorted({n for run in runs for n in run}):
        seen = [run[name] for run in runs if name in run]
        kinds = {r.kind for r in seen}
        if len(kinds) != 1:
            raise GateError(f"{name!r} has different kinds in the runs given: {sorted(kinds)}")
        out[name] = Ratio(name, seen[0].kind, statistics.median(r.ratio for r in seen))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("bench_json", type=Path, nargs="+", help="one run; several with --update")
    parser.add_argument("--baseline", type=Path, default=DEFAULT_BASELINE)
    parser.add_argument("--margin", type=float, default=2.0)
    parser.add_argument(
        "--update",
        action="store_true",
        help="rewrite the baseline from the run(s): the median ratio over the runs given",
    )
    args = parser.parse_args(argv)
    if len(args.bench_json) > 1 and not args.update:
        parser.error("several runs only with --update; the gate judges one run")
    try:
        runs = [ratios(json.loads(f.read_text()), str(f)) for f in args.bench_json]
        if args.update:
            write_baseline(args.baseline, median_ratios(runs))
            print(
                f"baseline written: {len(median_ratios(runs))} ratios "
                f"(median of {len(runs)} run(s)) -> {args.baseline}"
            )
            return 0
        now = runs[0]
        base = load_baseline(args.baseline)
        verdicts = judge(now, base, args.margin)
    except GateError as exc:
        print(f"gate: error: {exc}", file=sys.stderr)
        return 2
    return report(verdicts, sorted(set(base) - set(now)), args.margin)


if __name__ == "__main__":
    sys.exit(main())
