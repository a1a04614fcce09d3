from __future__ import annotations

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


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (("seed = 4", "sede = 4"), "sede", "did you mean 'seed'"),
        (("distance_m = 0.2", "distance = 0.2"), "initial.distance", "valid keys here: angle_deg"),
        (("distance_m = 0.2", "distance_m = 'far'"), "initial.distance_m", "expected a number"),
        (("distance_m = 0.2", "distance_m = 50.0"), "initial.distance_m", "expected a value in"),
        (('name = "t"', ""), "name", "is missing"),
        (('command = "dock"', 'command = "fly"'), "commands[0].command", "expected one of"),
        (
            ("lateral_offset_m = [0.05, 0.0]", "lateral_offset_m = [0.05]"),
            "initial.lateral_offset_m",
            "list of 2",
        ),
        (
            ('field = "axial_load_n"', 'field = "axial_lode"'),
            "faults[0].field",
            "SensorFrame field",
        ),
        (("high = 5000.0", "high = 5000.0\nlow = 6000.0"), "expect[0].low", "must not exceed"),
        (
            ('final_phase = ["MATED"]', 'final_phase = ["DOCKED"]'),
            "expect[1].final_phase",
            "phase name",
        ),
        (("duration_s = 100", "duration_s = -1"), "duration_s", "expected a value in"),
        (("seed = 4", "seed = true"), "seed", "expected an integer"),
    ],
)
def test_malformed_scenario_names_file_and_field(
    tmp_path: Path, change: tuple[str, str], field: str, words: str
) -> None:
    old, new = change
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.field == field
    assert str(path) in str(info.value)
    assert words in str(info.value)


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
