"""JUnit XML for CI: one test suite per run; one test case for the run and one per limit or check.

CI systems (GitLab, Jenkins, GitHub test reporters) show JUnit natively, so a
failing limit shows up as a named failing test with its value and limits.

* ``run``: the run itself, with its wall time (``time``), failing with
  ``error`` when the run ended ERROR or ABORTED;
* one case per measurement *with limits* and per check, each carrying its
  value, limits and units as ``<properties>`` whether it passed or failed
  (``time`` 0: they are judged after the run, from its record);
* measurements without limits are not tests: they are ``<properties>`` of the
  suite (``measurement.<name>``), so an all-green suite has no "skipped" noise.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

from hil.record import RunRecord


def _fmt(v: float | None) -> str:
    return "null" if v is None else f"{v:.6g}"


def _properties(parent: ET.Element, items: Iterable[tuple[str, str]]) -> None:
    props = ET.SubElement(parent, "properties")
    for k, v in items:
        ET.SubElement(props, "property", name=k, value=v)


def suite_element(record: RunRecord) -> ET.Element:
    classname = f"dockhil.{record.scenario}"
    run_case = ET.Element(
        "testcase", classname=classname, name="run", time=f"{record.wall_time_s:.3f}"
    )
    if record.outcome in ("ERROR", "ABORTED"):
        ET.SubElement(run_case, "error", message=f"{record.outcome}: {record.error or ''}")
    cases = [run_case]
    unlimited: list[tuple[str, str]] = []
    for m in record.measurements:
        if m.low is None and m.high is None:
            unlimited.append((f"measurement.{m.name}", f"{_fmt(m.value)} {m.units}".strip()))
            continue
        case = ET.Element("testcase", classname=classname, name=m.name, time="0.000")
        _properties(
            case,
            (
                ("value", _fmt(m.value)),
                ("units", m.units),
                ("low", _fmt(m.low)),
                ("high", _fmt(m.high)),
            ),
        )
        if m.outcome == "FAIL":
            ET.SubElement(
                case,
                "failure",
                message=f"{m.name} = {_fmt(m.value)} {m.units} outside "
                f"[{_fmt(m.low)}, {_fmt(m.high)}]",
            )
        cases.append(case)
    for c in record.checks:
        case = ET.Element("testcase", classname=classname, name=c.name, time="0.000")
        _properties(case, (("detail", c.detail),))
        if c.outcome == "FAIL":
            ET.SubElement(case, "failure", message=c.detail)
        cases.append(case)
    suite = ET.Element(
        "testsuite",
        name=record.scenario,
        tests=str(len(cases)),
        failures=str(sum(1 for c in cases if c.find("failure") is not None)),
        errors=str(sum(1 for c in cases if c.find("error") is not None)),
        skipped="0",
        time=f"{record.wall_time_s:.3f}",
    )
    _properties(
        suite,
        (
            ("hal", record.hal),
            ("seed", str(record.seed)),
            ("final_phase", record.final_phase),
            ("outcome", record.outcome),
            *unlimited,
        ),
    )
    suite.extend(cases)
    return suite


def write_junit(records: Iterable[RunRecord], path: Path) -> None:
    root = ET.Element("testsuites")
    root.extend(suite_element(r) for r in records)
    ET.indent(root)
    Path(path).write_bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))
