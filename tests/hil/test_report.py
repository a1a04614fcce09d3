"""The report: peaks kept by decimation, limit lines, markers, zoom, header, collapsed phases."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hil.output import write_run
from hil.report import make_figures, minmax, top_level_timeline
from hil.runner import run
from hil.scenario import Expectation, Fault, load_scenario
from hil.telemetry import read_parquet

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def report_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    nominal = load_scenario(ROOT / "scenarios" / "nominal.toml")
    scenario = dataclasses.replace(
        nominal,
        duration_s=14.0,
        stop_on_phase=(),
        faults=(
            Fault(t_s=5.0, kind="sensor_noise", field="lateral_load_n", value=5.0, duration_s=1.0),
        ),
        expect=(
            Expectation(measurement="peak_axial_load_n", high=5000.0),
            Expectation(measurement="peak_lateral_load_n", high=3000.0),
        ),
    )
    return write_run(run(scenario), tmp_path_factory.mktemp("report"))


def test_minmax_keeps_the_extremes_that_striding_loses() -> None:
    t = np.arange(100_000) * 0.01
    y = np.sin(t)
    y[12_345] = 9.0  # a one-sample peak
    y[54_321] = -7.0
    y[777] = np.nan
    ts, ys = minmax(t, y, 4000)
    assert ys.size <= 4100
    assert np.nanmax(ys) == 9.0
    assert np.nanmin(ys) == -7.0
    assert ts[np.nanargmax(ys)] == t[12_345]  # at its own time
    assert np.all(np.diff(ts) > 0)
    assert np.nanmax(y[::25]) < 9.0  # keeping every 25th sample (the old way) misses it


def test_the_measured_peak_is_in_the_plotted_data(
    report_run: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loads plot draws the sample the record's peak_axial_load_n comes from."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.axes import Axes

    from hil.record import load_record

    plotted: list[np.ndarray[Any, Any]] = []
    limits: list[float] = []
    plot, axhline = Axes.plot, Axes.axhline

    def spy_plot(self: Axes, *args: Any, **kwargs: Any) -> Any:
        if len(args) >= 2 and np.ndim(args[1]) == 1:
            plotted.append(np.asarray(args[1], dtype=float))
        return plot(self, *args, **kwargs)

    def spy_axhline(self: Axes, y: float = 0, *args: Any, **kwargs: Any) -> Any:
        limits.append(float(y))
        return axhline(self, y, *args, **kwargs)

    monkeypatch.setattr(Axes, "plot", spy_plot)
    monkeypatch.setattr(Axes, "axhline", spy_axhline)
    record = load_record(report_run["result"])
    cols = read_parquet(report_run["telemetry"])
    figs = make_figures(cols, record)
    peak = next(m["value"] for m in record["measurements"] if m["name"] == "peak_axial_load_n")
    assert any(
        a.size > 1 and np.nanmax(np.abs(a)) * 1000.0 == pytest.approx(peak, rel=1e-12)
        for a in plotted
    ), "the measured peak is not among the plotted samples"
    assert 5.0 in limits  # peak_axial_load_n high = 5000 N, in kN
    assert 3.0 in limits
    assert "capture_zoom" in figs

    # without expectations there are no limit lines to draw: the check above can fail
    limits.clear()
    record["measurements"] = [dict(m, low=None, high=None) for m in record["measurements"]]
    make_figures(cols, record)
    assert 5.0 not in limits


def test_header_faults_legend_and_collapsed_phases(report_run: dict[str, Path]) -> None:
    html = report_run["report"].read_text()
    assert "Nominal docking at 0.10 m/s" in html  # the scenario's description
    assert "Initial conditions" in html
    assert "closing_speed_m_s" in html
    assert "Injected faults" in html
    assert "sensor_noise" in html
    assert "started (UTC)" in html
    assert "version dockhil" in html
    assert 'class="chip"' in html  # the phase legend
    assert "{'" not in html  # no Python dict printed raw
    for png in ("phases", "motion", "loads", "capture_zoom", "energy", "hooks", "seals"):
        assert (report_run["report"].parent / f"{png}.png").is_file(), png


def test_sub_state_chatter_collapses_to_one_row() -> None:
    phases = [{"phase": "RETRACTION.SLOW", "t_s": 1.0}]
    phases += [
        {"phase": f"LOCKING.{'DRIVE' if k % 2 == 0 else 'PRELOAD'}", "t_s": 2.0 + k * 0.02}
        for k in range(24)
    ]
    phases.append({"phase": "SEAL_CHECK.PRESSURISE", "t_s": 3.0})
    rows = top_level_timeline(phases)
    assert [r[0] for r in rows] == ["RETRACTION", "LOCKING", "SEAL_CHECK"]
    assert rows[1][2] == ["DRIVE", "PRELOAD"]
