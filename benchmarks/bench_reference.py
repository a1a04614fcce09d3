"""The reference workload that every other benchmark is divided by (see conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class _Sample:
    t_s: float
    pos_m: tuple[float, float, float]
    ok: bool


def reference_workload(n: int = 20) -> float:
    """About 30 us of interpreter work: build, read and combine small frozen values."""
    acc = 0.0
    for i in range(n):
        s = _Sample(i * 0.001, (i * 0.5, -i * 0.25, 0.125), i % 3 == 0)
        x, y, z = s.pos_m
        if s.ok:
            acc += (x * x + y * y + z * z) ** 0.5 * s.t_s
        else:
            acc -= min(x, y, z) * 1e-3
    return acc


def test_reference_workload(benchmark: Any) -> None:
    assert benchmark(reference_workload) != 0.0
