"""``dockhil suite``: many scenarios in parallel, a summary, a non-zero exit when any fails."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SHORT = """
name = "{name}"
duration_s = 6.0
[initial]
distance_m = 0.2
[[commands]]
t_s = 0.0
command = "dock"
[[expect]]
reached = "{reached}"
"""


def test_suite_runs_all_and_fails_when_one_fails(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "a.toml").write_text(SHORT.format(name="a", reached="BUFFERING"))
    (lib / "b.toml").write_text(SHORT.format(name="b", reached="MATED"))  # cannot in 6 s
    out = tmp_path / "out"
    p = subprocess.run(
        [sys.executable, "-m", "hil.cli", "suite", str(lib), "--out", str(out), "-q", "-j", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 1, p.stdout + p.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert [(r["scenario"], r["outcome"]) for r in summary] == [("a", "PASS"), ("b", "FAIL")]
    assert (out / "a" / "result.json").is_file()
    assert (out / "b" / "report.html").is_file()
    assert (out / "junit.xml").is_file()
    assert "1/2 passed" in p.stdout


def test_suite_writes_an_index_linking_each_report_and_no_report_skips_them(
    tmp_path: Path,
) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "a.toml").write_text(SHORT.format(name="a", reached="MATED").replace("6.0", "2.0"))
    for flag, out in (([], tmp_path / "with"), (["--no-report"], tmp_path / "without")):
        p = subprocess.run(
            [sys.executable, "-m", "hil.cli", "suite", str(lib), "--out", str(out), "-q", *flag],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert p.returncode == 1, p.stdout + p.stderr  # "reached MATED" cannot in 2 s
        index = (out / "index.html").read_text()
        assert "0/1 passed" in index
        assert "FAIL" in index
        assert (out / "a" / "result.json").is_file()
        if flag:
            assert not (out / "a" / "report.html").exists()
            assert "a/report.html" not in index
        else:
            assert (out / "a" / "report.html").is_file()
            assert 'href="a/report.html"' in index


LONG = """
name = "{name}"
duration_s = {duration}
[initial]
distance_m = 0.2
[[commands]]
t_s = 0.0
command = "dock"
"""


def test_ctrl_c_stops_a_suite_and_keeps_what_ran(tmp_path: Path) -> None:
    """A real SIGINT to `dockhil suite`: it stops long before the runs would end, keeps the
    finished record, and writes summary, JUnit and index for what ran (exit 130)."""
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "a-short.toml").write_text(LONG.format(name="short", duration=1.0))
    # each long run holds mated for 5000 s simulated: about a minute of wall time or more
    for n in range(3):
        (lib / f"b-long{n}.toml").write_text(LONG.format(name=f"long{n}", duration=5000.0))
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "hil.cli", "suite", str(lib), "--out", str(out), "-q", "-j", "1"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 240.0
    while not (out / "short" / "result.json").is_file():  # the first run has ended
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the first run never finished"
        time.sleep(0.1)
    time.sleep(1.0)  # the second run is in its loop
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stdout + stderr
    summary = json.loads((out / "summary.json").read_text())
    outcomes = {r["scenario"]: r["outcome"] for r in summary}
    assert outcomes["short"] == "PASS"
    assert outcomes.get("long0") == "ABORTED"  # in flight: stopped, its record kept
    assert "long1" not in outcomes  # cancelled before it began
    assert "long2" not in outcomes
    assert (out / "long0" / "result.json").is_file()
    assert not (out / "long1").exists()
    junit = ET.parse(out / "junit.xml").getroot()
    assert [s.get("name") for s in junit.iter("testsuite")] == ["short", "long0"]
    assert "not run (interrupted)" in (out / "index.html").read_text()
    assert "interrupted" in stdout
    record = json.loads((out / "long0" / "result.json").read_text())
    assert record["sim_time_s"] < 5000.0  # cut short, not run to its end


def test_ctrl_c_during_the_first_compile_stops_a_suite_within_seconds(tmp_path: Path) -> None:
    """With an empty kernel cache the workers compile the plant for half a minute and cannot
    look at the stop flag; Ctrl-C still ends the suite within a few seconds (it ends them:
    they had recorded nothing), with exit 130 and an empty summary."""
    lib = tmp_path / "lib"
    lib.mkdir()
    for n in range(2):
        (lib / f"long{n}.toml").write_text(LONG.format(name=f"long{n}", duration=5000.0))
    out = tmp_path / "out"
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "hil.cli", "suite", str(lib), "--out", str(out), "-j", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(6.0)  # imports done, both workers deep in the compile (about 30 s)
    assert proc.poll() is None, proc.communicate()
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    took = time.monotonic() - sent
    assert proc.returncode == 130, stdout + stderr
    # the compile alone would take ~30 s more; ten seconds was the old drain wait
    assert took < 8.0, f"suite took {took:.1f} s to stop"
    assert json.loads((out / "summary.json").read_text()) == []
    assert "compiling the plant" in stdout + stderr
