"""The result record of a run (``result.json``), shaped like an OpenHTF test record.

The field names are public contract, described in ``docs/records.md``;
extend, don't rename.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any


class Outcome(StrEnum):
    """The verdict of a run, a measurement or a check (``UNSET``: no limits to judge by)."""

    PASS = "PASS"
    FAIL = "FAIL"
    ERROR = "ERROR"
    ABORTED = "ABORTED"
    UNSET = "UNSET"


@dataclass(frozen=True, slots=True)
class Measurement:
    """One measured value with its limits and verdict (``PASS``/``FAIL``/``UNSET``)."""

    name: str
    value: float | None
    units: str
    low: float | None = None
    high: float | None = None
    outcome: Outcome = Outcome.UNSET


@dataclass(frozen=True, slots=True)
class Check:
    """A non-numeric expectation (phase reached, event seen) and its verdict."""

    name: str
    outcome: Outcome
    detail: str = ""


@dataclass(slots=True)
class RunRecord:
    """One run's record; every field is described in ``docs/records.md``."""

    scenario: str
    hal: str
    seed: int
    outcome: Outcome = Outcome.ERROR
    final_phase: str = "STANDBY"
    phases: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    measurements: list[Measurement] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    timing: dict[str, Any] = field(default_factory=dict)
    link: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    scenario_path: str = ""
    sim_time_s: float = 0.0
    wall_time_s: float = 0.0
    interlock_violations: int = 0
    error: str | None = None
    started_utc: str = ""
    """When the run started, UTC, ISO 8601 (``2026-12-02T03:04:05.678Z``)."""
    host: str = ""
    """Host name of the machine that ran the harness."""
    git_commit: str | None = None
    """Commit of the dockhil checkout that ran (``-dirty`` with local changes); None
    when installed from a package."""
    scenario_sha256: str | None = None
    """SHA-256 of the scenario file's bytes; None for a scenario built in code."""
    preset_sha256: str | None = None
    """SHA-256 of the preset file the scenario names."""
    device: dict[str, Any] = field(default_factory=dict)
    """The device's identity from its Hello (firmware and ICD version, name, period);
    empty for an in-process backend."""

    def to_json(self) -> str:
        return json.dumps(_clean(asdict(self)), indent=2, allow_nan=False)

    def write(self, path: Path) -> None:
        """Write atomically, so an interrupted run never leaves half a file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".result-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(self.to_json())
            f.write("\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)


def _clean(obj: Any) -> Any:
    """JSON has no NaN: non-finite floats become null."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    return obj


def load_record(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return data
