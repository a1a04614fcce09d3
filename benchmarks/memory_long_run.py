"""Peak memory of a whole ``dockhil run`` against the simulated time it covers.

    python benchmarks/memory_long_run.py [--long-s 5000] [--short-s 300]

Runs the nominal docking held MATED (no stop on MATED) for ``--short-s`` and
for ``--long-s`` simulated seconds, each as its own ``dockhil run`` process
writing every output (telemetry streamed to Parquet, record, JUnit, report),
and prints each process's peak resident set size. Telemetry streams to disk
in row groups and is read back a column at a time, so the long run should
peak within a few tens of per cent of the short one (issue 15's goal: 20 %)
instead of growing by ~2.4 KB per cycle. A script, not a test: it takes a
minute or two and its figure is a measurement to read, not a pass/fail.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = """
import resource, sys
from hil import cli
code = cli.main(sys.argv[1:])
print("MAXRSS_KB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "EXIT", code)
"""


def peak_kb(seconds: float, work: Path) -> tuple[int, float, int]:
    """(peak RSS in KiB, wall time in s, rows of telemetry) of one held-MATED run."""
    text = (ROOT / "scenarios" / "nominal.toml").read_text()
    text = text.replace('stop_on_phase = ["MATED"]', "").replace(
        "duration_s = 1500", f"duration_s = {seconds:g}"
    )
    scenario = work / f"held-{seconds:g}.toml"
    scenario.write_text(text)
    out = work / f"run-{seconds:g}"
    t0 = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, "run", str(scenario), "--out", str(out), "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.monotonic() - t0
    m = re.search(r"MAXRSS_KB (\d+) EXIT (\d+)", proc.stdout)
    if m is None:
        raise SystemExit(f"the {seconds:g} s run failed:\n{proc.stdout}\n{proc.stderr}")
    import pyarrow.parquet as pq

    rows = pq.ParquetFile(out / "telemetry.parquet").metadata.num_rows
    return int(m.group(1)), wall, rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short-s", type=float, default=300.0)
    parser.add_argument("--long-s", type=float, default=5000.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="dockhil-mem-") as tmp:
        work = Path(tmp)
        peak_kb(10.0, work)  # warm the numba cache so neither measured run compiles
        short = peak_kb(args.short_s, work)
        long = peak_kb(args.long_s, work)
    print(f"{'simulated s':>12} {'rows':>9} {'wall s':>8} {'peak RSS MiB':>13}")
    for s, (kb, wall, rows) in ((args.short_s, short), (args.long_s, long)):
        print(f"{s:12.0f} {rows:9d} {wall:8.1f} {kb / 1024:13.1f}")
    print(f"long / short peak: {long[0] / short[0]:.3f} (goal <= 1.20)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
