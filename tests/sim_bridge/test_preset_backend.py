"""Presets, the sim:// HAL backend, pressures and power."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from controller.errors import ConfigError, LinkError, PlantError
from controller.hal import Hal, SimControl
from controller.types import SAFE_COMMAND, ActuatorCommand, InitialConditions, PlantFault
from hil.backends import open_hal
from sim_bridge.backend import SimHal
from sim_bridge.plant import Plant
from sim_bridge.preset import PRESET_DIR, Preset, available_presets, load_preset


def test_unknown_preset_lists_the_available_ones() -> None:
    with pytest.raises(ConfigError, match="cn-10t-100t"):
        load_preset("no-such-mechanism")
    assert "cn-10t-100t" in available_presets()


def test_preset_is_frozen_and_validated(preset: Preset) -> None:
    assert preset.get("vehicles.chaser_mass_kg") == 10_000.0
    with pytest.raises(AttributeError):
        preset.name = "x"  # type: ignore[misc]
    with pytest.raises(ConfigError, match="outside"):
        preset.with_overrides({"contact.friction_coefficient": -0.1})
    with pytest.raises(ConfigError, match="no parameters"):
        preset.with_overrides({"contact.nonsense": 1.0})


def test_preset_file_cites_a_source_for_every_number() -> None:
    text = (PRESET_DIR / "cn-10t-100t.toml").read_text(encoding="utf-8")
    numeric = [ln for ln in text.splitlines() if re.match(r"^\w+ = [-\d\[]", ln)]
    assert len(numeric) > 100
    for line in numeric:
        assert re.search(r"#.*(DOMAIN \d|\[E\]|\[D\])", line), f"no source: {line}"


def test_preset_loads_from_a_path(tmp_path: Path) -> None:
    text = (PRESET_DIR / "cn-10t-100t.toml").read_text(encoding="utf-8")
    broken = tmp_path / "broken.toml"
    broken.write_text(text.replace("chaser_mass_kg = 10000.0", "chaser_mass_kg = -1.0"))
    with pytest.raises(ConfigError, match="chaser_mass_kg"):
        load_preset(broken)
    fine = tmp_path / "copy.toml"
    fine.write_text(text)
    assert load_preset(fine).get("pressure.cabin_pa") == 101325.0


def test_open_hal_plain_sim_url() -> None:
    hal = open_hal("sim://?seed=3")
    assert isinstance(hal, SimHal)
    assert hal.period_s == pytest.approx(0.001)
    hal.write(SAFE_COMMAND)
    assert hal.read().seq == 1
    hal.close()


def test_open_hal_sim_url_runs_in_lockstep() -> None:
    hal = open_hal("sim://?seed=3&period=0.01")
    assert isinstance(hal, Hal)
    assert isinstance(hal, SimControl)
    assert {"lockstep", "fault_injection", "truth"} <= hal.capabilities
    assert hal.period_s == pytest.approx(0.01)
    f0 = hal.read()
    hal.write(SAFE_COMMAND)
    f1 = hal.read()
    assert f1.t_s == pytest.approx(0.01)
    assert f1.seq == f0.seq + 10
    assert f1.rel_pos_m[0] < f0.rel_pos_m[0] + 0.005  # closing at 0.1 m/s
    truth = hal.truth()
    assert truth is not None
    assert truth.t_s == pytest.approx(0.01)
    hal.close()
    hal.close()  # idempotent
    with pytest.raises(LinkError):
        hal.read()
    assert hal.truth() is None


def test_sim_hal_setup_inject_and_bad_options() -> None:
    hal = SimHal("sim://?preset=cn-10t-100t&seed=1&dt=0.001&period=0.002")
    hal.setup("cn-10t-100t", 5, InitialConditions(distance_m=0.5))
    assert hal.read().t_s == 0.0
    hal.inject(PlantFault("power_loss", value=0.0))
    hal.write(ActuatorCommand(ring_speed_m_s=-0.005))
    assert hal.read().bus_voltage_v < 0.5
    hal.inject(PlantFault("power_loss"), active=False)
    hal.write(SAFE_COMMAND)
    assert hal.read().bus_voltage_v == pytest.approx(28.0, abs=0.2)
    with pytest.raises(PlantError):
        hal.inject(PlantFault("gremlins"))
    with pytest.raises(ConfigError):
        SimHal("sim://?period=0.0015&dt=0.001")
    with pytest.raises(ConfigError):
        SimHal("sim://?colour=blue")
    with pytest.raises(ConfigError):
        load_preset("sim")
    mated = SimHal("sim://?mated=1")
    assert all(mated.read().interface_contact)


def test_non_finite_set_points_are_refused() -> None:
    plant = Plant("cn-10t-100t", InitialConditions(), 1)
    with pytest.raises(PlantError, match="non-finite"):
        plant.step(ActuatorCommand(ring_speed_m_s=float("nan")))
    assert plant.t_s == 0.0


def test_initial_penetration_is_refused() -> None:
    with pytest.raises(PlantError, match="distance_m"):
        Plant("cn-10t-100t", InitialConditions(distance_m=0.02, lateral_offset_m=(0.1, 0.0)), 1)


def test_seal_cavity_pressurises_and_decays_slowly_unless_leaking() -> None:
    plant = Plant.mated("cn-10t-100t", seed=1)
    plant.advance(ActuatorCommand(seal_valve_open=True), 60_000)
    p_full = plant.truth()
    assert plant.sense().seal_cavity_pressure_pa == pytest.approx(101_325.0, rel=0.01)
    plant.advance(ActuatorCommand(), 300_000)  # 5 min decay test, sealed
    p_sealed = plant.sense().seal_cavity_pressure_pa
    assert 95_000.0 < p_sealed < 101_325.0
    plant.inject(PlantFault("seal_leak", value=1e-6))
    plant.advance(ActuatorCommand(), 60_000)
    assert plant.sense().seal_cavity_pressure_pa < p_sealed - 5_000.0
    assert p_full.extra["seal_force_n"] > 15_000.0


def test_tunnel_pressure_load_is_51_kN_and_hooks_hold_it() -> None:
    plant = Plant.mated("cn-10t-100t", seed=1)
    plant.advance(ActuatorCommand(tunnel_valve_open=True), 300_000)
    frame = plant.sense()
    assert frame.tunnel_pressure_pa == pytest.approx(101_325.0, rel=0.02)
    area = 3.141592653589793 * 0.4**2
    assert frame.tunnel_pressure_pa * area == pytest.approx(51_000.0, rel=0.03)
    assert all(frame.interface_contact)  # the hooks hold against the pressure load
    assert plant.truth().extra["min_structural_gap_m"] < 0.0


def test_power_loss_stops_motors_and_hooks_self_hold() -> None:
    plant = Plant.mated("cn-10t-100t", seed=1, hooks_closed=False)
    plant.advance(ActuatorCommand(hook_motor_v=(28.0, 28.0)), 40_000)
    before = plant.sense().hook_pos
    plant.inject(PlantFault("power_loss", value=5.0))
    plant.advance(ActuatorCommand(hook_motor_v=(28.0, 28.0)), 20_000)
    frame = plant.sense()
    assert frame.hook_motor_speed_rad_s[0] == pytest.approx(0.0, abs=3.0)
    assert max(abs(a - b) for a, b in zip(frame.hook_pos, before, strict=True)) < 0.01
