"""JUnit content: value and limits on every limited case, run time, no skipped noise."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from hil.junit import write_junit
from hil.record import Check, Measurement, Outcome, RunRecord


def _record(outcome: Outcome = Outcome.PASS, peak: float = 2673.0) -> RunRecord:
    rec = RunRecord(scenario="n", hal="sim://", seed=1, outcome=outcome, wall_time_s=2.5)
    verdict = Outcome.PASS if peak <= 5000.0 else Outcome.FAIL
    rec.measurements = [
        Measurement("peak_axial_load_n", peak, "N", None, 5000.0, verdict),
        Measurement("contact_closing_speed_m_s", 0.1005, "m/s"),
    ]
    rec.checks = [Check("final_phase in MATED", Outcome.PASS, "final phase MATED")]
    return rec


def _suite(tmp_path: Path, rec: RunRecord) -> ET.Element:
    write_junit([rec], tmp_path / "j.xml")
    suite = ET.parse(tmp_path / "j.xml").getroot().find("testsuite")
    assert suite is not None
    return suite


def _props(el: ET.Element) -> dict[str, str]:
    props = el.find("properties")
    assert props is not None
    return {p.get("name", ""): p.get("value", "") for p in props.findall("property")}


def test_passing_case_carries_value_limits_and_the_run_its_time(tmp_path: Path) -> None:
    suite = _suite(tmp_path, _record())
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert set(cases) == {"run", "peak_axial_load_n", "final_phase in MATED"}
    assert cases["run"].get("time") == "2.500"
    assert all(c.get("time") is not None for c in cases.values())
    assert _props(cases["peak_axial_load_n"]) == {
        "value": "2673",
        "units": "N",
        "low": "null",
        "high": "5000",
    }
    assert cases["peak_axial_load_n"].find("failure") is None
    # a measurement without limits is a property of the suite, not a skipped test
    assert suite.get("skipped") == "0"
    assert not list(suite.iter("skipped"))
    assert _props(suite)["measurement.contact_closing_speed_m_s"] == "0.1005 m/s"


def test_failing_limit_and_aborted_run_show_as_failure_and_error(tmp_path: Path) -> None:
    suite = _suite(tmp_path, _record(Outcome.ABORTED, peak=6100.0))
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    failure = cases["peak_axial_load_n"].find("failure")
    assert failure is not None
    assert "6100 N outside [null, 5000]" in failure.get("message", "")
    assert cases["run"].find("error") is not None
    assert (suite.get("failures"), suite.get("errors")) == ("1", "1")
