"""``dockhil suite``: many scenarios in parallel, a summary, a non-zero exit when any fails."""

from __future__ import annotations

import json
import subprocess
import sys
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
