"""Scenario files: what to run, from where, with which commands, faults and limits.

A scenario is a TOML file; its format is declared in :mod:`hil.schema` and
described in ``docs/scenarios.md`` (generated from it). Loading is strict:
an unknown key, a wrong type, a missing field, a value outside its physical
range or a name that is not a valid one raises
:class:`~controller.errors.ScenarioError` naming the file, the field and
what was expected, so a typo never silently runs a different test. The same
file runs on every backend; only ``[initial]`` and physical faults need a
simulated one. This module holds the parsed form the harness uses.
"""

from __future__ import annotations

import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from controller.errors import ScenarioError
from controller.phases import COMMANDS, Phase
from controller.types import PLANT_FAULT_KINDS, InitialConditions

MAX_SCENARIO_BYTES = 1 << 20
"""A scenario file is small; anything larger is a wrong path (or /dev/zero)."""

PHASES: tuple[str, ...] = tuple(p.value for p in Phase)
"""Top-level phase names a scenario may name (the controller's own)."""
OPERATOR_COMMANDS: tuple[str, ...] = tuple(sorted(COMMANDS))
"""Operator commands a scenario may issue (the controller's own)."""
SENSOR_FAULT_KINDS = frozenset(
    {
        "sensor_stuck",  # a field freezes at its value when the fault starts
        "sensor_bias",  # a field reads `value` higher (SI units of the field)
        "sensor_noise",  # a field gets extra Gaussian noise of std `value`
        "sensor_nan",  # a field reads NaN
        "sensor_dropout",  # the whole frame stops updating (stale time stamp)
    }
)
FAULT_KINDS = PLANT_FAULT_KINDS | SENSOR_FAULT_KINDS


@dataclass(frozen=True, slots=True)
class Command:
    """An operator command issued when simulated (or bench) time reaches ``t_s``.

    With ``at_phase``, ``t_s`` counts from the first entry into that phase
    instead of from the start (e.g. undock 30 s after MATED).
    """

    t_s: float
    command: str
    at_phase: str | None = None


@dataclass(frozen=True, slots=True)
class Fault:
    """A fault switched on at ``t_s`` (and off after ``duration_s``, if given).

    Physical kinds go to the plant (``SimControl.inject``); ``sensor_*`` kinds
    are applied by a HAL wrapper and so work on every backend. ``field`` names
    the SensorFrame field a sensor fault acts on; ``at_phase`` delays the start
    until the controller first enters that phase (plus ``t_s`` seconds).
    """

    t_s: float
    kind: str
    index: int = 0
    value: float = 0.0
    field: str = ""
    duration_s: float | None = None
    at_phase: str | None = None


@dataclass(frozen=True, slots=True)
class Expectation:
    """One check on the outcome of a run.

    Exactly one of: a measurement with ``low``/``high`` limits; ``final_phase``
    (one phase name, or several allowed); ``reached`` / ``not_reached`` (a phase
    name); ``event`` (an event kind, optionally ``kind:text`` to match inside
    the detail).
    """

    measurement: str | None = None
    low: float | None = None
    high: float | None = None
    final_phase: tuple[str, ...] = ()
    reached: str | None = None
    not_reached: str | None = None
    event: str | None = None
    no_event: str | None = None

    @property
    def name(self) -> str:
        if self.measurement is not None:
            return self.measurement
        if self.final_phase:
            return "final_phase in " + "|".join(self.final_phase)
        if self.reached is not None:
            return f"reached {self.reached}"
        if self.not_reached is not None:
            return f"not reached {self.not_reached}"
        if self.event is not None:
            return f"event {self.event}"
        return f"no event {self.no_event}"


@dataclass(frozen=True, slots=True)
class Scenario:
    """A parsed, validated scenario file."""

    name: str
    path: str
    preset: str = "cn-10t-100t"
    seed: int = 1
    duration_s: float = 1500.0
    period_s: float = 0.01
    description: str = ""
    stop_on_phase: tuple[str, ...] = ()
    stop_delay_s: float = 2.0
    initial: InitialConditions = field(default_factory=InitialConditions)
    commands: tuple[Command, ...] = ()
    faults: tuple[Fault, ...] = ()
    expect: tuple[Expectation, ...] = ()
    controller: Mapping[str, Any] = field(default_factory=dict)
    """``[controller]`` overrides, as TOML gave them (see ``ControllerConfig.from_mapping``)."""


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file. Raises ScenarioError on any defect."""
    return scenario_from_dict(read_table(path), str(path))


def read_table(path: str | Path) -> dict[str, Any]:
    """A scenario file's TOML table; ScenarioError when it is not a readable TOML file."""
    p = Path(path)
    spath = str(path)
    try:
        st = p.stat()
        if not stat.S_ISREG(st.st_mode):
            raise ScenarioError(spath, "(file)", "is not a regular file (a device, FIFO or folder)")
        if st.st_size > MAX_SCENARIO_BYTES:
            raise ScenarioError(
                spath, "(file)", f"is {st.st_size} bytes; a scenario is at most 1 MiB of TOML"
            )
        raw = p.read_bytes()
    except OSError as exc:
        raise ScenarioError(spath, "(file)", f"cannot be read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            spath, "(file)", f"is not UTF-8 text (undecodable byte at offset {exc.start})"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(spath, "(syntax)", f"is not valid TOML: {exc}") from None
    except RecursionError:
        raise ScenarioError(spath, "(syntax)", "nests tables or arrays too deeply") from None
    return data


def scenario_from_dict(data: Mapping[str, Any], path: str = "<scenario>") -> Scenario:
    """Validate an already-parsed scenario table (campaigns, tests): :mod:`hil.schema`."""
    from hil.schema import scenario_from_dict as parse

    return parse(data, path)
