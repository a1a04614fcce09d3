"""The scenario library: every scenarios/*.toml passes, and docs/faults.md is complete.

The library runs on the backend the pytest plugin is given (``--hal-url``, default
``sim://``); CI runs it on ``sim://`` and again over the virtual microcontroller's
pty (``--hal-url vmcu://``). Each scenario is one test, so ``pytest -n 2``
(pytest-xdist) spreads the library over the cores; ``dockhil suite scenarios/``
runs the same files in parallel.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hil.runner import run
from hil.scenario import load_scenario
from tests.hil.golden import digests, stored

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))
MATRIX = ROOT / "docs" / "faults.md"


@pytest.mark.slow
@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario_passes(path: Path, hal_url: str) -> None:
    url = None if hal_url == "sim://" else hal_url
    result = run(load_scenario(path), hal_url=url)
    record = result.record
    failed = [
        f"{m.name} = {m.value} not in [{m.low}, {m.high}]"
        for m in record.measurements
        if m.outcome == "FAIL"
    ] + [f"{c.name}: {c.detail}" for c in record.checks if c.outcome == "FAIL"]
    assert record.outcome == "PASS", (
        f"{path.name}: {record.outcome} (final phase {record.final_phase}, "
        f"error {record.error}); failed: " + "; ".join(failed)
    )
    if url is None:
        # on sim:// the run must match its golden digests bit for bit (tests/hil/golden.py)
        assert digests(result) == stored().get(path.stem), (
            f"{path.name}: telemetry or record differs from tests/hil/golden.json; if the "
            "change of behaviour is deliberate, re-record with python -m tests.hil.golden --update"
        )
    elif url.startswith("vmcu://") and "realtime" not in url:
        # over the virtual microcontroller's link in lockstep the telemetry is the same
        # bits as on sim:// (ICD SIM-HK-1); the record differs (URL, device events)
        golden = stored().get(path.stem, {})
        assert digests(result)["telemetry"] == golden.get("telemetry"), (
            f"{path.name}: telemetry over {url} differs from the sim:// golden digest"
        )


def _matrix_rows() -> list[list[str]]:
    """Table rows of docs/faults.md's matrix (cells stripped), header and rule excluded."""
    rows = []
    for line in MATRIX.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|") or set(line) <= set("|-: "):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0].lower() == "fault":
            continue
        rows.append(cells)
    return rows


COVERED_BY = re.compile(r"`((?:scenarios|tests)/[\w./-]+?)(?:::(\w+))?`")


def test_every_matrix_row_names_an_existing_scenario_or_test() -> None:
    rows = _matrix_rows()
    assert len(rows) >= 20, "docs/faults.md lost its matrix"
    for cells in rows:
        refs = COVERED_BY.findall(cells[-1])
        assert refs, f"row {cells[0]!r} names no scenario or test in its last column"
        for path, func in refs:
            target = ROOT / path
            assert target.is_file(), f"row {cells[0]!r}: {path} does not exist"
            if func:
                assert re.search(rf"^def {func}\(", target.read_text(), re.M), (
                    f"row {cells[0]!r}: {path} has no test {func}"
                )


def test_every_fault_scenario_is_in_the_matrix() -> None:
    named = {path for cells in _matrix_rows() for path, _ in COVERED_BY.findall(cells[-1])}
    faults = [p.relative_to(ROOT).as_posix() for p in SCENARIOS]
    missing = [f for f in faults if Path(f).name.startswith("fault-") and f not in named]
    assert not missing, f"fault scenarios missing from docs/faults.md: {missing}"
