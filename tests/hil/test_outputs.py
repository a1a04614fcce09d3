"""Run outputs: telemetry round trip, the result record, JUnit, the report, interruptions."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from controller.types import ActuatorCommand, InitialConditions
from hil.output import write_run
from hil.runner import run
from hil.scenario import Expectation, Scenario, load_scenario
from hil.telemetry import COLUMNS, read_parquet, write_csv

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def short_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, dict[str, Path]]:
    scenario = Scenario(
        name="short",
        path="<test>",
        duration_s=8.0,
        initial=InitialConditions(distance_m=0.2, lateral_offset_m=(0.03, 0.0)),
        commands=(load_scenario(ROOT / "scenarios" / "nominal.toml").commands),
        expect=(Expectation(measurement="peak_axial_load_n", high=5000.0),),
    )
    result = run(scenario)
    paths = write_run(result, tmp_path_factory.mktemp("run"))
    return result, paths


def test_telemetry_round_trips(short_run: tuple[object, dict[str, Path]]) -> None:
    result, paths = short_run
    recorded = result.telemetry.columns()  # type: ignore[attr-defined]
    back = read_parquet(paths["telemetry"])
    assert set(back) == set(recorded)
    assert back["phase"] == recorded["phase"]
    for name in COLUMNS:
        np.testing.assert_array_equal(back[name], recorded[name], err_msg=name)
    assert len(back["t_s"]) == 801  # t = 0.00 .. 8.00 s at 10 ms
    contract = {
        "t_s",
        "phase",
        "axial_load_n",
        "lateral_load_n",
        "energy_kinetic_j",
        "energy_dissipated_j",
        "seal_pressure_pa",
    }
    contract |= {f"rel_{q}_{a}" for q in ("pos_m", "vel_m_s", "angle_rad") for a in "xyz"}
    contract |= {f"latch_{k}" for k in range(6)} | {f"hook_pos_{k}" for k in range(12)}
    assert contract <= set(back)


def test_csv_export_matches(short_run: tuple[object, dict[str, Path]], tmp_path: Path) -> None:
    result, _ = short_run
    cols = result.telemetry.columns()  # type: ignore[attr-defined]
    write_csv(cols, tmp_path / "t.csv")
    lines = (tmp_path / "t.csv").read_text().splitlines()
    assert lines[0].split(",")[:2] == ["t_s", "rel_pos_m_x"]
    assert len(lines) == 802
    row = lines[500].split(",")
    assert float(row[0]) == cols["t_s"][499]


def test_result_record_follows_the_contract(short_run: tuple[object, dict[str, Path]]) -> None:
    _, paths = short_run
    rec = json.loads(paths["result"].read_text())
    for key in (
        "scenario",
        "hal",
        "seed",
        "outcome",
        "final_phase",
        "phases",
        "events",
        "measurements",
        "timing",
        "link",
        "versions",
    ):
        assert key in rec, key
    assert rec["outcome"] in ("PASS", "FAIL", "ERROR", "ABORTED")
    names = {m["name"] for m in rec["measurements"]}
    assert {
        "contact_closing_speed_m_s",
        "capture_time_after_contact_s",
        "peak_axial_load_n",
        "peak_lateral_load_n",
        "energy_dissipated_fraction_10s",
        "residual_rel_speed_m_s",
        "hook_sync_spread_max",
        "hook_preload_min_n",
        "contact_to_hard_lock_s",
    } <= names
    by_name = {m["name"]: m for m in rec["measurements"]}
    assert by_name["contact_to_hard_lock_s"]["value"] is None  # never got there: null
    assert by_name["peak_axial_load_n"]["high"] == 5000.0
    assert rec["phases"][0]["phase"].split(".")[0] == "READY"
    assert rec["timing"]["exec_us"]["p99"] > 0


def test_junit_and_report(short_run: tuple[object, dict[str, Path]]) -> None:
    _, paths = short_run
    suite = ET.parse(paths["junit"]).getroot().find("testsuite")
    assert suite is not None
    names = [c.get("name") for c in suite.iter("testcase")]
    assert "peak_axial_load_n" in names
    for png in ("phases", "motion", "loads", "energy", "hooks", "seals", "timing"):
        assert (paths["report"].parent / f"{png}.png").is_file(), png
    html = paths["report"].read_text()
    assert html.count("data:image/png;base64,") >= 6
    assert "peak_axial_load_n" in html


def test_ctrl_c_leaves_an_aborted_record_and_the_telemetry(tmp_path: Path) -> None:
    from hil.backends import open_hal

    hal = open_hal("sim://")  # compiles (or loads) the plant's kernels into numba's disk cache,
    hal.write(ActuatorCommand())  # so the child below starts its loop within a second or two
    hal.close()
    # the nominal docking held mated for an hour: long enough that SIGINT lands in the loop
    text = (ROOT / "scenarios" / "nominal.toml").read_text()
    text = text.replace('stop_on_phase = ["MATED"]', "").replace(
        "duration_s = 1500", "duration_s = 3600"
    )
    long_run = tmp_path / "long.toml"
    long_run.write_text(text)
    out = tmp_path / "run"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hil.cli",
            "run",
            str(long_run),
            "--out",
            str(out),
            "-q",
        ],
        cwd=ROOT,
    )
    # into the loop: the streamed telemetry's first row group is on disk (a loaded CI
    # machine can take many seconds to import and load the JIT cache)
    deadline = time.monotonic() + 120.0
    while not list(tmp_path.glob(".run.tmp-*/telemetry.parquet")):
        assert proc.poll() is None, "the run ended before it was interrupted"
        assert time.monotonic() < deadline, "the run never started streaming telemetry"
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 1
    rec = json.loads((out / "result.json").read_text())
    assert rec["outcome"] == "ABORTED"
    assert "Ctrl-C" in rec["error"]
    cols = read_parquet(out / "telemetry.parquet")
    assert len(cols["t_s"]) > 0
    assert cols["t_s"][-1] == pytest.approx(rec["sim_time_s"], abs=0.011)


def test_determinism_same_seed_bit_identical() -> None:
    scenario = dataclasses.replace(
        load_scenario(ROOT / "scenarios" / "nominal.toml"), duration_s=6.0, stop_on_phase=()
    )
    a = run(scenario).telemetry.columns()
    b = run(scenario).telemetry.columns()
    c = run(scenario, seed=99).telemetry.columns()
    for name in COLUMNS:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    assert not np.array_equal(a["axial_load_n"], c["axial_load_n"])  # noise differs


def test_cli_errors_are_one_line_with_exit_code_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nduration_s = 10\n[initial]\nclosing_speed_m_s = "fast"\n')
    cases = [
        ["run", str(bad)],
        ["run", str(tmp_path / "missing.toml")],
        ["run", str(ROOT / "scenarios" / "nominal.toml"), "--hal", "nope://x"],
        ["report", str(tmp_path)],
    ]
    for args in cases:
        p = subprocess.run(
            [sys.executable, "-m", "hil.cli", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            env=dict(os.environ),
        )
        assert p.returncode == 2, (args, p.stderr)
        lines = p.stderr.strip().splitlines()
        assert len(lines) == 1, p.stderr
        assert lines[0].startswith("dockhil: error:"), p.stderr
        assert "Traceback" not in p.stderr
    p = subprocess.run(
        [sys.executable, "-m", "hil.cli", "run", str(bad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "initial.closing_speed_m_s" in p.stderr
    assert str(bad) in p.stderr


def test_record_is_traceable(tmp_path: Path) -> None:
    """Start time, host, version, commit, and digests that change when the file does."""
    import hashlib

    from hil.provenance import git_commit

    text = (ROOT / "scenarios" / "nominal.toml").read_text().replace("1500", "3")
    path = tmp_path / "s.toml"
    path.write_text(text)
    rec = run(load_scenario(path)).record
    assert rec.started_utc.endswith("Z")
    assert rec.started_utc[:4] == time.strftime("%Y", time.gmtime())
    assert rec.host
    assert rec.versions["dockhil"]
    assert rec.scenario_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    preset = ROOT / "sim_bridge" / "presets" / "cn-10t-100t.toml"
    assert rec.preset_sha256 == hashlib.sha256(preset.read_bytes()).hexdigest()
    path.write_text(text + "\n# one more line\n")
    assert run(load_scenario(path)).record.scenario_sha256 != rec.scenario_sha256
    if (ROOT / ".git").exists():
        assert rec.git_commit is not None
        assert len(rec.git_commit.removesuffix("-dirty")) == 40
    assert git_commit(tmp_path) is None  # not a checkout


def test_parquet_carries_units_and_the_scenario(
    short_run: tuple[object, dict[str, Path]],
) -> None:
    from hil.telemetry import column_units, read_metadata

    meta = read_metadata(short_run[1]["telemetry"])
    units = json.loads(meta["dockhil.units"])
    assert units["axial_load_n"] == "N"
    assert units["rel_vel_m_s_x"] == "m/s"
    assert units["hook_pos_3"] == "1"
    assert all(units[c] for c in COLUMNS), [c for c in COLUMNS if not units[c]]
    assert column_units("cmd_chaser_thrust") == ""  # a name without a unit is caught above
    scenario = json.loads(meta["dockhil.scenario"])
    assert scenario["name"] == "short"
    assert scenario["initial"]["distance_m"] == 0.2
    assert scenario["expect"][0]["high"] == 5000.0


def test_compile_message_is_due_only_without_the_kernel_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hil.startup import plant_compile_pending

    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    assert plant_compile_pending("sim://")  # an empty cache: the next run compiles
    assert plant_compile_pending("vmcu://")
    assert not plant_compile_pending("/dev/ttyACM0")  # a bench runs no plant here
    cache = tmp_path / "_kernel_0123abcd"  # numba's name for the package's cache folder
    cache.mkdir()
    (cache / "step.advance-290.py311.nbi").write_bytes(b"")
    assert not plant_compile_pending("sim://")
