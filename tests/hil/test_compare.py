"""``dockhil compare``: identical runs agree; a changed seed or a fault is found where it starts."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from hil import cli
from hil.compare import compare_runs
from hil.output import write_run
from hil.runner import run
from hil.scenario import Fault, load_scenario

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = dataclasses.replace(
        load_scenario(ROOT / "scenarios" / "nominal.toml"), duration_s=12.0, stop_on_phase=()
    )
    jammed = dataclasses.replace(base, faults=(Fault(t_s=0.0, kind="latch_fail", index=2),))
    out = {}
    for name, scenario, seed in (
        ("a", base, None),
        ("a_again", base, None),
        ("seed7", base, 7),
        ("latch", jammed, None),
    ):
        out[name] = write_run(
            run(scenario, seed=seed), tmp_path_factory.mktemp(name), report=False
        )["result"]
    return {k: v.parent for k, v in out.items()}


def test_same_seed_runs_are_identical(
    runs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    c = compare_runs(runs["a"], runs["a_again"])
    assert c.identical
    assert cli.main(["compare", str(runs["a"]), str(runs["a_again"])]) == 0
    out = capsys.readouterr().out
    assert "phase timelines: identical" in out
    assert "telemetry: identical (1201 rows)" in out


def test_another_seed_differs_from_the_first_cycle(runs: dict[str, Path]) -> None:
    c = compare_runs(runs["a"], runs["seed7"])
    assert not c.identical
    assert c.telemetry_divergence is not None
    assert c.telemetry_divergence["row"] == 0  # sensor noise differs from the first frame
    assert "axial_load_n" in c.max_abs_diff
    by_name = {m["name"]: m for m in c.measurements}
    peak = by_name["peak_axial_load_n"]
    assert peak["delta"] == pytest.approx(peak["b"] - peak["a"])
    # with a tolerance wider than the noise, the sensed channels agree
    wide = compare_runs(runs["a"], runs["seed7"], atol=1e9)
    assert wide.telemetry_divergence is None


def test_a_failed_latch_is_found_where_the_timelines_part(
    runs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    c = compare_runs(runs["a"], runs["latch"])
    assert c.phase_divergence is not None
    a, b = c.phase_divergence["a"], c.phase_divergence["b"]
    assert a["phase"] != b["phase"] or a["t_s"] != b["t_s"]
    assert c.telemetry_divergence is not None
    assert c.telemetry_divergence["t_s"] > 2.0  # identical until the ring meets the station
    assert cli.main(["compare", str(runs["a"]), str(runs["latch"])]) == 1
    assert "first divergence at entry" in capsys.readouterr().out


def test_compare_refuses_what_is_not_a_run(tmp_path: Path, runs: dict[str, Path]) -> None:
    assert cli.main(["compare", str(runs["a"]), str(tmp_path)]) == 2
    assert cli.main(["compare", str(runs["a"]), str(runs["a"]), "--rtol", "-1"]) == 2
