"""Report renderers: JSON (the issue's output contract), JUnit XML for CI, text for people."""

from __future__ import annotations

from collections.abc import Sequence
from xml.etree import ElementTree as ET

from preservation.display import json_dumps, shown
from preservation.validate.api import BagReport
from preservation.validate.findings import Finding

_COLOURS = {"error": "\033[31m", "warning": "\033[33m", "info": "\033[36m"}
_RESET = "\033[0m"


def _finding_json(finding: Finding) -> dict[str, str]:
    item = {"code": finding.code, "severity": finding.severity, "message": finding.message}
    if finding.file is not None:
        item["file"] = finding.file
    return item


def render_json(reports: Sequence[BagReport], strict: bool = False) -> str:
    document = {
        "bags": [
            {"path": r.path, "valid": r.passes(strict), "findings": [_finding_json(f) for f in r.findings]}
            for r in reports
        ]
    }
    return json_dumps(document) + "\n"


def render_junit(reports: Sequence[BagReport], strict: bool = False) -> str:
    """One testsuite per bag, one testcase per family of checks; failures carry that family's findings.

    Names and messages are `shown`: XML 1.0 cannot carry controls or lone surrogates at all."""
    suites = ET.Element("testsuites", name="preservation validate")
    for report in reports:
        suite = ET.SubElement(suites, "testsuite", name=shown(report.path))
        failed = 0
        for family in report.families:
            case = ET.SubElement(suite, "testcase", classname=shown(report.path), name=family)
            found = [f for f in report.findings if f.family == family]
            failing = [f for f in found if f.severity == "error" or (strict and f.severity == "warning")]
            if failing:
                failed += 1
                failure = ET.SubElement(case, "failure", type=failing[0].code, message=_line(failing[0]))
                failure.text = "\n".join(_line(f) for f in failing)
            others = [f for f in found if f not in failing]
            if others:
                ET.SubElement(case, "system-out").text = "\n".join(_line(f) for f in others)
        suite.set("tests", str(len(report.families)))
        suite.set("failures", str(failed))
        suite.set("errors", "0")
    suites.set("tests", str(sum(len(r.families) for r in reports)))
    suites.set("failures", str(sum(int(s.get("failures", "0")) for s in suites)))
    # Declared UTF-8 whatever the locale (encoding="unicode" declares the locale's), and written so.
    return ET.tostring(suites, encoding="UTF-8", xml_declaration=True).decode() + "\n"


def _line(finding: Finding) -> str:
    where = f"{shown(finding.file)}: " if finding.file else ""
    return f"{finding.severity} {finding.code} {where}{shown(finding.message)}"


def render_text(reports: Sequence[BagReport], strict: bool = False, colour: bool = False) -> str:
    lines: list[str] = []
    for report in reports:
        verdict = "valid" if report.passes(strict) else "INVALID"
        lines.append(f"{shown(report.path)} ({report.serialization}): {verdict}")
        for finding in report.findings:
            severity: str = finding.severity
            if colour:
                severity = f"{_COLOURS[finding.severity]}{severity}{_RESET}"
            where = f"{shown(finding.file)}: " if finding.file else ""
            lines.append(f"  {severity} [{finding.code}] {where}{shown(finding.message)}")
    return "\n".join(lines) + "\n"
