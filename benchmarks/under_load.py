"""Does the benchmark gate hold under load? Run the suite idle, with one and with two CPU hogs.

    .venv/bin/python benchmarks/under_load.py [--hogs 0,1,2] [--max-time 0.5]
                                              [--out-dir .benchmarks/under_load]

For each number of hogs: start that many CPU hogs (child processes spinning in
a busy loop, hog ``k`` pinned to core ``k``, each with its own time limit and
killed with its parent), run ``pytest benchmarks`` with a JSON report, stop
the hogs in a ``finally``, and run the gate (``benchmarks/gate.py``) on the
report against the committed baseline. Then print one table: each benchmark's
kind, its ratio to the reference of its kind in every pass, and the gate's
verdicts; and the references' own medians, which show how hard the load hit.

Exit status: 0 when the gate passed in every pass, 1 when it failed in one,
2 when a run could not be judged. The figures depend on whatever else the
machine runs; "idle" means "no hog of ours".
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import gate  # noqa: E402  (run as a script: the repository root is not on the path)

#: a CPU hog: spin until its own deadline; die with the parent (PR_SET_PDEATHSIG) on Linux
_HOG = """
import ctypes, os, signal, sys, time
try:
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
except (OSError, AttributeError):
    pass
cpu = int(sys.argv[2])
if cpu >= 0 and hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {cpu})
deadline = time.monotonic() + float(sys.argv[1])
x = 0
while time.monotonic() < deadline:
    for _ in range(10_000):
        x += 1
"""


def start_hogs(n: int, limit_s: float, pin: bool) -> list[subprocess.Popen[bytes]]:
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    hogs = []
    for k in range(n):
        cpu = cpus[k % len(cpus)] if (pin and cpus) else -1
        hogs.append(subprocess.Popen([sys.executable, "-c", _HOG, str(limit_s), str(cpu)]))
    return hogs


def stop_hogs(hogs: list[subprocess.Popen[bytes]]) -> None:
    for h in hogs:
        if h.poll() is None:
            h.kill()
    for h in hogs:
        h.wait()


def run_suite(out: Path, max_time: float, min_rounds: int, select: str) -> tuple[int, float]:
    """One pass of ``pytest benchmarks``; (pytest's exit status, wall seconds)."""
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "benchmarks",
        "--benchmark-enable",
        "--benchmark-only",
        f"--benchmark-json={out}",
        f"--benchmark-max-time={max_time}",
        f"--benchmark-min-rounds={min_rounds}",
        "-q",
        "-p",
        "no:cacheprovider",
        *(["-k", select] if select else []),
    ]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wall = time.monotonic() - t0
    if proc.returncode != 0:
        sys.stdout.write(proc.stdout.decode(errors="replace")[-4000:])
    return proc.returncode, wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--hogs", default="0,1,2", help="comma-separated hog counts, one pass each")
    parser.add_argument("--max-time", type=float, default=0.5, help="--benchmark-max-time, s")
    parser.add_argument("--min-rounds", type=int, default=5, help="--benchmark-min-rounds")
    parser.add_argument(
        "--hog-limit", type=float, default=600.0, help="each hog's own time limit, s"
    )
    parser.add_argument("--no-pin", action="store_true", help="let the scheduler place the hogs")
    parser.add_argument("-k", dest="select", default="", help="pytest -k expression (a subset)")
    parser.add_argument("--baseline", type=Path, default=gate.DEFAULT_BASELINE)
    parser.add_argument("--margin", type=float, default=2.0)
    parser.add_argument("--out-dir", type=Path, default=ROOT / ".benchmarks" / "under_load")
    args = parser.parse_args(argv)
    counts = [int(c) for c in args.hogs.split(",")]
    args.out_dir.mkdir(parents=True, exist_ok=True)
    base = gate.load_baseline(args.baseline)

    t_all = time.monotonic()
    results: dict[int, dict[str, gate.Verdict]] = {}
    ref_medians: dict[int, dict[str, float]] = {}
    walls: dict[int, float] = {}
    status = 0
    for n in counts:
        out = args.out_dir / f"hogs-{n}.json"
        print(f"== pass with {n} hog(s) -> {out}", flush=True)
        hogs = start_hogs(n, args.hog_limit, not args.no_pin)
        try:
            time.sleep(0.5 if n else 0.0)  # let the hogs get going
            rc, walls[n] = run_suite(out, args.max_time, args.min_rounds, args.select)
        finally:
            stop_hogs(hogs)
        print(f"   pytest exit {rc}, {walls[n]:.0f} s", flush=True)
        if rc != 0:
            return 2
        data = json.loads(out.read_text())
        try:
            verdicts = gate.judge(gate.ratios(data, str(out)), base, args.margin)
        except gate.GateError as exc:
            print(f"gate: error: {exc}", file=sys.stderr)
            return 2
        if gate.report(verdicts, sorted(set(base) - {v.name for v in verdicts}), args.margin):
            status = 1
        results[n] = {v.name: v for v in verdicts}
        meds = {b["name"]: b["stats"]["median"] for b in data["benchmarks"]}
        ref_medians[n] = {k: meds[r] for k, r in gate.REFERENCES.items() if r in meds}

    names = sorted({name for r in results.values() for name in r}, key=lambda s: s.lower())
    kinds = {name: v.kind for r in results.values() for name, v in r.items()}
    names.sort(key=lambda s: (kinds[s], s))
    head = " | ".join(
        f"ratio {n} hog{'s' if n != 1 else ''}" if n else "ratio idle" for n in counts
    )
    print()
    print(f"| benchmark | kind | baseline | {head} | gate verdicts |")
    print("|---|---|---|" + "---|" * len(counts) + "---|")
    for name in names:
        cells: list[str] = []
        marks: list[str] = []
        for n in counts:
            v = results[n].get(name)
            if v is None:
                cells.append("-")
                marks.append("-")
                continue
            change = f" ({v.change:.2f}x)" if v.change is not None else ""
            cells.append(f"{v.ratio:.4g}{change}")
            if v.baseline is None:
                marks.append("new")
            else:
                marks.append("FAIL" if v.slower else ("pass" if v.kind in gate.GATED else "shown"))
        b = base.get(name)
        bcell = f"{b.ratio:.4g}" if b else "-"
        print(
            f"| {name} | {kinds[name]} | {bcell} | " + " | ".join(cells) + f" | {'/'.join(marks)} |"
        )
    for kind, ref in gate.REFERENCES.items():
        if kind not in ref_medians[counts[0]]:
            continue
        cells = [f"{ref_medians[n][kind] * 1e6:.4g} us" for n in counts]
        print(f"| *{ref}* (median) | {kind} | | " + " | ".join(cells) + " | reference |")
    print()
    print(
        "pass wall times: "
        + ", ".join(f"{n} hog(s) {walls[n]:.0f} s" for n in counts)
        + f"; whole script {time.monotonic() - t_all:.0f} s"
    )
    print("gate: " + ("passed in every pass" if status == 0 else "FAILED in at least one pass"))
    return status


if __name__ == "__main__":
    sys.exit(main())
