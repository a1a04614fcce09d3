"""The golden digests can fail: one ULP in one telemetry value, or one record field, moves them."""

from __future__ import annotations

import json

import numpy as np

from tests.hil.golden import record_digest, telemetry_digest


def test_one_ulp_changes_the_telemetry_digest() -> None:
    cols = {"t_s": np.linspace(0.0, 1.0, 101), "phase": ["READY"] * 101}
    before = telemetry_digest(cols)
    moved = dict(cols, t_s=cols["t_s"].copy())
    moved["t_s"][50] = np.nextafter(moved["t_s"][50], 2.0)
    assert telemetry_digest(moved) != before
    assert telemetry_digest(dict(cols, phase=["READY"] * 100 + ["SAFE"])) != before


def test_record_digest_ignores_timing_but_not_results() -> None:
    rec = {"outcome": "PASS", "measurements": [{"name": "x", "value": 1.0}], "timing": {"a": 1}}
    base = record_digest(json.dumps(rec))
    assert record_digest(json.dumps(dict(rec, timing={"a": 2}, wall_time_s=3.0))) == base
    changed = dict(rec, measurements=[{"name": "x", "value": 1.0000000000000002}])
    assert record_digest(json.dumps(changed)) != base
