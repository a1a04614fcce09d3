"""Timing figures come with the host's floor; ``--max-missed`` gates; a closed pipe is quiet.

Nothing here asserts a real timing figure (the machines are shared): the floor
and gate logic run under a fake clock or on a synthetic summary, and the real
short runs check only that the figures are reported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import hil.runner
import hil.timing
from controller.types import InitialConditions
from hil import cli
from hil.realtime import SchedulerRequest, above_floor, measure_floor
from hil.runner import run
from hil.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parents[2]


class StallingClock:
    """A fake monotonic clock whose sleeps overshoot by two periods every ``every`` wakes."""

    def __init__(self, period_ns: int, every: int) -> None:
        self.ns = 10**9
        self.period_ns = period_ns
        self.every = every
        self.sleeps = 0

    def clock(self) -> int:
        return self.ns

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        self.ns += round(seconds * 1e9) + 1_000  # 1 us of ordinary lateness
        if self.sleeps % self.every == 0:
            self.ns += 2 * self.period_ns  # a stall: this wake is two periods late


def test_floor_counts_the_hosts_misses_and_lateness() -> None:
    clk = StallingClock(period_ns=1_000_000, every=10)
    floor = measure_floor(1e-3, 1.0, clock_ns=clk.clock, sleep=clk.sleep)
    # one stall in ten wakes costs two deadlines each: 2 missed per 11 expected
    assert floor["missed_fraction"] == pytest.approx(2 / 12, abs=0.02)
    assert floor["lateness_us"]["p50"] == pytest.approx(1.0)
    assert floor["lateness_us"]["max"] >= 2000.0


def test_a_quiet_host_has_a_clean_floor() -> None:
    clk = StallingClock(period_ns=1_000_000, every=10**9)
    floor = measure_floor(1e-3, 0.5, clock_ns=clk.clock, sleep=clk.sleep)
    assert floor["missed_cycles"] == 0
    assert floor["cycles"] >= 490


def test_above_floor_is_loop_minus_floor() -> None:
    q = {"p50": 10.0, "p99": 100.0, "p999": 300.0, "max": 900.0}
    loop = {"missed_fraction": 0.03, "lateness_us": q}
    floor = {
        "missed_fraction": 0.01,
        "lateness_us": {"p50": 8.0, "p99": 40.0, "p999": 300.0, "max": 1.0},
    }
    above = above_floor(loop, floor)
    assert above["missed_pp"] == pytest.approx(2.0)
    assert above["lateness_p99_us"] == pytest.approx(60.0)
    assert above["lateness_p999_us"] == pytest.approx(0.0)


def _summary(missed: float) -> dict[str, Any]:
    q = {"p50": 1.0, "p99": 2.0, "p999": 3.0, "max": 4.0}
    floor = {"seconds": 1.0, "cycles": 990, "missed_cycles": 10, "missed_fraction": 0.01}
    return {
        "hal": "fake://",
        "cycles": 1000,
        "wall_s": 1.0,
        "rate_hz_target": 1000.0,
        "rate_hz_achieved": 1000.0,
        "rate_hz_executed": 990.0,
        "missed_cycles": round(missed * 1000),
        "missed_fraction": missed,
        "overruns": 1,
        "exec_us": q,
        "lateness_us": q,
        "period_us": q,
        "latency_us": q,
        "floor": {**floor, "lateness_us": q},
        "above_floor": {"missed_pp": (missed - 0.01) * 100, "lateness_p99_us": 0.0},
        "scheduler": {"requested": {}, "granted": {}, "messages": []},
    }


@pytest.mark.parametrize(("missed", "code"), [(0.02, 1), (0.005, 0)])
def test_max_missed_sets_the_exit_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], missed: float, code: int
) -> None:
    monkeypatch.setattr(hil.timing, "measure", lambda *a, **k: _summary(missed))
    assert cli.main(["timing", "--max-missed", "0.01"]) == code
    out, err = capsys.readouterr()
    assert "floor" in out
    if code:
        assert "more than --max-missed 1 %" in err
        assert "floor missed 1.000 %" in err


@pytest.mark.parametrize(
    "args",
    [["--rate", "nan"], ["--rate", "-5"], ["--seconds", "inf"], ["--max-missed", "2"]],
)
def test_bad_timing_options_are_usage_errors(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["timing", *args]) == 2
    assert capsys.readouterr().err.startswith("dockhil: error: --")


def test_timing_json_reports_the_floor_beside_the_loop(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["timing", "--json", "--rate", "200", "--seconds", "0.3", "--floor-seconds", "0.2"]
    assert cli.main(args) in (0, 1)
    s = json.loads(capsys.readouterr().out)
    assert s["floor"]["cycles"] + s["floor"]["missed_cycles"] >= 30
    assert set(s["floor"]["lateness_us"]) == {"p50", "p99", "p999", "max"}
    assert "missed_pp" in s["above_floor"]
    assert s["cycles"] > 0


def test_timing_into_a_closed_pipe_ends_quietly() -> None:
    """``dockhil timing --json | head`` with the reader gone before the write."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hil.cli",
            "timing",
            "--json",
            "--rate",
            "200",
            "--seconds",
            "0.2",
            "--floor-seconds",
            "0.1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    proc.stdout.close()  # the reader is gone before anything is written
    err = proc.stderr.read().decode()
    code = proc.wait(timeout=120)
    assert "Traceback" not in err, err
    assert "Exception ignored" not in err, err
    assert code == 141


def test_a_realtime_run_records_its_floor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hil.runner, "FLOOR_SECONDS", 0.2)
    scenario = Scenario(
        name="rt",
        path="<test>",
        duration_s=0.3,
        initial=InitialConditions(distance_m=0.3),
        commands=load_scenario(ROOT / "scenarios" / "nominal.toml").commands,
    )
    rec = run(scenario, realtime=SchedulerRequest()).record
    timing = rec.timing
    assert timing["mode"] == "realtime"
    assert timing["floor"]["seconds"] == 0.2
    assert timing["above_floor"]["missed_pp"] == pytest.approx(
        (timing["missed_fraction"] - timing["floor"]["missed_fraction"]) * 100
    )


def test_the_report_shows_the_floor_beside_the_loop() -> None:
    from hil.report import render_html

    timing = _summary(0.02)
    timing["mode"] = "realtime"
    html = render_html({"scenario": "x", "outcome": "PASS", "timing": timing}, {})
    assert "floor lateness" in html
    assert "host floor (a bare loop on the same deadlines, 1 s): missed 1.000 %" in html
    assert "1 percentage points missed" in html
    lockstep = {"mode": "lockstep", "cycles": 10, "exec_us": timing["exec_us"]}
    html = render_html({"scenario": "x", "outcome": "PASS", "timing": lockstep}, {})
    assert "host floor" not in html
    assert "no link (in-process backend)" in html
