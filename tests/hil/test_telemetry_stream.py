"""Streaming telemetry writes row groups during the run and reads back bit for bit."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from hil import telemetry as tm
from hil.runner import run
from hil.scenario import load_scenario
from tests.hil.golden import telemetry_digest

ROOT = Path(__file__).resolve().parents[2]


def test_streamed_run_equals_the_in_memory_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tm, "ROWS_PER_GROUP", 100)
    scenario = dataclasses.replace(
        load_scenario(ROOT / "scenarios" / "nominal.toml"), duration_s=12.0
    )
    in_memory = run(scenario).telemetry.columns()
    path = tmp_path / "telemetry.parquet"
    recorder = run(scenario, telemetry_path=path).telemetry
    assert len(recorder._rows) == 0  # everything went to disk
    cols = recorder.columns()
    assert isinstance(cols, tm.ParquetColumns)
    assert list(cols) == list(in_memory)
    assert telemetry_digest(dict(cols.items())) == telemetry_digest(in_memory)
    meta = pq.ParquetFile(path).metadata
    assert meta.num_rows == len(in_memory["t_s"]) == 1201
    assert meta.num_row_groups == 13  # written 100 rows at a time during the run


def test_an_empty_run_still_writes_a_readable_file(tmp_path: Path) -> None:
    rec = tm.TelemetryRecorder(tmp_path / "empty.parquet")
    cols = rec.columns()
    assert len(cols["t_s"]) == 0
    assert cols["phase"] == []


def test_unknown_column_is_a_key_error(tmp_path: Path) -> None:
    rec = tm.TelemetryRecorder(tmp_path / "t.parquet")
    cols = rec.columns()
    with pytest.raises(KeyError):
        cols["no_such_column"]
