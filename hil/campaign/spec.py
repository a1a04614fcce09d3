"""Campaign files: a base scenario, a sampler, dispersions, a window and statistics options.

A campaign is a TOML file (``docs/campaigns.md``). Loading is as strict as
for scenarios and uses the same reader, so a defect names the file and the
field and the command line exits 2. Every dispersion is checked against the
base scenario before any run starts: the campaign's centre point (and each
end of every range) must make a valid scenario, so a typo in a path or a
range outside the scenario's physical limits fails at load, not on a worker.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import math
import re
import stat
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from controller.errors import ConfigError, ScenarioError
from controller.types import InitialConditions
from hil.campaign.reader import TableReader as _Reader
from hil.scenario import FAULT_KINDS, PHASES, Scenario, scenario_from_dict

SAMPLERS = ("lhs", "uniform", "normal", "corners", "list")
"""Latin hypercube, independent uniform, (truncated) normal, the corner set, an explicit list."""

MAX_CAMPAIGN_BYTES = 1 << 20
MAX_RUNS = 10_000_000

_INDEX = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:\[(?P<index>\d+)\])?$")


@dataclass(frozen=True, slots=True)
class Dispersion:
    """One dispersed input: ``path`` into the scenario, and how it is drawn.

    Numeric paths take ``low``/``high`` (uniform, LHS and corners use the
    range; a normal sampler uses ``mean``/``std`` truncated to the range when
    one is given). ``choices`` makes a categorical input (a fault kind). A
    ``magnitude`` dispersion of a 2-vector (``initial.lateral_offset_m``) or
    of two items of a vector (``initial.angle_deg[1,2]``, pitch and yaw)
    draws a length in ``[low, high]`` and a direction uniformly over the
    circle, for envelopes stated as "offset <= 0.16 m" or "pitch/yaw <= 3 deg"
    (two sampler dimensions).
    """

    path: str
    low: float | None = None
    high: float | None = None
    mean: float | None = None
    std: float | None = None
    choices: tuple[str, ...] = ()
    magnitude: bool = False

    @property
    def dims(self) -> int:
        """Sampler dimensions this input uses (a magnitude/direction pair uses two)."""
        return 2 if self.magnitude else 1

    @property
    def columns(self) -> tuple[str, ...]:
        """The input columns of ``runs.parquet`` this dispersion fills."""
        if self.magnitude:
            return (*magnitude_components(self.path), f"{self.path}|norm")
        return (self.path,)


_PAIR = re.compile(r"(?P<base>.+)\[(?P<i>\d+),\s*(?P<j>\d+)\]")


def magnitude_components(path: str) -> tuple[str, str]:
    """The two input paths a magnitude dispersion writes: ``v[0]``/``v[1]`` of a 2-vector
    ``v``, or ``v[i]``/``v[j]`` of a pair ``v[i,j]``."""
    m = _PAIR.fullmatch(path)
    if m is None:
        return f"{path}[0]", f"{path}[1]"
    return f"{m.group('base')}[{m.group('i')}]", f"{m.group('base')}[{m.group('j')}]"


@dataclass(frozen=True, slots=True)
class Window:
    """Where each run ends: ``after_s`` after the first entry into ``end_phase``, or at
    ``max_s`` of simulated time, whichever comes first (``end_phase`` empty: the
    base scenario's own stop rules)."""

    end_phase: str = ""
    after_s: float = 10.0
    max_s: float | None = None


@dataclass(frozen=True, slots=True)
class Boundary:
    """Boundary search: ``rays`` rays from ``origin`` in the plane of two inputs,
    each bisected ``steps`` times between the origin and ``reach`` x the input
    ranges (beyond the sampled box, so the map can show where capture stops)."""

    axes: tuple[str, str]
    origin: tuple[float, float]
    rays: int = 16
    steps: int = 8
    reach: float = 2.0


@dataclass(frozen=True, slots=True)
class Campaign:
    """A parsed, validated campaign file."""

    name: str
    path: str
    base_path: str
    base: Mapping[str, Any] = field(repr=False)
    """The base scenario as TOML gave it (dispersed values are written into a copy)."""
    runs: int
    seed: int
    sampler: str
    dispersions: tuple[Dispersion, ...]
    explicit: tuple[Mapping[str, float | str], ...] = ()
    window: Window = field(default_factory=Window)
    noise_seed: str = "per_run"
    keep_worst: int = 10
    keep_failures: int = 20
    boundary: Boundary | None = None
    at_contact: bool = False
    """The ``initial`` inputs hold at first petal contact (an envelope's statement): each
    run starts ``lead_s`` of free flight before it
    (:func:`sim_bridge.envelope.start_conditions`)."""
    lead_s: float = 0.5
    digest: str = ""
    """SHA-256 of the campaign and base files' bytes: resume only continues the same campaign."""

    @property
    def input_columns(self) -> tuple[str, ...]:
        return tuple(c for d in self.dispersions for c in d.columns)


def _read_toml(path: Path, what: str) -> tuple[dict[str, Any], bytes]:
    spath = str(path)
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            raise ScenarioError(spath, "(file)", f"is not a regular file; a {what} is a TOML file")
        if st.st_size > MAX_CAMPAIGN_BYTES:
            raise ScenarioError(spath, "(file)", f"is {st.st_size} bytes; at most 1 MiB")
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(spath, "(file)", f"cannot be read: {exc.strerror or exc}") from None
    try:
        return tomllib.loads(raw.decode("utf-8")), raw
    except UnicodeDecodeError as exc:
        raise ScenarioError(spath, "(file)", f"is not UTF-8 (byte at offset {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(spath, "(syntax)", f"is not valid TOML: {exc}") from None


def load_campaign(path: str | Path) -> Campaign:
    """Read and validate a campaign file and its base scenario. Raises ScenarioError."""
    p = Path(path)
    data, raw = _read_toml(p, "campaign")
    r = _Reader(str(p), data, "")
    if not r.has("campaign") or not isinstance(r.raw("campaign"), dict):
        raise r.fail("campaign", "is missing: a campaign file needs a [campaign] table")
    c = _Reader(str(p), r.raw("campaign"), "campaign.")
    name = c.string("name")
    base_rel = c.string("scenario")
    base_path = (p.parent / base_rel).resolve()
    if not base_path.is_file():
        raise c.fail("scenario", f"names {base_rel!r}, which is not a file next to {p.name}")
    base, base_raw = _read_toml(base_path, "scenario")
    scenario_from_dict(base, str(base_path))  # the base alone must be a valid scenario
    sampler = c.string("sampler", "lhs", SAMPLERS)
    seed = c.integer("seed", 0, 0, 2**63 - 1)
    runs = c.integer("runs", 0, 0, MAX_RUNS)
    noise = c.string("noise_seed", "per_run", ("per_run", "base"))
    keep_worst = c.integer("keep_worst", 10, 0, 10_000)
    keep_failures = c.integer("keep_failures", 20, 0, 10_000)
    at_contact = c.boolean("at_contact")
    lead_s = c.number("lead_s", 0.5, 0.05, 10.0) if c.has("lead_s") else 0.5
    c.finish()
    dispersions = _tables(r, "dispersion", _dispersion)
    seen: set[str] = set()
    for n, d in enumerate(dispersions):
        if d.path in seen:
            raise ScenarioError(str(p), f"dispersion[{n}].path", f"{d.path!r} is dispersed twice")
        seen.add(d.path)
    explicit: tuple[Mapping[str, float | str], ...] = ()
    if sampler == "list":
        explicit = _explicit(r, dispersions)
        runs = len(explicit)
    elif r.has("list"):
        raise r.fail("list", "is only used with sampler = 'list'")
    if runs < 1:
        raise ScenarioError(str(p), "campaign.runs", "is missing or 0: how many runs to make")
    window = _window(r)
    boundary = _boundary(r, dispersions) if r.has("boundary") else None
    r.finish()
    campaign = Campaign(
        name=name,
        path=str(p),
        base_path=str(base_path),
        base=base,
        runs=runs,
        seed=seed,
        sampler=sampler,
        dispersions=dispersions,
        explicit=explicit,
        window=window,
        noise_seed=noise,
        keep_worst=keep_worst,
        keep_failures=keep_failures,
        boundary=boundary,
        at_contact=at_contact,
        lead_s=lead_s,
        digest=hashlib.sha256(raw + b"\x00" + base_raw).hexdigest(),
    )
    _check_paths(campaign)
    return campaign


def _tables(r: _Reader, key: str, parse: Any) -> tuple[Any, ...]:
    if not r.has(key):
        return ()
    items = r.raw(key)
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise r.fail(key, f"expected an array of tables ([[{key}]])")
    return tuple(parse(_Reader(r.path, item, f"{key}[{n}].")) for n, item in enumerate(items))


def _dispersion(r: _Reader) -> Dispersion:
    path = r.string("path")
    try:
        for one in magnitude_components(path) if _PAIR.fullmatch(path) else (path,):
            parse_path(one)
    except ValueError as exc:
        raise r.fail("path", str(exc)) from None
    if r.has("choices"):
        raw = r.raw("choices")
        if not isinstance(raw, list) or not raw or not all(isinstance(v, str) for v in raw):
            raise r.fail("choices", "expected a non-empty list of strings")
        if not path.endswith(".kind"):
            raise r.fail("choices", "only a fault's kind (faults[N].kind) takes choices")
        bad = [v for v in raw if v not in FAULT_KINDS]
        if bad:
            raise r.fail("choices", f"{bad[0]!r} is not a fault kind")
        r.finish()
        return Dispersion(path, choices=tuple(raw))
    low = r.number("low") if r.has("low") else None
    high = r.number("high") if r.has("high") else None
    mean = r.number("mean") if r.has("mean") else None
    std = r.number("std", None, 0.0) if r.has("std") else None
    magnitude = r.boolean("magnitude")
    if (low is None) != (high is None):
        raise r.fail("high" if high is None else "low", "a range needs both low and high")
    if low is not None and high is not None and low > high:
        raise r.fail("low", f"low ({low:g}) must not exceed high ({high:g})")
    if low is None and (mean is None or std is None):
        raise r.fail("low", "needs low and high (a range) or mean and std (a normal)")
    pair = _PAIR.fullmatch(path) is not None
    if pair and not magnitude:
        raise r.fail("path", f"{path!r}: two items [i,j] are one input only with magnitude = true")
    if magnitude:
        if low is None or low < 0:
            raise r.fail("low", "a magnitude needs a range with low >= 0")
        if not path.startswith("initial.") or ("[" in path and not pair):
            raise r.fail(
                "magnitude",
                "only a 2-vector initial condition (no index) or two of its items "
                "(initial.angle_deg[1,2]) have one",
            )
    r.finish()
    return Dispersion(path, low, high, mean, std, magnitude=magnitude)


def _explicit(r: _Reader, dispersions: Sequence[Dispersion]) -> tuple[Mapping[str, Any], ...]:
    if not r.has("list"):
        raise r.fail("list", "is missing: sampler = 'list' needs [[list]] tables of runs")
    items = r.raw("list")
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        raise r.fail("list", "expected a non-empty array of tables ([[list]])")
    known = {d.path for d in dispersions}
    out: list[Mapping[str, Any]] = []
    for n, item in enumerate(items):
        if set(item) != known:
            missing = sorted(known - set(item)) or sorted(set(item) - known)
            raise ScenarioError(
                r.path,
                f"list[{n}]",
                f"each run gives exactly the dispersed paths ({', '.join(sorted(known))}); "
                f"check {missing[0]!r}",
            )
        for key, value in item.items():
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise ScenarioError(r.path, f"list[{n}].{key}", f"expected a value, got {value!r}")
        out.append(dict(item))
    return tuple(out)


def _window(r: _Reader) -> Window:
    if not r.has("window"):
        return Window()
    table = r.raw("window")
    if not isinstance(table, dict):
        raise r.fail("window", "expected a table ([window])")
    w = _Reader(r.path, table, "window.")
    window = Window(
        end_phase=w.string("end_phase", "", PHASES),
        after_s=w.number("after_s", 10.0, 0.0, 3600.0),
        max_s=w.number("max_s", 0.0, 0.001, 7 * 86400.0) if w.has("max_s") else None,
    )
    w.finish()
    return window


def _boundary(r: _Reader, dispersions: Sequence[Dispersion]) -> Boundary:
    table = r.raw("boundary")
    if not isinstance(table, dict):
        raise r.fail("boundary", "expected a table ([boundary])")
    b = _Reader(r.path, table, "boundary.")
    ranged = {d.path: d for d in dispersions if d.low is not None and not d.magnitude}
    ranged.update({f"{d.path}|norm": d for d in dispersions if d.magnitude})
    axes = b.raw("axes") if b.has("axes") else None
    if not (isinstance(axes, list) and len(axes) == 2 and all(a in ranged for a in axes)):
        raise b.fail(
            "axes",
            f"expected two dispersed inputs with a range, from {', '.join(sorted(ranged))}",
        )
    origin = b.vector("origin", 2, (math.nan, math.nan), -1e9, 1e9)
    if not all(math.isfinite(v) for v in origin):
        raise b.fail("origin", "is missing: the point (inside the envelope) rays start from")
    boundary = Boundary(
        axes=(axes[0], axes[1]),
        origin=(origin[0], origin[1]),
        rays=b.integer("rays", 16, 3, 720),
        steps=b.integer("steps", 8, 1, 30),
        reach=b.number("reach", 2.0, 1.0, 100.0),
    )
    b.finish()
    return boundary


# ---------------------------------------------------------------- paths into a scenario
def parse_path(path: str) -> list[tuple[str, int | None]]:
    """``"faults[0].value"`` -> ``[("faults", 0), ("value", None)]``; ValueError if malformed."""
    parts: list[tuple[str, int | None]] = []
    for piece in path.split("."):
        m = _INDEX.match(piece)
        if m is None:
            raise ValueError(f"{path!r} is not a path like initial.angle_deg[1] or faults[0].t_s")
        idx = m.group("index")
        parts.append((m.group("name"), None if idx is None else int(idx)))
    head = parts[0][0]
    if head not in ("initial", "faults", "preset", "controller", "commands"):
        raise ValueError(
            f"{path!r}: a dispersion path starts with initial, faults, commands, preset "
            "or controller"
        )
    if head == "preset" and len(parts) < 3:
        raise ValueError(f"{path!r}: a preset path is preset.<section>.<name>, e.g. preset.buffer.")
    return parts


_IC_DEFAULTS = {
    "distance_m": InitialConditions().distance_m,
    "closing_speed_m_s": InitialConditions().closing_speed_m_s,
    "lateral_offset_m": list(InitialConditions().lateral_offset_m),
    "lateral_speed_m_s": list(InitialConditions().lateral_speed_m_s),
    "angle_deg": list(InitialConditions().angle_deg),
    "rate_deg_s": list(InitialConditions().rate_deg_s),
}


def apply(
    base: Mapping[str, Any], values: Mapping[str, float | str]
) -> tuple[dict[str, Any], dict[str, float | tuple[float, ...]]]:
    """A copy of the base scenario table with ``values`` written at their paths.

    Returns the scenario table and the preset overrides (``preset.*`` paths,
    keyed as :meth:`sim_bridge.preset.Preset.with_overrides` wants them).
    Raises ValueError naming the path when the base has nothing there.
    """
    data = copy.deepcopy(dict(base))
    preset: dict[str, Any] = {}
    for path, value in values.items():
        if path.endswith("|norm"):
            continue
        parts = parse_path(path)
        if parts[0][0] == "preset":
            key = ".".join(n for n, _ in parts[1:])
            idx = parts[-1][1]
            if idx is None:
                preset[key] = value
            else:
                preset.setdefault(key, {})[idx] = value
            continue
        node: Any = data
        for depth, (name, idx) in enumerate(parts):
            last = depth == len(parts) - 1
            if not isinstance(node, dict):
                raise ValueError(f"{path}: {name!r} is not inside a table")
            if name not in node:
                if parts[0][0] in ("initial", "controller") and depth == 0:
                    node[name] = {}
                elif parts[0][0] == "initial" and depth == 1:
                    node[name] = copy.copy(_IC_DEFAULTS.get(name, 0.0))
                elif parts[0][0] == "controller" and last:
                    pass
                else:
                    raise ValueError(f"{path}: the base scenario has no {name!r} here")
            if last and name == "index" and isinstance(value, float):
                value = round(value)  # a latch, hook or set number drawn from a range
            if idx is None:
                if last:
                    node[name] = value
                else:
                    node = node[name]
                continue
            seq = node.get(name)
            if not isinstance(seq, list) or idx >= len(seq):
                raise ValueError(f"{path}: the base scenario has no item {idx} of {name!r}")
            if last:
                seq[idx] = value
            else:
                node = seq[idx]
    return data, preset


def concrete_table(
    campaign: Campaign, values: Mapping[str, float | str], seed: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The scenario table of one run (inputs, window and seed written in) and the raw
    preset overrides; :func:`concrete` validates both."""
    data, preset = apply(campaign.base, values)
    if campaign.at_contact:
        _start_before_contact(data, preset, campaign.lead_s)
    data["seed"] = seed
    w = campaign.window
    if w.end_phase:
        data["stop_on_phase"] = [w.end_phase]
        data["stop_delay_s"] = w.after_s
    if w.max_s is not None:
        data["duration_s"] = min(float(data.get("duration_s", w.max_s)), w.max_s)
    return data, preset


_IC_FIELDS = tuple(_IC_DEFAULTS)


def _start_before_contact(data: dict[str, Any], preset: Mapping[str, Any], lead_s: float) -> None:
    """Rewrite ``data["initial"]`` (the conditions at first contact) as the start ``lead_s``
    earlier that reaches them, found on the run's own preset. ValueError if it cannot."""
    from controller.errors import PlantError
    from sim_bridge.envelope import start_conditions

    table = data.get("initial", {})
    given: dict[str, Any] = {
        k: tuple(float(x) for x in table[k]) if isinstance(table[k], list) else float(table[k])
        for k in _IC_FIELDS
        if k in table
    }
    try:
        at_contact = InitialConditions(**given)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"initial: {exc}") from None
    name = str(data.get("preset", "cn-10t-100t"))
    try:
        overrides = tuple(sorted(preset_values(preset, name).items()))
        start = start_conditions(run_preset(name, overrides), at_contact, lead_s)
    except PlantError as exc:
        raise ValueError(f"initial: cannot start before contact: {exc}") from None
    data["initial"] = {
        **table,
        **{
            k: list(v) if isinstance(v, tuple) else v
            for k, v in ((k, getattr(start, k)) for k in _IC_FIELDS)
        },
    }


@functools.lru_cache(maxsize=64)
def run_preset(name: str, overrides: tuple[tuple[str, Any], ...]) -> Any:
    """A run's preset with its (validated, sorted) overrides, read and checked once per
    process for each distinct set: placing a run and running it use the same one."""
    from sim_bridge.preset import load_preset

    base = load_preset(name)
    return base.with_overrides(dict(overrides)) if overrides else base


def concrete(
    campaign: Campaign, values: Mapping[str, float | str], seed: int
) -> tuple[Scenario, dict[str, float | tuple[float, ...]]]:
    """The scenario of one run (window and seed applied) and its preset overrides."""
    data, preset = concrete_table(campaign, values, seed)
    scenario = scenario_from_dict(data, f"{campaign.path} (run of {campaign.base_path})")
    return scenario, preset_values(preset, scenario.preset)


def preset_values(raw: Mapping[str, Any], preset_name: str) -> dict[str, float | tuple[float, ...]]:
    if not raw:
        return {}
    from sim_bridge.preset import load_preset

    base = load_preset(preset_name)
    out: dict[str, float | tuple[float, ...]] = {}
    for key, value in raw.items():
        if key not in base.values:
            raise ValueError(f"preset.{key}: preset {base.name!r} has no such number")
        if isinstance(value, dict):
            vec = list(base.vector(key))
            for i, v in value.items():
                if i >= len(vec):
                    raise ValueError(f"preset.{key}[{i}]: it has {len(vec)} items")
                vec[i] = float(v)
            out[key] = tuple(vec)
        else:
            out[key] = float(value)
    base.with_overrides(out)  # range-checked like a preset file
    return out


def _check_paths(campaign: Campaign) -> None:
    """Each end of each range (others at their centre) must give a valid scenario."""
    centre: dict[str, float | str] = {}
    for d in campaign.dispersions:
        if d.choices:
            centre[d.path] = d.choices[0]
        elif d.magnitude:
            assert d.high is not None
            for one in magnitude_components(d.path):
                centre[one] = d.high / math.sqrt(2.0)
        else:
            if d.low is not None and d.high is not None:
                centre[d.path] = (d.low + d.high) / 2.0
            else:
                centre[d.path] = d.mean if d.mean is not None else 0.0
    trials = [centre]
    for d in campaign.dispersions:
        if d.low is not None and d.high is not None and not d.magnitude:
            trials += [{**centre, d.path: d.low}, {**centre, d.path: d.high}]
        for value in d.choices[1:]:
            trials.append({**centre, d.path: value})
    trials += [dict(run) for run in campaign.explicit]
    for values in trials:
        try:
            concrete(campaign, values, 1)
        except ScenarioError as exc:
            shown = ", ".join(f"{k} = {v!r}" for k, v in values.items())
            raise ScenarioError(
                campaign.path,
                f"dispersion ({exc.field})",
                f"{exc.expected} (at {shown})",
            ) from None
        except ConfigError as exc:
            raise ScenarioError(campaign.path, "dispersion", str(exc)) from None
        except ValueError as exc:
            where = next((p for p in values if str(exc).startswith(p)), "dispersion")
            raise ScenarioError(campaign.path, where, str(exc)) from None
