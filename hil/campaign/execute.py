"""One campaign run on a worker: concrete scenario, lean lockstep run, one row.

A run is the ordinary lockstep run of :func:`hil.runner.run` (same loop, same
controller, same measurements), so a row equals what ``dockhil run --replay``
records for it. What a campaign saves is per-run harness work that its rows
do not need:

* the preset is read and checked once per worker, not twice per run
  (``SimHal`` loads it when opened and again at ``setup``);
* no provenance (host, git commit, file digests) is gathered: the row has
  none of it, and ``git`` was started twice a run;
* the telemetry stays in memory and is dropped after the measurements,
  unless the run is kept (failures and the worst N are re-run with it, which
  is bit-identical and costs a handful of runs).
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from controller.errors import DockhilError
from controller.types import InitialConditions
from hil.campaign.sampling import Inputs
from hil.campaign.spec import Campaign, concrete
from hil.measure import UNITS
from hil.record import Outcome, RunRecord
from hil.scenario import Scenario
from sim_bridge.backend import SimHal
from sim_bridge.preset import Preset, load_preset

MEASUREMENTS = tuple(UNITS)
"""The measurement columns of every row (``m:<name>``; NaN where the run never got there)."""

LOAD_LIMITS = ("peak_axial_load_n", "peak_lateral_load_n")
"""Measurements whose limits are structural: a run over one has not ended safely."""


@dataclass(frozen=True, slots=True)
class RunSpec:
    """What makes run ``run_id`` of a campaign: its noise seed and its dispersed inputs."""

    run_id: int
    seed: int
    inputs: Inputs


@functools.lru_cache(maxsize=64)
def _preset(name: str, overrides: tuple[tuple[str, Any], ...]) -> Preset:
    base = load_preset(name)
    return base.with_overrides(dict(overrides)) if overrides else base


class CampaignHal(SimHal):
    """``sim://`` with a fixed, already-validated preset."""

    def __init__(self, url: str, preset: Preset, initial: InitialConditions) -> None:
        self._fixed = preset
        super().__init__(url, initial)

    def setup(self, preset: str, seed: int, initial: InitialConditions) -> None:
        from sim_bridge.plant import Plant

        self._truth = None
        self._preset_name = preset
        self._seed = int(seed)
        self._plant = Plant(self._fixed, initial, self._seed, self._dt_s)


def prepare(campaign: Campaign, spec: RunSpec) -> tuple[Scenario, CampaignHal]:
    """The concrete scenario of a run and the backend to run it on."""
    scenario, overrides = concrete(campaign, spec.inputs, spec.seed)
    preset = _preset(scenario.preset, tuple(sorted(overrides.items())))
    url = f"sim://?period={scenario.period_s!r}"
    return scenario, CampaignHal(url, preset, scenario.initial)


def execute(campaign: Campaign, spec: RunSpec, telemetry: bool = False) -> dict[str, Any]:
    """Run one campaign run; its row (and, with ``telemetry``, its telemetry as Parquet
    bytes under ``"_telemetry"``). Never raises for a run that fails: the row says ERROR."""
    from hil.runner import run

    try:
        scenario, hal = prepare(campaign, spec)
        result = run(scenario, hal=hal, provenance_fields=False)
    except (DockhilError, ValueError) as exc:
        record = RunRecord(campaign.name, "sim://", spec.seed, error=str(exc))
        return row(campaign, spec, record)
    out = row(campaign, spec, result.record)
    if telemetry:
        import pyarrow.parquet as pq

        from hil.telemetry import _arrow_table

        buf = io.BytesIO()
        pq.write_table(_arrow_table(result.telemetry.columns()), buf, compression="zstd")
        out["_telemetry"] = buf.getvalue()
    return out


def execute_many(
    campaign: Campaign, specs: Sequence[RunSpec], telemetry: bool = False
) -> list[dict[str, Any]]:
    """A chunk of runs in one task (fewer round trips to the scheduler)."""
    return [execute(campaign, s, telemetry) for s in specs]


def row(campaign: Campaign, spec: RunSpec, record: RunRecord) -> dict[str, Any]:
    """The ``runs.parquet`` row of a run: id, seed, inputs, outcome and every measurement.

    Wall time is left out on purpose: the same campaign seed gives the same file.
    """
    tops = {p["phase"].split(".", 1)[0] for p in record.phases}
    values = {m.name: m for m in record.measurements}
    loads_ok = all(values[n].outcome != Outcome.FAIL for n in LOAD_LIMITS if n in values)
    out: dict[str, Any] = {
        "run_id": spec.run_id,
        "seed": spec.seed,
        "outcome": str(record.outcome),
        "final_phase": record.final_phase,
        "captured": "BUFFERING" in tops,
        "mated": "MATED" in tops,
        "safe_end": record.outcome not in (Outcome.ERROR, Outcome.ABORTED)
        and record.interlock_violations == 0
        and loads_ok,
        "sim_time_s": record.sim_time_s,
        "interlock_violations": record.interlock_violations,
        "error": record.error or "",
    }
    for name in campaign.input_columns:
        out[f"in:{name}"] = spec.inputs.get(name, math.nan)
    for name in MEASUREMENTS:
        m = values.get(name)
        out[f"m:{name}"] = math.nan if m is None or m.value is None else float(m.value)
    return out
