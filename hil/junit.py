"""JUnit XML for CI: one test suite per run, one test case per measurement or check.

CI systems (GitLab, Jenkins, GitHub test reporters) show JUnit natively, so a
failing limit shows up as a named failing test with its value and limits.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

from hil.record import RunRecord


def suite_element(record: RunRecord) -> ET.Element:
    cases: list[ET.Element] = []
    for m in record.measurements:
        case = ET.Element("testcase", classname=f"dockhil.{record.scenario}", name=m.name)
        if m.outcome == "FAIL":
            value = "null" if m.value is None else f"{m.value:.6g}"
            ET.SubElement(
                case, "failure", message=f"{m.name} = {value} {m.units} outside [{m.low}, {m.high}]"
            )
        elif m.outcome == "UNSET":
            ET.SubElement(case, "skipped", message="no limits in the scenario")
        cases.append(case)
    for c in record.checks:
        case = ET.Element("testcase", classname=f"dockhil.{record.scenario}", name=c.name)
        if c.outcome == "FAIL":
            ET.SubElement(case, "failure", message=c.detail)
        cases.append(case)
    if record.outcome in ("ERROR", "ABORTED"):
        case = ET.Element("testcase", classname=f"dockhil.{record.scenario}", name="run")
        ET.SubElement(case, "error", message=f"{record.outcome}: {record.error or ''}")
        cases.append(case)
    suite = ET.Element(
        "testsuite",
        name=record.scenario,
        tests=str(len(cases)),
        failures=str(sum(1 for c in cases if c.find("failure") is not None)),
        errors=str(sum(1 for c in cases if c.find("error") is not None)),
        skipped=str(sum(1 for c in cases if c.find("skipped") is not None)),
        time=f"{record.wall_time_s:.3f}",
    )
    props = ET.SubElement(suite, "properties")
    for k, v in (
        ("hal", record.hal),
        ("seed", str(record.seed)),
        ("final_phase", record.final_phase),
        ("outcome", record.outcome),
    ):
        ET.SubElement(props, "property", name=k, value=v)
    suite.extend(cases)
    return suite


def write_junit(records: Iterable[RunRecord], path: Path) -> None:
    root = ET.Element("testsuites")
    root.extend(suite_element(r) for r in records)
    ET.indent(root)
    Path(path).write_bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))
