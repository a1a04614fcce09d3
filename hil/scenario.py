"""Scenario files: what to run, from where, with which commands, faults and limits.

A scenario is a TOML file (``ARCHITECTURE.md``, contracts). Loading is strict:
an unknown key, a wrong type, a missing field or a value outside its physical
range raises :class:`~controller.errors.ScenarioError` naming the file, the
field and what was expected, so a typo never silently runs a different test.
The same file runs on every backend; only ``[initial]`` and physical faults
need a simulated one.
"""

from __future__ import annotations

import difflib
import math
import stat
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from controller.config import ControllerConfig
from controller.errors import ConfigError, ScenarioError
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


class _Reader:
    """Pulls typed, range-checked fields out of one TOML table, remembering what it used."""

    def __init__(self, path: str, table: Mapping[str, Any], where: str) -> None:
        self.path = path
        self.table = table
        self.where = where
        self.used: set[str] = set()
        self.known: set[str] = set()
        """Every key this table was asked for, present or not: the valid keys."""

    def _name(self, key: str) -> str:
        return f"{self.where}{key}"

    def fail(self, key: str, expected: str) -> ScenarioError:
        return ScenarioError(self.path, self._name(key), expected)

    def has(self, key: str) -> bool:
        self.known.add(key)
        return key in self.table

    def raw(self, key: str) -> Any:
        self.known.add(key)
        self.used.add(key)
        return self.table[key]

    def string(self, key: str, default: str | None = None, choices: tuple[str, ...] = ()) -> str:
        self.known.add(key)
        if key not in self.table:
            if default is None:
                raise self.fail(key, "is missing (a string is required)")
            return default
        value = self.raw(key)
        if not isinstance(value, str):
            raise self.fail(key, f"expected a string, got {type(value).__name__} {value!r}")
        if choices and value not in choices:
            raise self.fail(key, f"expected one of {', '.join(choices)}; got {value!r}")
        return value

    def number(
        self, key: str, default: float | None = None, low: float = -math.inf, high: float = math.inf
    ) -> float:
        self.known.add(key)
        if key not in self.table:
            if default is None:
                raise self.fail(key, "is missing (a number is required)")
            return default
        return self._check_number(key, self.raw(key), low, high)

    def _check_number(self, key: str, value: Any, low: float, high: float) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, f"expected a number, got {type(value).__name__} {value!r}")
        try:
            number = float(value)
        except OverflowError:
            raise self.fail(key, f"expected a number; {str(value)[:20]}... is too large") from None
        if not math.isfinite(number) or not low <= number <= high:
            raise self.fail(key, f"expected a value in [{low:g}, {high:g}], got {number:g}")
        return number

    def integer(self, key: str, default: int, low: int = 0, high: int = 2**31 - 1) -> int:
        self.known.add(key)
        if key not in self.table:
            return default
        value = self.raw(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"expected an integer, got {type(value).__name__} {value!r}")
        if not low <= value <= high:
            raise self.fail(key, f"expected an integer in [{low}, {high}], got {value}")
        return value

    def vector(
        self, key: str, n: int, default: tuple[float, ...], low: float, high: float
    ) -> tuple[float, ...]:
        self.known.add(key)
        if key not in self.table:
            return default
        value = self.raw(key)
        if not isinstance(value, list) or len(value) != n:
            raise self.fail(key, f"expected a list of {n} numbers, got {value!r}")
        return tuple(self._check_number(key, v, low, high) for v in value)

    def finish(self) -> None:
        unknown = sorted(set(self.table) - self.used)
        if unknown:
            key = unknown[0]
            close = difflib.get_close_matches(key, sorted(self.known), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            valid = ", ".join(sorted(self.known)) or "none"
            raise self.fail(key, f"is not a known key; {hint}(valid keys here: {valid})")


def _initial(r: _Reader) -> InitialConditions:
    # Ranges are physical plausibility, far wider than the capture envelope:
    # out-of-envelope runs are legitimate scenarios, nonsense is not.
    ic = InitialConditions(
        distance_m=r.number("distance_m", 0.3, 0.0, 10.0),
        closing_speed_m_s=r.number("closing_speed_m_s", 0.10, -1.0, 1.0),
        lateral_offset_m=_v2(r.vector("lateral_offset_m", 2, (0.0, 0.0), -1.0, 1.0)),
        lateral_speed_m_s=_v2(r.vector("lateral_speed_m_s", 2, (0.0, 0.0), -0.5, 0.5)),
        angle_deg=_v3(r.vector("angle_deg", 3, (0.0, 0.0, 0.0), -30.0, 30.0)),
        rate_deg_s=_v3(r.vector("rate_deg_s", 3, (0.0, 0.0, 0.0), -10.0, 10.0)),
    )
    r.finish()
    return ic


def _v2(v: tuple[float, ...]) -> tuple[float, float]:
    return (v[0], v[1])


def _v3(v: tuple[float, ...]) -> tuple[float, float, float]:
    return (v[0], v[1], v[2])


def _command(r: _Reader) -> Command:
    c = Command(
        t_s=r.number("t_s", None, 0.0, 1e6),
        command=r.string("command", None, OPERATOR_COMMANDS),
        at_phase=r.string("at_phase", "", PHASES) or None,
    )
    r.finish()
    return c


def _fault(r: _Reader) -> Fault:
    kind = r.string("kind", None, tuple(sorted(FAULT_KINDS)))
    fault_field = r.string("field", "")
    if kind.startswith("sensor_") and kind != "sensor_dropout" and not fault_field:
        raise r.fail("field", f"is missing: a {kind} fault needs the SensorFrame field it acts on")
    if fault_field:
        from controller.types import SensorFrame

        if fault_field not in SensorFrame.__dataclass_fields__:
            raise r.fail("field", f"expected a SensorFrame field name, got {fault_field!r}")
    duration = r.number("duration_s", -1.0, 0.0, 1e6) if r.has("duration_s") else None
    at_phase = r.string("at_phase", "", PHASES) or None
    f = Fault(
        t_s=r.number("t_s", 0.0, 0.0, 1e6),
        kind=kind,
        index=r.integer("index", 0, 0, 11),
        value=r.number("value", 0.0, -1e9, 1e9),
        field=fault_field,
        duration_s=duration,
        at_phase=at_phase,
    )
    r.finish()
    return f


def _expect(r: _Reader) -> Expectation:
    kinds = [
        k
        for k in ("measurement", "final_phase", "reached", "not_reached", "event", "no_event")
        if r.has(k)
    ]
    if len(kinds) != 1:
        raise r.fail(
            "measurement",
            "each [[expect]] needs exactly one of measurement, final_phase, reached, "
            f"not_reached, event, no_event (got {kinds or 'none'})",
        )
    kind = kinds[0]
    if kind == "measurement":
        low = r.number("low", math.nan) if r.has("low") else None
        high = r.number("high", math.nan) if r.has("high") else None
        if low is None and high is None:
            raise r.fail("high", "a measurement expectation needs low, high or both")
        if low is not None and high is not None and low > high:
            raise r.fail("low", f"low ({low:g}) must not exceed high ({high:g})")
        e = Expectation(measurement=r.string("measurement"), low=low, high=high)
    elif kind == "final_phase":
        raw = r.raw("final_phase")
        names = [raw] if isinstance(raw, str) else raw
        if not isinstance(names, list) or not all(
            isinstance(n, str) and n in PHASES for n in names
        ):
            raise r.fail(
                "final_phase", f"expected a phase name or list of them from {', '.join(PHASES)}"
            )
        e = Expectation(final_phase=tuple(names))
    elif kind == "reached":
        e = Expectation(reached=r.string(kind, None, PHASES))
    elif kind == "not_reached":
        e = Expectation(not_reached=r.string(kind, None, PHASES))
    elif kind == "event":
        e = Expectation(event=r.string(kind))
    else:
        e = Expectation(no_event=r.string(kind))
    r.finish()
    return e


def _tables(r: _Reader, key: str, parse: Callable[[_Reader], Any]) -> tuple[Any, ...]:
    if not r.has(key):
        return ()
    items = r.raw(key)
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise r.fail(key, f"expected an array of tables ([[{key}]])")
    return tuple(parse(_Reader(r.path, item, f"{key}[{n}].")) for n, item in enumerate(items))


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file. Raises ScenarioError on any defect."""
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
    return scenario_from_dict(data, spath)


def scenario_from_dict(data: Mapping[str, Any], path: str = "<scenario>") -> Scenario:
    """Validate an already-parsed scenario table (used by campaigns and tests)."""
    r = _Reader(path, data, "")
    name = r.string("name")
    preset = r.string("preset", "cn-10t-100t")
    seed = r.integer("seed", 1, 0, 2**63 - 1)
    duration = r.number("duration_s", None, 0.001, 7 * 86400.0)
    period = r.number("period_s", 0.01, 1e-4, 0.1)
    description = r.string("description", "")
    stop_on = ()
    if r.has("stop_on_phase"):
        raw = r.raw("stop_on_phase")
        names = [raw] if isinstance(raw, str) else raw
        if not isinstance(names, list) or not all(
            isinstance(n, str) and n in PHASES for n in names
        ):
            raise r.fail(
                "stop_on_phase", f"expected a phase name or list of them from {', '.join(PHASES)}"
            )
        stop_on = tuple(names)
    stop_delay = r.number("stop_delay_s", 2.0, 0.0, 3600.0)
    initial = InitialConditions()
    if r.has("initial"):
        table = r.raw("initial")
        if not isinstance(table, dict):
            raise r.fail("initial", "expected a table ([initial])")
        initial = _initial(_Reader(path, table, "initial."))
    controller: dict[str, Any] = {}
    if r.has("controller"):
        table = r.raw("controller")
        if not isinstance(table, dict):
            raise r.fail("controller", "expected a table ([controller]) of config overrides")
        try:  # checked now, not when the run starts; integers stay integers
            ControllerConfig.from_mapping(table)
        except ConfigError as exc:
            raise r.fail("controller", str(exc)) from None
        controller = dict(table)
    scenario = Scenario(
        name=name,
        path=path,
        preset=preset,
        seed=seed,
        duration_s=duration,
        period_s=period,
        description=description,
        stop_on_phase=stop_on,
        stop_delay_s=stop_delay,
        initial=initial,
        commands=tuple(sorted(_tables(r, "commands", _command), key=lambda c: c.t_s)),
        faults=_tables(r, "faults", _fault),
        expect=_tables(r, "expect", _expect),
        controller=controller,
    )
    r.finish()
    return scenario
