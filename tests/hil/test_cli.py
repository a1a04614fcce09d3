"""The command line's front door: bare ``dockhil`` helps, ``--version`` answers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _dockhil(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hil.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_bare_dockhil_prints_help_and_exits_0() -> None:
    p = _dockhil()
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("usage: dockhil")
    for command in ("run", "suite", "validate", "compare", "report", "vmcu", "timing"):
        assert command in p.stdout
    assert p.stderr == ""


def test_version() -> None:
    from hil.provenance import dockhil_version

    p = _dockhil("--version")
    assert p.returncode == 0
    assert p.stdout.strip() == f"dockhil {dockhil_version()}"
    assert _dockhil("--no-such-option").returncode == 2  # a usage error stays one
