"""Campaigns: file errors, samplers, statistics, and a small campaign on a real LocalCluster.

The cluster test runs a few tens of short runs twice: the same campaign seed
must give the same ``runs.parquet``; an interrupted campaign keeps its rows
and resumes without re-running them; a replayed run equals its row.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from controller.errors import ConfigError, ScenarioError
from hil.campaign import engine, results
from hil.campaign.execute import RunSpec, execute, row
from hil.campaign.replay import replay, spec_of
from hil.campaign.sampling import run_seed, sample, unit_points
from hil.campaign.spec import load_campaign
from hil.cli import main
from hil.runner import run
from hil.scenario import Fault, load_scenario

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "campaigns" / "envelope-base.toml"

SMALL = """
[campaign]
name = "t"
scenario = "{base}"
runs = {runs}
seed = 11
sampler = "{sampler}"
keep_worst = 1
keep_failures = 1

[window]
end_phase = "BUFFERING"
after_s = 0.5
max_s = 20.0

[[dispersion]]
path = "initial.closing_speed_m_s"
low = 0.08
high = 0.18

[[dispersion]]
path = "initial.lateral_offset_m"
magnitude = true
low = 0.0
high = 0.16
{extra}
"""


def _write(tmp: Path, runs: int = 12, sampler: str = "lhs", extra: str = "") -> Path:
    path = tmp / "c.toml"
    path.write_text(SMALL.format(base=BASE, runs=runs, sampler=sampler, extra=extra))
    return path


# ---------------------------------------------------------------- file errors
@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ('[[dispersion]]\npath = "initial.closing_speed_m_s"\nlow = 0.0\nhigh = 5.0', "path"),
        ('[[dispersion]]\npath = "initial.closing_sped_m_s"\nlow = 0.0\nhigh = 0.1', "dispersion"),
        ('[[dispersion]]\npath = "initial.distance_m"\nlow = 0.1\nhigh = 50.0', "dispersion"),
        ('[[dispersion]]\npath = "nonsense.x"\nlow = 0.0\nhigh = 1.0', "dispersion[2].path"),
        ('[[dispersion]]\npath = "faults[0].value"\nlow = 0.0\nhigh = 1.0', "faults[0].value"),
        ('[[dispersion]]\npath = "preset.buffer.no_such_n"\nlow = 1.0\nhigh = 2.0', "preset"),
        ('[[dispersion]]\npath = "preset.buffer.axial_stiffness_n_m"\nlow = -5.0\nhigh = 1.0', ""),
        ('[[dispersion]]\npath = "initial.angle_deg[1]"\nlow = 1.0', "dispersion[2].high"),
        ('[boundary]\naxes = ["initial.closing_speed_m_s", "x"]\norigin = [0.1, 0.0]', "axes"),
        ("[window]\nend_phase = 'NOPE'", "window"),
        ("speling = 1", "speling"),
        ('[[dispersion]]\npath = "initial.angle_deg[1,2]"\nlow = 0.0\nhigh = 3.0', "path"),
        (
            '[[dispersion]]\npath = "initial.angle_deg[1,7]"\nmagnitude = true\n'
            "low = 0.0\nhigh = 3.0",
            "angle_deg",
        ),
        (
            '[[dispersion]]\npath = "initial.angle_deg[1]"\nmagnitude = true\n'
            "low = 0.0\nhigh = 3.0",
            "magnitude",
        ),
    ],
)
def test_malformed_campaign_names_file_and_field(tmp_path: Path, extra: str, field: str) -> None:
    path = _write(tmp_path, extra=extra)
    with pytest.raises(ScenarioError) as info:
        load_campaign(path)
    assert str(path) in str(info.value)
    assert field in info.value.field or field in str(info.value)


def test_malformed_campaign_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, extra='[[dispersion]]\npath = "initial.nope"\nlow = 0.0\nhigh = 1.0')
    assert main(["campaign", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "c.toml" in err
    assert "initial.nope" in err
    assert "Traceback" not in err


def test_unknown_preset_number_dispersion_is_checked_at_load(tmp_path: Path) -> None:
    ok = _write(
        tmp_path,
        extra='[[dispersion]]\npath = "preset.buffer.lateral_stiffness_n_m"\nlow = 500.0\n'
        "high = 900.0",
    )
    c = load_campaign(ok)
    assert "preset.buffer.lateral_stiffness_n_m" in c.input_columns


# ---------------------------------------------------------------- samplers
def test_lhs_puts_one_run_in_every_stratum_of_every_input(tmp_path: Path) -> None:
    c = load_campaign(_write(tmp_path, runs=40))
    u = unit_points(c)
    assert u.shape == (40, 3)
    for dim in range(3):
        strata = np.floor(u[:, dim] * 40).astype(int)
        assert sorted(strata) == list(range(40))


def test_uniform_is_not_stratified(tmp_path: Path) -> None:
    """The LHS check above can fail: independent uniform draws of 40 leave strata empty."""
    u = unit_points(load_campaign(_write(tmp_path, runs=40, sampler="uniform")))
    assert len(set(np.floor(u[:, 0] * 40).astype(int))) < 40


def test_samples_depend_only_on_the_campaign_seed(tmp_path: Path) -> None:
    c = load_campaign(_write(tmp_path))
    assert sample(c) == sample(c)
    assert run_seed(11, 3) == run_seed(11, 3) != run_seed(11, 4) != run_seed(12, 4)
    for values in sample(c):
        assert 0.08 <= float(values["initial.closing_speed_m_s"]) <= 0.18
        norm = math.hypot(
            float(values["initial.lateral_offset_m[0]"]),
            float(values["initial.lateral_offset_m[1]"]),
        )
        assert norm == pytest.approx(float(values["initial.lateral_offset_m|norm"]))
        assert norm <= 0.16 + 1e-12


def test_corners_are_the_vertices(tmp_path: Path) -> None:
    c = load_campaign(_write(tmp_path, runs=100, sampler="corners"))
    points = sample(c)
    assert len(points) == 8  # 3 sampler dimensions
    speeds = {p["initial.closing_speed_m_s"] for p in points}
    norms = {round(float(p["initial.lateral_offset_m|norm"]), 12) for p in points}
    assert speeds == {0.08, 0.18}
    assert norms == {0.0, 0.16}


def test_normal_is_truncated_to_the_range(tmp_path: Path) -> None:
    c = load_campaign(_write(tmp_path, runs=500, sampler="normal"))
    speeds = np.array([p["initial.closing_speed_m_s"] for p in sample(c)], dtype=float)
    assert speeds.min() >= 0.08
    assert speeds.max() <= 0.18
    assert abs(float(np.median(speeds)) - 0.13) < 0.01
    assert float(np.std(speeds)) < 0.1 / 6 * 1.1  # centred, 3 sigma at the ends


def test_list_sampler_runs_the_given_points(tmp_path: Path) -> None:
    extra = (
        '[[list]]\n"initial.closing_speed_m_s" = 0.1\n"initial.lateral_offset_m[0]" = 0.0\n'
        '[[list]]\n"initial.closing_speed_m_s" = 0.15\n"initial.lateral_offset_m[0]" = 0.1\n'
    )
    text = SMALL.format(base=BASE, runs=0, sampler="list", extra=extra)
    text = text.replace(
        '"initial.lateral_offset_m"\nmagnitude = true', '"initial.lateral_offset_m[0]"'
    )
    path = tmp_path / "l.toml"
    path.write_text(text)
    c = load_campaign(path)
    assert c.runs == 2
    assert [p["initial.closing_speed_m_s"] for p in sample(c)] == [0.1, 0.15]


# ---------------------------------------------------------------- statistics
@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    # Newcombe (1998), Stat. Med. 17:857, Table I, method 3 (Wilson score, no correction)
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611),
     (1, 29, 0.0061, 0.1718)],
)  # fmt: skip
def test_wilson_interval_matches_published_values(k: int, n: int, low: float, high: float) -> None:
    lo, hi = results.wilson(k, n)
    assert lo == pytest.approx(low, abs=5e-5)
    assert hi == pytest.approx(high, abs=5e-5)


def test_wilson_is_not_the_normal_approximation() -> None:
    """0 of 20 has a Wald interval of zero width; Wilson's is not."""
    lo, hi = results.wilson(0, 20)
    assert lo == 0.0
    assert hi > 0.15


def _rows(values: list[float], captured: list[bool]) -> list[dict[str, Any]]:
    return [
        {"run_id": i, "outcome": "PASS", "final_phase": "BUFFERING", "captured": c,
         "m:peak_axial_load_n": v, "m:capture_time_after_contact_s": 1.0,
         "m:peak_lateral_load_n": 100.0, "in:initial.closing_speed_m_s": v / 1e5,
         "in:initial.lateral_offset_m[0]": 0.0, "in:initial.lateral_offset_m[1]": 0.0,
         "in:initial.lateral_offset_m|norm": 0.0}
        for i, (v, c) in enumerate(zip(values, captured, strict=True))
    ]  # fmt: skip


def test_measurement_over_its_limit_is_counted_and_fails(tmp_path: Path) -> None:
    c = load_campaign(_write(tmp_path))
    inside = results.measurement_stats(c, _rows([1000.0, 15000.0, 19000.0], [True] * 3))
    assert inside["peak_axial_load_n"]["verdict"] == "PASS"
    over = results.measurement_stats(c, _rows([1000.0, 25000.0, 19000.0], [True] * 3))
    assert over["peak_axial_load_n"]["verdict"] == "FAIL"
    assert over["peak_axial_load_n"]["outside_limits"] == 1
    assert over["peak_axial_load_n"]["percentiles"]["50"] == 19000.0


def test_worst_runs_and_sensitivity(tmp_path: Path) -> None:
    c = load_campaign(_write(tmp_path))
    loads = [1000.0 * i for i in range(1, 11)]
    rows = _rows(loads, [True] * 10)
    assert results.worst(c, rows, 3) == [9, 8, 7]  # highest axial load: least margin
    top = results.sensitivity(c, rows)[0]
    assert top["input"] == "initial.closing_speed_m_s"
    assert top["rho"] == pytest.approx(-1.0)  # faster -> less axial-load margin, monotone


def test_the_row_of_a_run_is_its_record(tmp_path: Path) -> None:
    c = load_campaign(_write(tmp_path, runs=2))
    values = sample(c)[0]
    r = execute(c, RunSpec(0, 5, values))
    assert r["captured"] is True
    assert r["final_phase"].startswith("BUFFERING")
    assert r["in:initial.closing_speed_m_s"] == values["initial.closing_speed_m_s"]
    bad = execute(c, RunSpec(1, 5, {**values, "initial.closing_speed_m_s": 9.0}))
    assert bad["outcome"] == "ERROR"
    assert "closing_speed_m_s" in bad["error"]
    assert bad["safe_end"] is False


def test_a_capture_window_row_equals_the_plain_run() -> None:
    """The campaign's lean backend gives every measurement the plain ``sim://`` run gives,
    the energy ones (capture + 10 s, the ledger's "other" dissipation) included."""
    from hil.campaign.execute import prepare

    c = load_campaign(ROOT / "campaigns" / "maker-envelope.toml")
    centre = {"initial.closing_speed_m_s": 0.13, "initial.lateral_offset_m[0]": 0.08}
    spec = RunSpec(0, 1, centre)
    r = execute(c, spec)
    plain = run(prepare(c, spec)[0]).record
    assert r["m:energy_ledger_error_fraction"] == r["m:energy_ledger_error_fraction"]  # not NaN
    for m in plain.measurements:
        stored = r[f"m:{m.name}"]
        assert (m.value is None and math.isnan(stored)) or m.value == stored, m.name


BOUNDARY = """
[boundary]
axes = ["initial.closing_speed_m_s", "initial.lateral_offset_m|norm"]
origin = [0.13, 0.0]
rays = 4
steps = 3
reach = 6.0
"""


def test_boundary_ray_brackets_where_capture_stops(tmp_path: Path) -> None:
    from hil.campaign.boundary import ray

    c = load_campaign(_write(tmp_path, extra=BOUNDARY))
    found = ray(c, math.pi / 2, 1)  # straight up the lateral-offset axis
    assert found["inside"] is not None
    assert found["outside"] is not None
    assert found["runs"] == 2 + 3
    (x_in, y_in), (x_out, y_out) = found["inside"], found["outside"]
    assert x_in == pytest.approx(0.13)
    assert x_out == pytest.approx(0.13)
    assert 0.0 <= y_in < y_out <= 0.48 + 1e-9
    assert y_out - y_in == pytest.approx(6.0 * 0.08 / 2**3)

    def captured(y: float) -> bool:
        values = {
            "initial.closing_speed_m_s": 0.13,
            "initial.lateral_offset_m[0]": y,
            "initial.lateral_offset_m[1]": 0.0,
            "initial.lateral_offset_m|norm": y,
        }
        return bool(execute(c, RunSpec(-1, 1, values))["captured"])

    assert captured(y_in)
    assert not captured(y_out)


# ---------------------------------------------------------------- on a real LocalCluster
def _table(out: Path) -> Any:
    import pyarrow.parquet as pq

    return pq.read_table(str(out / "runs.parquet"))


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """One real LocalCluster of two worker processes for the campaigns of this module."""
    import logging

    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, dashboard_address=":0", silence_logs=logging.ERROR
    ) as cluster:
        yield cluster.scheduler_address


def test_campaign_on_localcluster_is_deterministic_resumable_and_replayable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scheduler: str
) -> None:
    campaign = load_campaign(_write(tmp_path, runs=16))
    a, b = tmp_path / "a", tmp_path / "b"
    summary = engine.run_campaign(campaign, a, workers=2, quiet=True)
    assert summary["runs"] == 16
    assert _table(a).num_rows == 16
    assert (a / "report.html").is_file()
    assert any((a / "plots").glob("map-*.png"))
    assert summary["p_capture"]["n"] == 16
    lo, hi = summary["p_capture"]["wilson95"]
    assert lo <= summary["p_capture"]["p"] <= hi
    kept = summary["kept_telemetry"]
    assert kept
    assert all((a / "telemetry" / f"{i}.parquet").is_file() for i in kept)

    # interrupted after the first rows are written: they stay, and the command resumes
    monkeypatch.setattr(engine, "FLUSH_S", 0.0)
    real_write = results.write_rows
    calls = {"n": 0}

    def write_then_interrupt(out: Path, rows: Any) -> None:
        real_write(out, rows)
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(results, "write_rows", write_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        engine.run_campaign(campaign, b, scheduler=scheduler, quiet=True)
    monkeypatch.setattr(results, "write_rows", real_write)
    partial = _table(b)
    assert 0 < partial.num_rows < 16
    # mark a finished row: a resumed campaign must keep it, not run it again
    import pyarrow as pa
    import pyarrow.parquet as pq

    phases = partial.column("final_phase").to_pylist()
    phases[0] = "MARKED"
    marked = partial.set_column(
        partial.schema.get_field_index("final_phase"), "final_phase", pa.array(phases)
    )
    pq.write_table(marked, str(b / "runs.parquet"))
    marked_id = partial.column("run_id")[0].as_py()
    engine.run_campaign(campaign, b, scheduler=scheduler, quiet=True)
    resumed = _table(b)
    assert resumed.num_rows == 16
    assert resumed.column("final_phase")[marked_id].as_py() == "MARKED"
    # apart from the marked cell, the resumed table is the uninterrupted one: same seed, same rows
    restored = resumed.set_column(
        resumed.schema.get_field_index("final_phase"), "final_phase", _table(a)["final_phase"]
    )
    assert restored.schema == _table(a).schema
    assert all(
        _same(x, y) for x, y in zip(restored.to_pylist(), _table(a).to_pylist(), strict=True)
    )

    # a replayed run equals its row, in process and through the command line
    rows = {r["run_id"]: r for r in _table(a).to_pylist()}
    rid = kept[0]
    scenario, hal = replay(a, rid)
    saved = load_campaign(a / "campaign.toml")
    again = row(saved, spec_of(saved, rows[rid]), run(scenario, hal=hal).record)
    assert _same(again, rows[rid])
    assert main(["run", "--replay", str(a), str(rid), "--out", str(tmp_path / "r"), "-q"]) in (0, 1)
    record = json.loads((tmp_path / "r" / "result.json").read_text())
    for m in record["measurements"]:
        stored = rows[rid][f"m:{m['name']}"]
        assert (m["value"] is None and math.isnan(stored)) or m["value"] == stored
    assert record["final_phase"] == rows[rid]["final_phase"]
    # the written scenario file, run the ordinary way (plain sim://, full truth), gives the row
    plain = run(load_scenario(a / "scenarios" / f"{rid}.toml")).record
    assert _same(row(saved, spec_of(saved, rows[rid]), plain), rows[rid])

    # a different directory of another campaign is refused, not overwritten
    (tmp_path / "x").mkdir()
    other = load_campaign(_write(tmp_path / "x", runs=3))
    with pytest.raises(ConfigError, match="holds campaign"):
        engine.prepare_dir(other, a)


def _same(x: dict[str, Any], y: dict[str, Any]) -> bool:
    for k, v in x.items():
        w = y[k]
        if isinstance(v, float) and math.isnan(v):
            if not (isinstance(w, float) and math.isnan(w)):
                return False
        elif v != w:
            return False
    return True


@pytest.mark.parametrize("name", ["maker-envelope", "ci-small"])
def test_example_campaigns_load_with_the_makers_envelope(name: str) -> None:
    c = load_campaign(ROOT / "campaigns" / f"{name}.toml")
    ranges = {d.path: (d.low, d.high) for d in c.dispersions}
    assert ranges["initial.closing_speed_m_s"] == (0.08, 0.18)  # DOMAIN.md 2a
    assert ranges["initial.lateral_offset_m"] == (0.0, 0.16)
    assert c.boundary is not None
    if name == "maker-envelope":
        assert c.runs == 10_000
        assert ranges["initial.lateral_speed_m_s"] == (0.0, 0.10)
        assert ranges["initial.angle_deg[0]"] == (-5.0, 5.0)
        assert ranges["initial.angle_deg[1,2]"] == (0.0, 3.0)  # pitch/yaw vector sum
        assert all(ranges[f"initial.rate_deg_s[{i}]"] == (-0.6, 0.6) for i in range(3))
        assert c.at_contact  # the maker states the envelope at first contact


def test_the_map_folds_a_signed_boundary_onto_a_magnitude_axis() -> None:
    # the search runs a |norm axis signed (negative: along -y); the map's samples are
    # lengths, so the boundary is drawn at |offset|, each side in its own line style
    from hil.campaign.report import _draw_boundary

    class Axes:
        def __init__(self) -> None:
            self.lines: list[tuple[list[float], list[float], str]] = []
            self.points: list[tuple[float, float]] = []

        def plot(self, xs: Any, ys: Any, style: str = "", **_: Any) -> None:
            xs, ys = (list(xs), list(ys)) if isinstance(xs, (list, tuple)) else ([xs], [ys])
            self.lines.append((xs, ys, style))

        def scatter(self, xs: Any, ys: Any, **_: Any) -> None:
            self.points.extend(zip(xs, ys, strict=True))

    rays = []
    for k in range(8):
        a = 2 * math.pi * k / 8
        inside = [0.13 + 0.05 * math.cos(a), 0.1 * math.sin(a)]
        outside = [0.13 + 0.06 * math.cos(a), 0.12 * math.sin(a)]
        rays.append({"inside": inside, "outside": None if k == 2 else outside})
    axes = ("initial.closing_speed_m_s", "initial.lateral_offset_m|norm")
    ax = Axes()
    _draw_boundary(ax, {"rays": rays, "origin": [0.13, 0.0]}, axes)
    curves = [line for line in ax.lines if len(line[0]) > 1]
    assert {style for *_, style in curves} == {"k-", "k--"}
    assert all(y >= 0.0 for _, ys, _ in ax.lines for y in ys)
    assert all(y >= 0.0 for _, y in ax.points)
    # the ray along -y (k = 6) brackets the boundary at -0.11 m: drawn at 0.11 m
    assert max(y for _, ys, _ in curves for y in ys) == pytest.approx(0.11)
    plain = Axes()
    _draw_boundary(plain, {"rays": rays, "origin": [0.13, 0.0]}, ("a", "b"))
    (xs, ys, style), *_ = plain.lines
    assert style == "k-"
    assert (xs[0], ys[0]) == (xs[-1], ys[-1])  # two signed axes: one closed curve
    assert min(ys) == pytest.approx(-0.11)


def test_at_contact_must_be_a_boolean(tmp_path: Path) -> None:
    path = _write(tmp_path)
    path.write_text(
        path.read_text().replace("keep_failures = 1", 'keep_failures = 1\nat_contact = "yes"')
    )
    with pytest.raises(ScenarioError) as info:
        load_campaign(path)
    assert "campaign.at_contact" in str(info.value)


def _pose_at_first_contact(campaign_path: Path, inputs: dict[str, float]) -> dict[str, float]:
    """Lateral offset (m) and pitch/yaw (deg) of the chaser when the model first reports
    contact, in the run the campaign makes of ``inputs``."""
    from hil.campaign.spec import concrete

    c = load_campaign(campaign_path)
    scenario, _ = concrete(c, inputs, 1)
    result = run(scenario, "sim://")
    cols = result.telemetry.columns()
    first = int(np.flatnonzero(cols["true_in_contact"] > 0.5)[0])
    return {
        "y": float(cols["rel_pos_m_y"][first]),
        "pitch": math.degrees(float(cols["rel_angle_rad_y"][first])),
    }


def test_at_contact_places_each_run_so_its_inputs_hold_at_first_contact(tmp_path: Path) -> None:
    # the maker's envelope is stated at contact; a run that starts 0.18 m out with a
    # 0.08 m/s lateral rate and 0.5 deg/s pitch rate has drifted well past its draw by then
    extra = (
        '[[dispersion]]\npath = "initial.lateral_speed_m_s"\nmagnitude = true\n'
        "low = 0.0\nhigh = 0.1\n\n"
        '[[dispersion]]\npath = "initial.angle_deg[1,2]"\nmagnitude = true\n'
        "low = 0.0\nhigh = 3.0\n\n"
        '[[dispersion]]\npath = "initial.rate_deg_s[1]"\nlow = -0.6\nhigh = 0.6'
    )
    inputs = {
        "initial.closing_speed_m_s": 0.09,
        "initial.lateral_offset_m[0]": 0.12,
        "initial.lateral_offset_m[1]": 0.0,
        "initial.lateral_speed_m_s[0]": 0.08,
        "initial.lateral_speed_m_s[1]": 0.0,
        "initial.angle_deg[1]": 2.0,
        "initial.angle_deg[2]": 0.0,
        "initial.rate_deg_s[1]": 0.5,
    }
    plain = _write(tmp_path, extra=extra)
    placed = tmp_path / "placed.toml"
    placed.write_text(
        plain.read_text().replace("keep_failures = 1", "keep_failures = 1\nat_contact = true")
    )
    assert load_campaign(placed).at_contact
    at = _pose_at_first_contact(placed, inputs)
    # rel_pos y is the chaser's offset along the passive frame's y (sensor noise ~1 mm)
    assert at["y"] == pytest.approx(0.12, abs=0.004)
    assert at["pitch"] == pytest.approx(2.0, abs=0.1)
    drifted = _pose_at_first_contact(plain, inputs)
    assert abs(drifted["y"] - 0.12) > 0.02


def test_the_campaign_recorder_keeps_what_the_measurements_read() -> None:
    """The campaign's recorder (measured columns only, truth as raw vectors) holds every
    column :func:`hil.measure.compute` reads, equal to the full recorder's, and compute
    reads nothing else; with a sensor fault and a physical one injected mid-run."""
    from collections.abc import Mapping

    from hil import measure
    from hil.campaign.execute import MeasuredTelemetry, prepare

    c = load_campaign(ROOT / "campaigns" / "maker-envelope.toml")
    spec = RunSpec(0, 1, {"initial.closing_speed_m_s": 0.12})
    scenario, _ = prepare(c, spec)
    scenario = dataclasses.replace(
        scenario,
        faults=(
            Fault(kind="sensor_bias", t_s=0.5, field="axial_load_n", value=80.0, duration_s=1.0),
            Fault(kind="damper_weak", t_s=2.0, value=0.5),
        ),
    )
    full = run(scenario, hal=prepare(c, spec)[1], provenance_fields=False)
    hal = prepare(c, spec)[1]
    lean = run(scenario, hal=hal, provenance_fields=False, recorder=MeasuredTelemetry(hal))
    a, b = full.telemetry.columns(), lean.telemetry.columns()
    assert set(b) == set(measure.READS)
    for name in measure.READS:
        assert np.array_equal(a[name], b[name], equal_nan=True), name
    assert [e["kind"] for e in lean.record.events if "fault" in e["kind"]] == [
        "fault_injected",
        "fault_cleared",
        "fault_injected",
    ]

    class Only(Mapping[str, Any]):
        def __init__(self, cols: Mapping[str, Any]) -> None:
            self.cols = cols

        def __getitem__(self, name: str) -> Any:
            assert name in measure.READS, f"compute read {name}, not in READS"
            return self.cols[name]

        def __iter__(self) -> Iterator[str]:
            return iter(measure.READS)

        def __len__(self) -> int:
            return len(measure.READS)

    phases = [(p["phase"], p["t_s"]) for p in full.record.phases]
    assert measure.compute(Only(a), phases) == measure.compute(a, phases)
    assert [m.value for m in lean.record.measurements] == [
        m.value for m in full.record.measurements
    ]
