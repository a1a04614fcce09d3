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
  is bit-identical and costs a handful of runs);
* and it holds only the columns the measurements read
  (:class:`MeasuredTelemetry`): per cycle the frame's few measured values in
  one ``struct`` call and the plant's truth vector as it is (no ``Truth``
  object); the truth columns are made from those vectors once, over arrays,
  with the same arithmetic the ``Truth`` object does per cycle.
"""

from __future__ import annotations

import io
import math
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from controller.errors import DockhilError, HalError
from controller.hal import Hal
from controller.protocol.layouts import wire_command
from controller.types import N_HOOKS, ActuatorCommand, InitialConditions, PlantFault, SensorFrame
from hil.campaign.sampling import Inputs
from hil.campaign.spec import Campaign, concrete, run_preset
from hil.measure import READS, UNITS
from hil.record import Outcome, RunRecord
from hil.scenario import Scenario
from hil.telemetry import Columns, TelemetryRecorder
from sim_bridge import _layout as L  # noqa: N812
from sim_bridge.backend import SimHal, _setpoints
from sim_bridge.plant import Plant
from sim_bridge.preset import Preset

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


class CampaignHal(SimHal):
    """``sim://`` with a fixed, already-validated preset, and its truth as a plain row.

    The plant is built once a run, by the runner's ``setup`` (with the run's seed),
    not also by the constructor (whose plant, with the URL's seed, ``setup`` replaced);
    a HAL used without ``setup`` builds the constructor's on first use. Frames and
    steps go straight to the plant's bound methods.
    """

    def __init__(self, url: str, preset: Preset, initial: InitialConditions) -> None:
        self._fixed = preset
        self._initial = initial
        self._row: np.ndarray | None = None
        self._sense: Callable[[], SensorFrame] | None = None
        self._advance: Callable[[ActuatorCommand, int], None] | None = None
        self._deferred = True  # SimHal.__init__'s own setup only records its arguments
        super().__init__(url, initial)
        self._deferred = False

    def setup(self, preset: str, seed: int, initial: InitialConditions) -> None:
        from sim_bridge.plant import Plant

        self._truth = None
        self._row = None
        self._preset_name = preset
        self._seed = int(seed)
        self._initial = initial
        self._plant = self._sense = self._advance = None
        if self._deferred:
            return
        if self._closed:
            raise HalError("sim:// backend is closed")
        plant = Plant(self._fixed, initial, self._seed, self._dt_s)
        self._plant = plant
        self._sense = plant.sense
        self._advance = plant.advance

    @property
    def plant(self) -> Plant:
        if self._plant is None and not self._closed:
            self.setup(self._preset_name, self._seed, self._initial)
        return super().plant

    def read(self) -> SensorFrame:
        sense = self._sense
        if sense is None or self._closed:
            return super().read()
        return sense()

    def write(self, cmd: ActuatorCommand) -> None:
        advance = self._advance
        if advance is None or self._closed:
            super().write(cmd)
            self._row = None
            return
        # SimHal.write, on the bound plant
        if cmd is not self._cmd_in:
            self._cmd_in = cmd
            key = _setpoints(cmd)
            if key != self._cmd_key:
                self._cmd_key = key
                self._cmd_wire = wire_command(cmd)
        self._truth = None
        self._row = None
        advance(self._cmd_wire, self._substeps)

    def write_from_wire(self, cmd: ActuatorCommand) -> None:
        super().write_from_wire(cmd)
        self._row = None

    def truth_row(self) -> np.ndarray:
        """The plant's truth vector at the current step, shape (1, NT) in the layout's
        ``T_*`` order: the numbers :meth:`truth` reports, before any injection of this step
        (as :meth:`truth`), without building a ``Truth``."""
        row = self._row
        if row is None:
            row = self._row = self.plant.batch.truth_array()
        return row

    def inject(self, fault: PlantFault, active: bool = True) -> None:
        self.truth_row()  # this step's truth is the one before the fault
        super().inject(fault, active)

    def close(self) -> None:
        super().close()
        self._sense = self._advance = None


_FRAME_COLUMNS = (
    "t_s",
    "rel_vel_m_s_x",
    "rel_vel_m_s_y",
    "rel_vel_m_s_z",
    "axial_load_n",
    "lateral_load_n",
    *(f"hook_pos_{k}" for k in range(N_HOOKS)),
    *(f"hook_load_n_{k}" for k in range(N_HOOKS)),
)
"""The telemetry columns the measurements read from the frame, in packing order."""
_pack_frame = struct.Struct(f"@{len(_FRAME_COLUMNS)}d").pack


class MeasuredTelemetry(TelemetryRecorder):
    """A campaign run's telemetry: only the columns :func:`hil.measure.compute` reads
    (:data:`hil.measure.READS`), in memory, equal to the full recorder's.

    Per cycle: the frame's measured values packed in one ``struct`` call, and
    the truth as ``hal``'s raw vector (:meth:`CampaignHal.truth_row`, appended as
    bytes). :meth:`columns` reads both as tables and derives the truth columns
    over arrays the way ``Truth`` and :meth:`TelemetryRecorder.record` do per cycle
    (the dissipation as damper + brake + contact, in that order; contact as
    ``> 0.5``), so every value is the one the full recorder keeps. No phase column
    (the measurements take the phase timeline from the record).
    """

    TRUTH_COLUMNS = (
        "energy_kinetic_j",
        "energy_stored_j",
        "energy_dissipated_j",
        "energy_actuator_work_j",
        "true_axial_load_n",
        "true_lateral_load_n",
        "energy_dissipated_other_j",
        "true_in_contact",
        "energy_kinetic_common_j",
    )
    """The truth columns :meth:`columns` derives from the truth vectors."""

    def __init__(self, hal: CampaignHal) -> None:
        super().__init__()
        self._hal = hal
        self._frames = bytearray()
        self._truths = bytearray()
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def record(self, frame: SensorFrame, truth: object, phase: str, cmd: ActuatorCommand) -> None:
        """One cycle; ``truth`` is not read (the row comes from the HAL), nor ``phase``."""
        row = self._hal.truth_row()
        self._frames += _pack_frame(
            frame.t_s,
            *frame.rel_vel_m_s,
            frame.axial_load_n,
            frame.lateral_load_n,
            *frame.hook_pos,
            *frame.hook_load_n,
        )
        self._truths += row.data
        self._n += 1

    def cycle_recorder(self, hal: Hal) -> Callable[[SensorFrame, str, ActuatorCommand], None]:
        record = self.record

        def cycle(frame: SensorFrame, phase: str, cmd: ActuatorCommand) -> None:
            record(frame, None, phase, cmd)

        return cycle

    def columns(self) -> Columns:
        frames = np.frombuffer(bytes(self._frames)).reshape(-1, len(_FRAME_COLUMNS))
        t = np.frombuffer(bytes(self._truths)).reshape(-1, L.NT)
        out: dict[str, Any] = {name: frames[:, i] for i, name in enumerate(_FRAME_COLUMNS)}
        out["energy_kinetic_j"] = t[:, L.T_KE]
        out["energy_stored_j"] = t[:, L.T_STORED]
        out["energy_dissipated_j"] = t[:, L.T_D_DAMP] + t[:, L.T_D_BRAKE] + t[:, L.T_D_CONTACT]
        out["energy_actuator_work_j"] = t[:, L.T_W_ACT]
        out["true_axial_load_n"] = t[:, L.T_AX]
        out["true_lateral_load_n"] = t[:, L.T_LAT]
        out["energy_dissipated_other_j"] = t[:, L.T_D_OTHER]
        out["true_in_contact"] = np.where(t[:, L.T_IN_CONTACT] > 0.5, 1.0, 0.0)
        out["energy_kinetic_common_j"] = t[:, L.T_KE_COMMON]
        return out


if set(READS) != {*_FRAME_COLUMNS, *MeasuredTelemetry.TRUTH_COLUMNS}:  # pragma: no cover
    raise ImportError("hil.measure.READS changed: update MeasuredTelemetry")


def prepare(campaign: Campaign, spec: RunSpec) -> tuple[Scenario, CampaignHal]:
    """The concrete scenario of a run and the backend to run it on."""
    scenario, overrides = concrete(campaign, spec.inputs, spec.seed)
    preset: Preset = run_preset(scenario.preset, tuple(sorted(overrides.items())))
    url = f"sim://?period={scenario.period_s!r}"
    return scenario, CampaignHal(url, preset, scenario.initial)


def execute(campaign: Campaign, spec: RunSpec, telemetry: bool = False) -> dict[str, Any]:
    """Run one campaign run; its row (and, with ``telemetry``, its telemetry as Parquet
    bytes under ``"_telemetry"``). Never raises for a run that fails: the row says ERROR."""
    from hil.runner import run

    try:
        scenario, hal = prepare(campaign, spec)
        recorder = None if telemetry else MeasuredTelemetry(hal)
        result = run(scenario, hal=hal, provenance_fields=False, recorder=recorder)
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
