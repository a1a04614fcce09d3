from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from controller.errors import ScenarioError
from hil.scenario import load_scenario

GOOD = """
name = "t"
seed = 4
duration_s = 100
[initial]
distance_m = 0.2
closing_speed_m_s = 0.1
lateral_offset_m = [0.05, 0.0]
angle_deg = [0.0, 2.0, 1.0]
[[commands]]
t_s = 0.0
command = "dock"
[[faults]]
t_s = 3.0
kind = "sensor_bias"
field = "axial_load_n"
value = 50.0
[[expect]]
measurement = "peak_axial_load_n"
high = 5000.0
[[expect]]
final_phase = ["MATED"]
"""


ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "s.toml"
    p.write_text(text)
    return p


def test_good_scenario_loads_every_section(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path, GOOD))
    assert (s.name, s.seed, s.duration_s) == ("t", 4, 100.0)
    assert s.initial.lateral_offset_m == (0.05, 0.0)
    assert s.initial.angle_deg == (0.0, 2.0, 1.0)
    assert s.initial.lateral_speed_m_s == (0.0, 0.0)  # default
    assert [c.command for c in s.commands] == ["dock"]
    assert (s.faults[0].field, s.faults[0].value) == ("axial_load_n", 50.0)
    assert s.expect[0].high == 5000.0
    assert s.expect[1].final_phase == ("MATED",)


def _assert_error(tmp_path: Path, change: tuple[str, str], field: str, words: str) -> None:
    """GOOD with one (old, new) change fails to load, naming the file, the field and words."""
    old, new = change
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.field == field
    assert str(path) in str(info.value)
    assert words in str(info.value)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (("seed = 4", "sede = 4"), "sede", "did you mean 'seed'"),
        (("distance_m = 0.2", "distance = 0.2"), "initial.distance", "valid keys here: angle_deg"),
        (("distance_m = 0.2", "distance_m = 'far'"), "initial.distance_m", "expected a number"),
        (("distance_m = 0.2", "distance_m = 50.0"), "initial.distance_m", "expected a value in"),
        (('name = "t"', ""), "name", "is missing"),
        (('command = "dock"', 'command = "fly"'), "commands[0].command", "valid: abort"),
        (
            ("lateral_offset_m = [0.05, 0.0]", "lateral_offset_m = [0.05]"),
            "initial.lateral_offset_m",
            "list of 2",
        ),
        (
            ('field = "axial_load_n"', 'field = "axial_lode"'),
            "faults[0].field",
            "did you mean 'axial_load_n'",
        ),
        (("high = 5000.0", "high = 5000.0\nlow = 6000.0"), "expect[0].low", "must not exceed"),
        (
            ('final_phase = ["MATED"]', 'final_phase = ["DOCKED"]'),
            "expect[1].final_phase[0]",
            "not a known phase",
        ),
        (("duration_s = 100", "duration_s = -1"), "duration_s", "expected a value in"),
        (("seed = 4", "seed = true"), "seed", "expected an integer"),
    ],
)
def test_malformed_scenario_names_file_and_field(
    tmp_path: Path, change: tuple[str, str], field: str, words: str
) -> None:
    _assert_error(tmp_path, change, field, words)


def test_syntax_error_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_scenario(write(tmp_path, "name = "))
    with pytest.raises(ScenarioError, match="cannot be read"):
        load_scenario(tmp_path / "nope.toml")


def test_library_scenarios_all_load() -> None:
    root = Path(__file__).resolve().parents[2] / "scenarios"
    files = sorted(root.glob("*.toml"))
    assert files, "the scenario library is empty"
    for f in files:
        load_scenario(f)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        # the issue's own examples: a key without its units, a misspelled measurement
        (
            ("closing_speed_m_s = 0.1", "closing_speed = 0.1"),
            "initial.closing_speed",
            "did you mean 'closing_speed_m_s'",
        ),
        (
            ('measurement = "peak_axial_load_n"', 'measurement = "peak_axial_load"'),
            "expect[0].measurement",
            "did you mean 'peak_axial_load_n'",
        ),
        (('kind = "sensor_bias"', 'kind = "sensor_biass"'), "faults[0].kind", "'sensor_bias'"),
        (('kind = "sensor_bias"', 'kind = "sensor_biass"'), "faults[0].kind", "valid: brake_fail"),
        (("seed = 4", 'preset = "cn-10t"'), "preset", "did you mean 'cn-10t-100t'"),
        # physical sanity: a closing speed must close; the chaser must arrive before the end
        (
            ("closing_speed_m_s = 0.1", "closing_speed_m_s = -0.1"),
            "initial.closing_speed_m_s",
            "must close",
        ),
        (("closing_speed_m_s = 0.1", "closing_speed_m_s = 0.0"), "initial.closing_speed_m_s", "(0"),
        (("t_s = 3.0", "t_s = 300.0"), "faults[0].t_s", "after the run ends"),
        (
            ("lateral_offset_m = [0.05, 0.0]", "lateral_offset_m = [0.05, 3.0]"),
            "initial.lateral_offset_m[1]",
            "[-1.0, 1.0] m",
        ),
        (('field = "axial_load_n"\n', ""), "faults[0].field", "needs the SensorFrame field"),
        (
            ("high = 5000.0", "high = 5000.0\nfinal_phase = 'MATED'"),
            "expect[0].measurement",
            "exactly one of",
        ),
        (
            ("[initial]", "[controller]\ncapture_timout_s = 3.0\n[initial]"),
            "controller.capture_timout_s",
            "did you mean 'capture_timeout_s'",
        ),
        (("value = 50.0", "value = nan"), "faults[0].value", "expected a value in"),
    ],
)
def test_schema_errors_name_field_choices_and_closest(
    tmp_path: Path, change: tuple[str, str], field: str, words: str
) -> None:
    _assert_error(tmp_path, change, field, words)


def test_every_error_is_counted_and_validate_lists_them_all(tmp_path: Path) -> None:
    bad = GOOD.replace("seed = 4", "sede = 4").replace("closing_speed_m_s", "closing_speed")
    path = write(tmp_path, bad)
    with pytest.raises(ScenarioError, match="and 1 more"):
        load_scenario(path)
    ok = tmp_path / "ok.toml"
    ok.write_text(GOOD)
    p = subprocess.run(
        [sys.executable, "-m", "hil.cli", "validate", str(path), str(ok)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 1
    assert "did you mean 'seed'" in p.stderr
    assert "did you mean 'closing_speed_m_s'" in p.stderr
    assert f"{ok}: ok" in p.stdout
    p = subprocess.run(
        [sys.executable, "-m", "hil.cli", "validate", str(ROOT / "scenarios")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr


def test_valid_names_follow_the_code_tables() -> None:
    """Fault kinds and measurement names come from the code's tables, not a copy."""
    from controller.types import PLANT_FAULT_KINDS
    from hil.measure import UNITS
    from hil.scenario import SENSOR_FAULT_KINDS
    from hil.schema import json_schema

    defs = json_schema()["$defs"]
    kinds = defs["FaultTable"]["properties"]["kind"]["enum"]
    assert set(kinds) == set(PLANT_FAULT_KINDS | SENSOR_FAULT_KINDS)
    names = defs["ExpectTable"]["properties"]["measurement"]["anyOf"][0]["enum"]
    assert names == list(UNITS)


def test_generated_schema_and_reference_are_up_to_date() -> None:
    """docs/scenario.schema.json and docs/scenarios.md are generated from hil/schema.py;
    regenerate with `python -m hil.schema --write` after changing the format."""
    from hil.schema import REFERENCE_PATH, SCHEMA_PATH, reference_text, schema_text

    assert SCHEMA_PATH.read_text() == schema_text()
    assert REFERENCE_PATH.read_text() == reference_text()
    assert json.loads(SCHEMA_PATH.read_text())["required"] == ["name", "duration_s"]


def test_reference_example_is_a_valid_scenario(tmp_path: Path) -> None:
    from hil.schema import EXAMPLE

    s = load_scenario(write(tmp_path, EXAMPLE))
    assert s.faults[0].at_phase == "CORRECTION"
    assert s.expect[-1].final_phase == ("MATED", "SAFE")
