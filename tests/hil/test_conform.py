"""``dockhil conform`` against the virtual microcontroller: a good device passes every
clause, a device with its watchdog switched off fails the watchdog clauses and only those.

The clauses that count wall time judge the device process, which a loaded machine
(these tests run beside the rest of the suite) can make late: a run whose failures
are not the expected ones is repeated once, and the second run decides.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from hil.cli import main
from hil.conform import CLAUSES, Row, run_conformance


def _conform(url: str, expected: set[str]) -> list[Row]:
    """``run_conformance(url)``, once more if it failed other clauses than ``expected``."""
    rows = run_conformance(url)
    if {r.clause for r in rows if r.status == "FAIL"} != expected:
        rows = run_conformance(url)
    return rows


@pytest.mark.slow
def test_the_virtual_device_meets_every_clause(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit = tmp_path / "conform.xml"
    code = main(["conform", "--hal", "vmcu://", "--junit", str(junit)])
    out = capsys.readouterr().out
    if code != 0:  # once more (module docstring)
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
    rows = _conform("vmcu://?watchdog=0", {"DEV-WDG-1", "DEV-WDG-3"})
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
    # (the exact set is asserted above, with the retry; here: the XML carries them)
    assert {"DEV-WDG-1", "DEV-WDG-3"} <= {c.get("name", "").split()[0] for c in failures}


def test_conform_refuses_a_url_it_cannot_open(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conform", "--hal", "sim://"]) == 2
    assert "cannot open" in capsys.readouterr().err


@pytest.mark.slow
def test_a_device_without_the_flush_fails_the_flush_clauses_only() -> None:
    """A lockstep device is silent between heartbeats: DEV-FRM-2 sees many pauses."""
    good = {r.clause: r.status for r in _conform("vmcu://?realtime=0", set())}
    assert "FAIL" not in good.values(), good
    assert good["DEV-FRM-2"] == "PASS"
    rows = _conform("vmcu://?realtime=0&flush=0", {"DEV-BOOT-1", "DEV-FRM-2"})
    failed = {r.clause for r in rows if r.status == "FAIL"}
    assert failed == {"DEV-BOOT-1", "DEV-FRM-2"}, [(r.clause, r.detail) for r in rows]
