"""The benchmark gate (benchmarks/gate.py) on synthetic pytest-benchmark JSON: it can fail."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks import gate

# medians in seconds: one benchmark and one reference of every kind
MEDIANS: dict[str, tuple[str, float]] = {
    "test_reference_workload": ("compute", 30e-6),
    "test_step": ("compute", 15e-6),
    "test_reference_parallel": ("parallel", 0.15),
    "test_batch": ("parallel", 2.0),
    "test_reference_pty_round_trip": ("ipc", 70e-6),
    "test_cycle_pty": ("ipc", 500e-6),
}


def bench_json(medians: dict[str, tuple[str | None, float]]) -> dict[str, Any]:
    return {
        "benchmarks": [
            {"name": name, "group": kind, "stats": {"median": med, "min": med, "rounds": 5}}
            for name, (kind, med) in medians.items()
        ]
    }


def scaled(factors: dict[str, float]) -> dict[str, tuple[str | None, float]]:
    return {name: (kind, med * factors.get(name, 1.0)) for name, (kind, med) in MEDIANS.items()}


@pytest.fixture
def files(tmp_path: Path) -> Any:
    """Write a run and (from MEDIANS) a baseline; return the gate's exit status."""
    baseline = tmp_path / "baseline.json"
    run = tmp_path / "run.json"
    run.write_text(json.dumps(bench_json(dict(MEDIANS))))
    assert gate.main([str(run), "--baseline", str(baseline), "--update"]) == 0

    def judge(medians: dict[str, tuple[str | None, float]]) -> int:
        run.write_text(json.dumps(bench_json(medians)))
        return gate.main([str(run), "--baseline", str(baseline)])

    return judge


def test_unchanged_run_passes(files: Any) -> None:
    assert files(scaled({})) == 0


@pytest.mark.parametrize("name", ["test_step", "test_batch"])
def test_ratio_to_own_reference_2_5x_fails(files: Any, name: str, capsys: Any) -> None:
    assert files(scaled({name: 2.5})) == 1
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.startswith(name))
    assert "2.50x" in line
    assert "SLOWER" in line


@pytest.mark.parametrize(
    ("name", "ref"),
    [
        ("test_step", "test_reference_workload"),
        ("test_batch", "test_reference_parallel"),
        ("test_cycle_pty", "test_reference_pty_round_trip"),
    ],
)
def test_benchmark_and_its_reference_3x_slower_together_passes(
    files: Any, name: str, ref: str
) -> None:
    assert files(scaled({name: 3.0, ref: 3.0})) == 0


def test_pty_judged_by_pty_reference_not_compute(files: Any) -> None:
    """The issue's case: a busy core slows pty hand-offs, not the compute reference."""
    load = {"test_cycle_pty": 2.25, "test_reference_pty_round_trip": 2.25}
    assert files(scaled(load)) == 0
    # ...whereas a slower pty reference does not hide a slower compute benchmark
    assert files(scaled({"test_step": 2.5, "test_reference_pty_round_trip": 2.5})) == 1


def test_ipc_is_reported_not_gated(files: Any, capsys: Any) -> None:
    """ipc ratios swing with load beyond any margin (under_load.py), so they are shown only."""
    assert files(scaled({"test_cycle_pty": 2.5})) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("test_cycle"))
    assert "2.50x" in line
    assert "not gated" in line


@pytest.mark.parametrize(
    "ref", ["test_reference_workload", "test_reference_parallel", "test_reference_pty_round_trip"]
)
def test_missing_reference_is_an_error(files: Any, ref: str, capsys: Any) -> None:
    medians = scaled({})
    del medians[ref]
    assert files(medians) == 2
    assert ref in capsys.readouterr().err


def test_unknown_kind_is_an_error(files: Any, capsys: Any) -> None:
    medians = scaled({})
    medians["test_new"] = ("gpu", 1e-3)
    assert files(medians) == 2
    assert "unknown kind 'gpu'" in capsys.readouterr().err


def test_benchmark_without_kind_is_an_error(files: Any, capsys: Any) -> None:
    medians = scaled({})
    medians["test_new"] = (None, 1e-3)
    assert files(medians) == 2
    assert "has no kind" in capsys.readouterr().err


def test_kind_changed_since_baseline_is_an_error(files: Any, capsys: Any) -> None:
    medians = scaled({})
    medians["test_step"] = ("ipc", MEDIANS["test_step"][1])
    assert files(medians) == 2
    assert "--update" in capsys.readouterr().err


def test_benchmark_and_reference_on_different_clocks_is_an_error(
    files: Any, tmp_path: Path, capsys: Any
) -> None:
    data = bench_json(scaled({}))
    for b in data["benchmarks"]:
        b["options"] = {"timer": "thread_time" if b["name"] == "test_step" else "perf_counter"}
    run = tmp_path / "clocks.json"
    run.write_text(json.dumps(data))
    assert gate.main([str(run), "--baseline", str(tmp_path / "baseline.json")]) == 2
    assert "one clock" in capsys.readouterr().err


def test_new_benchmark_is_reported_not_gated(files: Any, capsys: Any) -> None:
    medians = scaled({})
    medians["test_new"] = ("compute", 1.0)  # ratio 33 000, no baseline
    assert files(medians) == 0
    assert "new" in capsys.readouterr().out


def test_committed_baseline_and_suite_agree() -> None:
    """Every benchmark in the committed baseline has a kind with a reference."""
    base = gate.load_baseline(gate.DEFAULT_BASELINE)
    assert base
    assert {r.kind for r in base.values()} <= set(gate.REFERENCES)
    assert not set(gate.REFERENCES.values()) & set(base)


def test_bracketing_reference_is_preferred(files: Any, tmp_path: Path) -> None:
    """A reference measured right before and after a benchmark beats the session's one."""
    baseline = tmp_path / "baseline.json"
    run = tmp_path / "bracket.json"

    def write(step_s: float, bracket_s: float) -> None:
        data = bench_json(scaled({}))
        for b in data["benchmarks"]:
            if b["name"] == "test_step":
                b["stats"]["median"] = step_s
                b["extra_info"] = {"reference_s": [bracket_s, bracket_s]}
        run.write_text(json.dumps(data))

    write(15e-6, 30e-6)
    assert gate.main([str(run), "--baseline", str(baseline), "--update"]) == 0
    # the machine slowed 3x while test_step ran, not while the session's reference did
    write(45e-6, 90e-6)
    assert gate.main([str(run), "--baseline", str(baseline)]) == 0
    # test_step itself 2.5x slower than the reference bracketing it
    write(2.5 * 15e-6, 30e-6)
    assert gate.main([str(run), "--baseline", str(baseline)]) == 1


def test_update_from_several_runs_takes_the_median(tmp_path: Path) -> None:
    runs = []
    for k, factor in enumerate([1.0, 1.5, 4.0]):
        run = tmp_path / f"run{k}.json"
        run.write_text(json.dumps(bench_json(scaled({"test_step": factor}))))
        runs.append(str(run))
    baseline = tmp_path / "baseline.json"
    assert gate.main([*runs, "--baseline", str(baseline), "--update"]) == 0
    assert gate.load_baseline(baseline)["test_step"].ratio == pytest.approx(1.5 * 15 / 30)
    with pytest.raises(SystemExit):
        gate.main([*runs, "--baseline", str(baseline)])  # judging takes one run
