"""``dockhil conform`` against the virtual microcontroller: a good device passes every
clause, a device with its watchdog switched off fails the watchdog clauses and only those."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from hil.cli import main
from hil.conform import CLAUSES, run_conformance


@pytest.mark.slow
def test_the_virtual_device_meets_every_clause(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit = tmp_path / "conform.xml"
    code = main(["conform", "--hal", "vmcu://", "--junit", str(junit)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert " 0 failed" in out, out
    suite = ET.parse(junit).getroot()
    assert suite.get("tests") == str(len(CLAUSES))
    assert suite.get("failures") == "0"
    names = [c.get("name", "").split()[0] for c in suite.iter("testcase")]
    assert names == [c.clause for c in CLAUSES]
    assert "(sim)" in out  # the simulation-only clauses are marked


@pytest.mark.slow
def test_a_device_without_watchdog_fails_the_watchdog_clauses_only(tmp_path: Path) -> None:
    rows = run_conformance("vmcu://?watchdog=0")
    failed = {r.clause for r in rows if r.status == "FAIL"}
    assert failed == {"DEV-WDG-1", "DEV-WDG-3"}, [(r.clause, r.detail) for r in rows]
    wdg = next(r for r in rows if r.clause == "DEV-WDG-1")
    assert "WATCHDOG_TRIP" in wdg.detail
    assert wdg.seen  # the bytes seen are shown
    junit = tmp_path / "broken.xml"
    code = main(["conform", "--hal", "vmcu://?watchdog=0", "--junit", str(junit)])
    assert code == 1
    failures = [
        c for c in ET.parse(junit).getroot().iter("testcase") if c.find("failure") is not None
    ]
    assert sorted(c.get("name", "").split()[0] for c in failures) == ["DEV-WDG-1", "DEV-WDG-3"]


def test_conform_refuses_a_url_it_cannot_open(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conform", "--hal", "sim://"]) == 2
    assert "cannot open" in capsys.readouterr().err
