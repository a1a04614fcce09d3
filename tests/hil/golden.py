"""Golden digests of the scenario library on ``sim://``: a refactoring must not move a bit.

    python -m tests.hil.golden            # compare every scenario with tests/hil/golden.json
    python -m tests.hil.golden --update   # record new digests (say why in the commit)

A digest covers the telemetry columns (names, dtypes and raw bytes, so a
change in the last bit of one float changes it) and the result record apart
from what legitimately differs between two runs of the same build: wall-clock
timing, versions and the wall time. ``tests/hil/test_fault_library.py``
compares each scenario it runs on ``sim://`` with the stored digest, so a
behaviour-preserving change is shown to be one. A deliberate change of
behaviour (new physics, new quantisation) re-records the digests in the same
commit and says so in the CHANGELOG.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).with_name("golden.json")

#: Record fields that differ between two runs of the same build on the same seed (the
#: scenario path is absolute: it differs between two checkouts), and the provenance fields
#: (docs/records.md: input file digests, the device's Hello): a comment added to a scenario,
#: or a new provenance field, is not a change of behaviour.
VOLATILE = (
    "timing",
    "versions",
    "wall_time_s",
    "link",
    "started_utc",
    "host",
    "git",
    "git_commit",
    "scenario_path",
    "scenario_sha256",
    "preset_sha256",
    "device",
)


def telemetry_digest(cols: dict[str, Any]) -> str:
    """SHA-256 over column names, dtypes and raw values, in column order."""
    h = hashlib.sha256()
    for name, col in cols.items():
        h.update(name.encode())
        if isinstance(col, list):
            h.update(b"str")
            h.update("\x00".join(col).encode())
        else:
            arr = np.ascontiguousarray(col)
            h.update(str(arr.dtype).encode())
            h.update(arr.tobytes())
    return h.hexdigest()


def record_digest(record_json: str) -> str:
    """SHA-256 of the canonical record JSON without the volatile fields."""
    data = json.loads(record_json)
    for key in VOLATILE:
        data.pop(key, None)
    canon = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canon.encode()).hexdigest()


def digests(result: Any) -> dict[str, str]:
    """Both digests of one :class:`hil.runner.RunResult`."""
    return {
        "telemetry": telemetry_digest(result.telemetry.columns()),
        "record": record_digest(result.record.to_json()),
    }


def stored() -> dict[str, dict[str, str]]:
    if not GOLDEN.is_file():
        return {}
    data: dict[str, dict[str, str]] = json.loads(GOLDEN.read_text())
    return data


def _run_one(path: str) -> tuple[str, dict[str, str]]:
    from hil.runner import run
    from hil.scenario import load_scenario

    return Path(path).stem, digests(run(load_scenario(path)))


def main(argv: list[str] | None = None) -> int:
    from concurrent.futures import ProcessPoolExecutor

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="rewrite tests/hil/golden.json")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    paths = sorted(str(p) for p in (ROOT / "scenarios").glob("*.toml"))
    with ProcessPoolExecutor(args.jobs) as pool:
        now = dict(pool.map(_run_one, paths))
    if args.update:
        GOLDEN.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n")
        print(f"{len(now)} golden digests written to {GOLDEN}")
        return 0
    old = stored()
    bad = [name for name in now if old.get(name) != now[name]]
    for name in sorted(now):
        print(f"{name:32s} {'same' if name not in bad else 'DIFFERENT'}")
    print(f"{len(now) - len(bad)} of {len(now)} scenarios bit-identical to the golden digests")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
