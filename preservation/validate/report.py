"""Report renderers: JSON (the issue's output contract), JUnit XML, GitHub workflow annotations, SARIF and a
Markdown summary for CI, text for people."""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import quote

import preservation
from preservation import SOFTWARE_NAME
from preservation.display import json_dumps, shown
from preservation.validate.api import BagReport
from preservation.validate.findings import SEVERITIES, Finding, catalogue, counted, decimal, message, words

_COLOURS = {"error": "\033[31m", "warning": "\033[33m", "info": "\033[36m"}
_RESET = "\033[0m"


def _finding_json(finding: Finding) -> dict[str, str]:
    item = {"code": finding.code, "severity": finding.severity, "message": finding.message}
    if finding.file is not None:
        item["file"] = finding.file
    return item


def render_json(reports: Sequence[BagReport], strict: bool = False, language: str = "en") -> str:
    """The output contract for programs: codes with the English message, whatever `language` says."""
    document = {
        "bags": [
            {"path": r.path, "valid": r.passes(strict), "findings": [_finding_json(f) for f in r.findings]}
            for r in reports
        ]
    }
    return json_dumps(document) + "\n"


def render_junit(reports: Sequence[BagReport], strict: bool = False, language: str = "en") -> str:
    """One testsuite per bag, one testcase per family of checks; failures carry that family's findings
    (messages in `language`; names, codes and severities as they are, for the CI server).

    Names and messages are `shown`: XML 1.0 cannot carry controls or lone surrogates at all."""
    from xml.etree import ElementTree as ET  # here: only this format needs it

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
                said = _line(failing[0], language)
                failure = ET.SubElement(case, "failure", type=failing[0].code, message=said)
                failure.text = "\n".join(_line(f, language) for f in failing)
            others = [f for f in found if f not in failing]
            if others:
                ET.SubElement(case, "system-out").text = "\n".join(_line(f, language) for f in others)
        suite.set("tests", str(len(report.families)))
        suite.set("failures", str(failed))
        suite.set("errors", "0")
    suites.set("tests", str(sum(len(r.families) for r in reports)))
    suites.set("failures", str(sum(int(s.get("failures", "0")) for s in suites)))
    # Declared UTF-8 whatever the locale (encoding="unicode" declares the locale's), and written so.
    return ET.tostring(suites, encoding="UTF-8", xml_declaration=True).decode() + "\n"


def _line(finding: Finding, language: str = "en") -> str:
    severity = dict(zip(SEVERITIES, words("cli.severities", language), strict=True))[finding.severity]
    where = f"{shown(finding.file)}: " if finding.file else ""
    return f"{severity} {finding.code} {where}{shown(finding.text(language))}"


def render_text(
    reports: Sequence[BagReport], strict: bool = False, language: str = "en", *, colour: bool = False
) -> str:
    valid, invalid = words("cli.validate.verdicts", language)
    severities = dict(zip(SEVERITIES, words("cli.severities", language), strict=True))
    lines: list[str] = []
    for report in reports:
        verdict = valid if report.passes(strict) else invalid
        lines.append(f"{shown(report.path)} ({report.serialization}): {verdict}")
        for finding in report.findings:
            severity = severities[finding.severity]
            if colour:
                severity = f"{_COLOURS[finding.severity]}{severity}{_RESET}"
            where = f"{shown(finding.file)}: " if finding.file else ""
            lines.append(f"  {severity} [{finding.code}] {where}{shown(finding.text(language))}")
    return "".join(f"{line}\n" for line in lines)


def summary_line(reports: Sequence[BagReport], strict: bool, seconds: float, language: str = "en") -> str:
    """One line for the end of a run: how many bags passed clean, passed with warnings, failed."""
    failed = sum(not r.passes(strict) for r in reports)
    warned = sum(r.passes(strict) and any(f.severity == "warning" for f in r.findings) for r in reports)
    clean = len(reports) - failed - warned
    said = message(
        "cli.validate.summary",
        language,
        bags=counted("report.bags", len(reports), language),
        valid=clean,
        warned=warned,
        invalid=failed,
        seconds=decimal(seconds, language),
    )
    return said + "\n"


def _level(finding: Finding, strict: bool) -> str:
    """How much a finding counts in this run: with --strict a warning fails its bag, so it is an error."""
    if strict and finding.severity == "warning":
        return "error"
    return finding.severity


def _location(report: BagReport, finding: Finding) -> str:
    """The file a finding is about as a path from where validate ran: inside a bag folder, the file; for a
    serialized bag, the archive itself (its members are no files of the checkout)."""
    if finding.file and report.serialization == "directory":
        return f"{report.path.rstrip('/')}/{finding.file}"  # as named: no path normalises 'a//b' away
    return report.path


def _text(report: BagReport, finding: Finding, language: str = "en") -> str:
    """A finding's message naming its bag and file, for formats whose location is only the file."""
    inside = f"{finding.file}: " if finding.file else ""
    return f"{report.path}: {inside}{finding.text(language)}"


def _line_number(finding: Finding) -> int | None:
    """The line of a tag file a finding is about, when the catalogue's message names one."""
    line = dict(finding.params).get("line", "")
    return int(line) if line.isascii() and line.isdigit() and int(line) > 0 else None


_ANNOTATION = {"error": "error", "warning": "warning", "info": "notice"}


def _workflow_data(text: str) -> str:
    """GitHub's escaping of a workflow command's message (actions/toolkit, command.ts `escapeData`)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _workflow_property(text: str) -> str:
    """GitHub's escaping of a workflow command's property value (`escapeProperty`): also ':' and ','."""
    return _workflow_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(reports: Sequence[BagReport], strict: bool = False, language: str = "en") -> str:
    """A GitHub Actions workflow command per finding (``::error file=…,title=…::message``, the message in
    `language`), which the runner shows on the file in the pull request and the job's annotations."""
    lines: list[str] = []
    for report in reports:
        for finding in report.findings:
            properties = [f"file={_workflow_property(shown(_location(report, finding)))}"]
            line = _line_number(finding)
            if line is not None and report.serialization == "directory":
                properties.append(f"line={line}")
            properties.append(f"title={_workflow_property(finding.code)}")
            command = _ANNOTATION[_level(finding, strict)]
            said = _workflow_data(shown(_text(report, finding, language)))
            lines.append(f"::{command} {','.join(properties)}::{said}")
    return "".join(f"{line}\n" for line in lines)


SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def _uri(path: str) -> str:
    """A path as a URI reference; a byte that was not UTF-8 is percent-encoded as it was on disk."""
    return quote(path, safe="/", errors="surrogateescape")


def render_sarif(reports: Sequence[BagReport], strict: bool = False, language: str = "en") -> str:
    """SARIF 2.1.0 for code-scanning dashboards: one run, its rules the finding catalogue (English message
    as description, German in the rule's properties), one result per finding (German in its properties).
    Language-neutral: `language` is taken for the renderers' common signature and not used."""
    entries = list(catalogue().values())
    index = {entry.code: i for i, entry in enumerate(entries)}
    rules = [
        {
            "id": entry.code,
            "shortDescription": {"text": entry.en},
            "defaultConfiguration": {"level": _SARIF_LEVEL[entry.severity]},
            "properties": {"family": entry.family, "tags": [entry.family], "message-de": entry.de},
        }
        for entry in entries
    ]
    results = []
    for report in reports:
        for finding in report.findings:
            location: dict[str, object] = {"artifactLocation": {"uri": _uri(_location(report, finding))}}
            line = _line_number(finding)
            if line is not None and report.serialization == "directory":
                location["region"] = {"startLine": line}
            results.append(
                {
                    "ruleId": finding.code,
                    "ruleIndex": index[finding.code],
                    "level": _SARIF_LEVEL[_level(finding, strict)],
                    "message": {"text": _text(report, finding)},
                    "locations": [{"physicalLocation": location}],
                    "properties": {"message-de": _text(report, finding, "de")},
                }
            )
    # read here, not on import: importlib.metadata costs every other format ~10 ms
    driver = {"name": SOFTWARE_NAME, "version": preservation.__version__, "rules": rules}
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "results": results}],
    }
    return json_dumps(document) + "\n"


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~&=:\"'$^])")


def _md(value: object) -> str:
    """Untrusted text in Markdown: shown, then every ASCII punctuation Markdown (or GitHub's HTML in it)
    could act on backslash-escaped (CommonMark escapes any ASCII punctuation), so a name cannot add a
    link, an image, a table column or markup."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", shown(value))


def render_markdown(reports: Sequence[BagReport], strict: bool = False, language: str = "en") -> str:
    """A job summary (GitHub's $GITHUB_STEP_SUMMARY, any Markdown viewer): a table of the bags, then the
    findings of each bag that has any."""
    failed = sum(not r.passes(strict) for r in reports)
    head = (
        message("cli.validate.some-invalid", language, invalid=failed, bags=len(reports))
        if failed
        else message("cli.validate.all-valid", language)
    )
    valid, invalid = words("cli.validate.verdicts", language)
    severities: dict[str, str] = dict(zip(SEVERITIES, words("cli.severities", language), strict=True))
    lines = [
        f"## {message('cli.validate.heading', language, result=head)}",
        "",
        f"| {' | '.join(words('cli.validate.columns', language))} |",
        "|---|---|---|---|---|",
    ]
    for report in reports:
        verdict = f"✅ {valid}" if report.passes(strict) else f"❌ {invalid.lower()}"
        counts = " | ".join(str(sum(f.severity == s for f in report.findings)) for s in SEVERITIES)
        lines.append(f"| {_md(report.path)} | {verdict} | {counts} |")
    for report in reports:
        if not report.findings:
            continue
        lines += ["", f"### {_md(report.path)}", ""]
        for finding in report.findings:
            where = f"{_md(finding.file)}: " if finding.file else ""
            level = severities[_level(finding, strict)]
            lines.append(f"- **{level}** `{finding.code}` {where}{_md(finding.text(language))}")
    return "\n".join(lines) + "\n"
