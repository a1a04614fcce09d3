"""Per-cycle telemetry: one row per control cycle, columns named by the contract.

The recorder packs each row's floats straight into a byte buffer in the loop
(one ``struct`` call: no Python float objects kept, no numpy per cycle) and
reads the buffer as a float64 table when the columns are asked for (one copy,
no per-value conversion); that is what keeps recording from eating the
lockstep speed budget. Columns the backend cannot know (model
truth on a bench) are NaN.

Given a file, the recorder *streams*: every :data:`ROWS_PER_GROUP` rows become
one Parquet row group on disk, so a run's memory stays flat however long it
is (a 5 000 s run at 100 Hz is half a million rows, about 400 MB as float64
in memory). The columns are then read back one at a time on demand
(:class:`ParquetColumns`) by the measurements and the report.
"""

from __future__ import annotations

import math
import queue
import struct
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from controller.hal import Hal
from controller.types import N_HOOKS, N_LATCHES, ActuatorCommand, SensorFrame, Truth

_XYZ = ("x", "y", "z")

#: Numeric columns in row order (``phase`` is kept separately as strings).
COLUMNS: tuple[str, ...] = (
    "t_s",
    *(f"rel_pos_m_{a}" for a in _XYZ),
    *(f"rel_vel_m_s_{a}" for a in _XYZ),
    *(f"rel_angle_rad_{a}" for a in _XYZ),
    "axial_load_n",
    "lateral_load_n",
    "energy_kinetic_j",
    "energy_stored_j",
    "energy_dissipated_j",
    "energy_dissipated_damper_j",
    "energy_dissipated_brake_j",
    "energy_dissipated_contact_j",
    "energy_actuator_work_j",
    "true_axial_load_n",
    "true_lateral_load_n",
    "energy_dissipated_other_j",
    "energy_thrust_work_j",
    "true_in_contact",
    "chaser_thrust_n",
    "ring_stop_hits",
    "energy_kinetic_common_j",
    "ring_extension_m",
    "ring_lateral_m_y",
    "ring_lateral_m_z",
    *(f"latch_{k}" for k in range(N_LATCHES)),
    *(f"hook_pos_{k}" for k in range(N_HOOKS)),
    *(f"hook_load_n_{k}" for k in range(N_HOOKS)),
    "hook_motor_current_a_0",
    "hook_motor_current_a_1",
    "seal_pressure_pa",
    "seal_pressure_b_pa",
    "tunnel_pressure_pa",
    "bus_voltage_v",
    "cmd_damper_n_s_m",
    "cmd_brake_slip_n",
    "cmd_ring_speed_m_s",
    "cmd_hook_motor_v_0",
    "cmd_hook_motor_v_1",
    "cmd_ring_centring",
    "cmd_latch_arm",
    "cmd_latch_release",
    "cmd_seal_valve_open",
    "cmd_tunnel_valve_open",
    "cmd_tunnel_vent_open",
    "cmd_pushrods_fire",
    "cmd_contact_reported",
)

_NAN_TRUTH = (math.nan,) * 15

_pack_row = struct.Struct(f"@{len(COLUMNS)}d").pack
"""One row of :data:`COLUMNS` as native float64s (bools and ints become 0.0/1.0/...)."""

_UNIT_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("_n_s_m", "N*s/m"),
    ("_m_s", "m/s"),
    ("_rad", "rad"),
    ("_pa", "Pa"),
    ("_j", "J"),
    ("_n", "N"),
    ("_m", "m"),
    ("_a", "A"),
    ("_v", "V"),
    ("_s", "s"),
)
"""Column-name suffix -> SI unit, most specific first (the names carry their units)."""

_UNITLESS = (
    "latch_",
    "hook_pos_",
    "cmd_ring_centring",
    "cmd_latch_",
    "cmd_seal_",
    "cmd_tunnel_",
    "cmd_contact_reported",
    "true_in_contact",
    "ring_stop_hits",
)
"""Columns without a unit: 0/1 states and commands, hook travel as a fraction of stroke,
the count of steps the ring spent on a stop."""


def column_units(name: str) -> str:
    """The SI unit of a telemetry column (``"1"`` for states and fractions).

    ``""`` for ``phase`` (text) and for a name that carries no unit; a test
    holds every numeric column to having one, so a new column says what it is
    measured in without ever stopping a run from being written.
    """
    if name == "phase":
        return ""
    if name.startswith(_UNITLESS) or name == "cmd_pushrods_fire":
        return "1"
    base = name.rstrip("0123456789").rstrip("_")
    if base.endswith(("_x", "_y", "_z")):
        base = base[:-2]
    for suffix, unit in _UNIT_SUFFIXES:
        if base.endswith(suffix):
            return unit
    return ""


Columns = Mapping[str, "NDArray[np.float64] | list[str]"]
"""Telemetry by column name: float64 arrays, and ``phase`` as a list of strings."""

ROWS_PER_GROUP = 8192
"""Rows buffered before a streaming recorder writes a Parquet row group (~6 MB packed)."""
FIRST_GROUP = 100
"""The first row group is small: the file appears on disk as soon as the loop runs."""


class TelemetryRecorder:
    """Collects one row per cycle; :meth:`columns` returns name -> array.

    With ``path`` the rows are written to that Parquet file as they come, in
    row groups of ``rows_per_group``; without it they stay in memory (tests,
    the ``dut`` fixture, short runs). The writing happens on a background
    thread (:class:`_GroupWriter`), so the control loop only hands over a
    full buffer of rows: a real-time loop at 1 kHz cannot afford the tens of
    milliseconds that converting and compressing a row group takes.
    """

    def __init__(
        self,
        path: str | Path | None = None,
        rows_per_group: int | None = None,
        metadata: Mapping[str, str] | None = None,
    ):
        self._rows = bytearray()
        """The buffered rows, packed (:data:`_pack_row`); ``_phases`` counts them."""
        self._phases: list[str] = []
        self.path = None if path is None else Path(path)
        self.metadata = dict(metadata or {})
        """Extra Parquet schema metadata (``dockhil.scenario``), beside the units."""
        self._group = rows_per_group or ROWS_PER_GROUP
        self._next_flush = min(FIRST_GROUP, self._group)
        self._writer = _GroupWriter(self.path, self.metadata) if self.path is not None else None
        self._flushed = 0
        self._closed = False

    def __len__(self) -> int:
        return self._flushed + len(self._phases)

    def _flush(self) -> None:
        assert self._writer is not None
        self._writer.put(bytes(self._rows), self._phases)
        self._flushed += len(self._phases)
        self._rows = bytearray()
        self._phases = []
        self._next_flush = self._group

    def close(self) -> None:
        """Write what is buffered and finish the file (idempotent; no-op in memory).

        Raises the writer's ``OSError`` (a full disk) if writing failed.
        """
        if self._writer is None or self._closed:
            return
        self._closed = True
        if self._phases or self._flushed == 0:
            self._flush()  # an empty run still gets a file with the schema
        self._writer.close()

    def record(
        self,
        frame: SensorFrame,
        truth: Truth | None,
        phase: str,
        cmd: ActuatorCommand,
    ) -> None:
        """Append one cycle. Runs every control period: keep it allocation-light."""
        if truth is None:
            tr: tuple[float, ...] = _NAN_TRUTH
        else:
            tr = (
                truth.energy_kinetic_j,
                truth.energy_stored_j,
                truth.energy_dissipated_j,
                truth.energy_dissipated_damper_j,
                truth.energy_dissipated_brake_j,
                truth.energy_dissipated_contact_j,
                truth.extra.get("energy_actuator_work_j", math.nan),
                truth.axial_load_n,
                truth.lateral_load_n,
                truth.extra.get("energy_dissipated_other_j", math.nan),
                truth.extra.get("energy_thrust_work_j", math.nan),
                1.0 if truth.in_contact else 0.0,
                truth.extra.get("thrust_n", math.nan),
                truth.extra.get("ring_stop_hits", math.nan),
                truth.extra.get("energy_kinetic_common_j", math.nan),
            )
        self._rows += _pack_row(
            frame.t_s,
            *frame.rel_pos_m,
            *frame.rel_vel_m_s,
            *frame.rel_angle_rad,
            frame.axial_load_n,
            frame.lateral_load_n,
            *tr,
            frame.ring_extension_m,
            *frame.ring_lateral_m,
            *frame.latch_captured,
            *frame.hook_pos,
            *frame.hook_load_n,
            *frame.hook_motor_current_a,
            frame.seal_cavity_pressure_pa,
            frame.seal_cavity_pressure_b_pa,
            frame.tunnel_pressure_pa,
            frame.bus_voltage_v,
            cmd.damper_n_s_m,
            cmd.brake_slip_n,
            cmd.ring_speed_m_s,
            *cmd.hook_motor_v,
            cmd.ring_centring,
            cmd.latch_arm,
            cmd.latch_release,
            cmd.seal_valve_open,
            cmd.tunnel_valve_open,
            cmd.tunnel_vent_open,
            cmd.pushrods_fire,
            cmd.contact_reported,
        )
        self._phases.append(phase)
        if self._writer is not None and len(self._phases) >= self._next_flush:
            self._flush()

    def cycle_recorder(self, hal: Hal) -> Callable[[SensorFrame, str, ActuatorCommand], None]:
        """The loop's per-cycle call, ``(frame, phase, cmd)``: :meth:`record` with the
        truth ``hal`` reports for the cycle (the HAL itself, not a fault wrapper: faults
        change what the controller sees, never the model's truth)."""
        record = self.record
        truth = hal.truth

        def cycle(frame: SensorFrame, phase: str, cmd: ActuatorCommand) -> None:
            record(frame, truth(), phase, cmd)

        return cycle

    def columns(self) -> Columns:
        """Name -> column (float64 arrays; ``phase`` as a list of strings).

        A streaming recorder is closed first and its columns are read from
        the file as they are asked for.
        """
        if self.path is None:
            return _in_memory(bytes(self._rows), self._phases)
        self.close()
        return ParquetColumns(self.path)


class _GroupWriter:
    """A thread that turns buffers of packed rows into Parquet row groups of one file, in order.

    The rows are read as a table in place (no per-value conversion holding the
    GIL, which a control thread waiting at its deadline would feel); Arrow
    compresses and writes with the GIL released. An error (a full disk) is
    kept and raised by :meth:`close`; rows handed over after it are dropped.
    """

    def __init__(self, path: Path, metadata: Mapping[str, str] | None = None) -> None:
        import pyarrow.parquet  # noqa: F401  -- imported here, before any loop starts

        self.path = path
        self.metadata = metadata
        self._queue: queue.SimpleQueue[tuple[bytes, list[str]] | None] = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="dockhil-telemetry", daemon=True)
        self._thread.start()

    def put(self, rows: bytes, phases: list[str]) -> None:
        self._queue.put((rows, phases))

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        import pyarrow.parquet as pq

        writer: Any = None
        try:
            while (item := self._queue.get()) is not None:
                if self._error is not None:
                    continue
                rows, phases = item
                cols = _in_memory(rows, phases)
                del rows
                arrow = _arrow_table(cols, self.metadata)
                if writer is None:
                    writer = pq.ParquetWriter(str(self.path), arrow.schema, compression="zstd")
                writer.write_table(arrow)
        except BaseException as exc:  # kept for close(): the loop must not die of it
            self._error = exc
        finally:
            if writer is not None:
                try:
                    writer.close()
                except BaseException as exc:
                    self._error = self._error or exc


def _in_memory(rows: bytes, phases: list[str]) -> Columns:
    """Packed rows (:data:`_pack_row`) to columns: views into one (rows, columns) table."""
    table = np.frombuffer(rows, dtype=np.float64).reshape(-1, len(COLUMNS))
    out: dict[str, NDArray[np.float64] | list[str]] = {
        name: table[:, i] for i, name in enumerate(COLUMNS)
    }
    out["phase"] = list(phases)
    return out


def _arrow_table(cols: Columns, metadata: Mapping[str, str] | None = None) -> Any:
    """Columns as an Arrow table whose schema carries the units (per field, ``units``, and
    as one JSON object, ``dockhil.units``) and any ``metadata`` given (docs/records.md)."""
    import json

    import pyarrow as pa

    ordered = ["t_s", "phase", *[n for n in cols if n not in ("t_s", "phase")]]
    arrays = [pa.array(cols[n]) for n in ordered]
    units = {n: column_units(n) for n in ordered}
    fields = [
        pa.field(n, a.type, metadata={"units": units[n]})
        for n, a in zip(ordered, arrays, strict=True)
    ]
    meta = {"dockhil.units": json.dumps(units), **(metadata or {})}
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields, metadata=meta))


class ParquetColumns(Mapping[str, "NDArray[np.float64] | list[str]"]):
    """A telemetry file's columns, each read from disk when asked for (not cached).

    Iterates in the recorder's order (the numeric columns, then ``phase``),
    so it is interchangeable with the in-memory form.
    """

    def __init__(self, path: str | Path) -> None:
        import pyarrow.parquet as pq

        self.path = Path(path)
        self._file = pq.ParquetFile(str(self.path))
        names = set(self._file.schema_arrow.names)
        self._names = [n for n in (*COLUMNS, "phase") if n in names]
        self._names += sorted(names - set(self._names))

    def __getitem__(self, name: str) -> NDArray[np.float64] | list[str]:
        if name not in self._names:
            raise KeyError(name)
        col = self._file.read(columns=[name]).column(0)
        if name == "phase":
            return [str(v) for v in col.to_pylist()]
        return np.asarray(col.to_numpy(), dtype=np.float64)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def float_column(cols: Columns, name: str) -> NDArray[np.float64]:
    """A numeric column, typed (``phase`` is the only non-numeric one)."""
    col = cols[name]
    assert not isinstance(col, list), f"{name} is not numeric"
    return col


def phase_column(cols: Columns) -> Sequence[str]:
    col = cols["phase"]
    assert isinstance(col, list)
    return col


def write_parquet(
    cols: Columns, path: str | Path, metadata: Mapping[str, str] | None = None
) -> None:
    """Write telemetry columns to Parquet (``phase`` as a dictionary-encoded string column)."""
    import pyarrow.parquet as pq

    pq.write_table(_arrow_table(cols, metadata), str(path), compression="zstd")


def read_metadata(path: str | Path) -> dict[str, str]:
    """A telemetry file's schema metadata (``dockhil.units`` and ``dockhil.scenario``, JSON)."""
    import pyarrow.parquet as pq

    raw = pq.read_schema(str(path)).metadata or {}
    return {k.decode(): v.decode() for k, v in raw.items() if not k.startswith(b"ARROW:")}


def read_parquet(path: str | Path) -> dict[str, NDArray[np.float64] | list[str]]:
    """Read a telemetry file back into the same name -> column form it was written from."""
    import pyarrow.parquet as pq

    table = pq.read_table(str(path))
    out: dict[str, NDArray[np.float64] | list[str]] = {}
    for name in table.column_names:
        col = table.column(name)
        if name == "phase":
            out[name] = [str(v) for v in col.to_pylist()]
        else:
            out[name] = col.to_numpy().astype(np.float64, copy=False)
    return out


def write_csv(cols: Columns, path: str | Path) -> None:
    """CSV export for small runs and spreadsheets (same columns as the Parquet file)."""
    import csv

    names = list(cols)
    n = len(cols["t_s"])
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(names)
        for i in range(n):
            w.writerow([cols[c][i] if c == "phase" else repr(float(cols[c][i])) for c in names])
