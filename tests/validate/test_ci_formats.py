"""What CI servers read from `validate`: GitHub annotations, SARIF, JUnit, the Markdown job summary, the
summary line and the progress bar; checked against the schemas and parsers those servers use."""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path

import jsonschema
import pytest
from lxml import etree
from markdown_it import MarkdownIt

from preservation.cli import main
from preservation.validate.api import BagReport
from preservation.validate.findings import catalogue, finding
from preservation.validate.report import (
    render_github,
    render_junit,
    render_markdown,
    render_sarif,
    summary_line,
)

from .conftest import make_good_bag

SCHEMAS = Path(__file__).parent / "schemas"
HOSTILE = "data/we,ird: 100%\r\nforged | <img src=x> [link](http://evil/) *x*.txt"
"""A file name holding every character the formats must escape: , : % CR LF | < > [ ] ( ) *"""


def _reports() -> list[BagReport]:
    clean = BagReport("bags/clean", "directory", (), ("structure",))
    warned = BagReport(
        "bags/warned", "directory", (finding("name.os-junk", "data/.DS_Store"),), ("structure", "warnings")
    )
    broken = BagReport(
        "bags/broken",
        "directory",
        (
            finding("payload.extra", HOSTILE, manifests="manifest-sha256.txt"),
            finding("manifest.malformed", "manifest-sha256.txt", line=3, reason="no checksum"),
            finding("bagit.missing"),
        ),
        ("structure", "manifests"),
    )
    archived = BagReport(
        "transfer/x.tar", "tar", (finding("payload.missing", "data/a.txt", manifests="m"),), ("manifests",)
    )
    return [clean, warned, broken, archived]


def _unescape(text: str) -> str:
    """The runner's reading of an escaped workflow command value (actions/runner, ActionCommand.cs)."""
    for escaped, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(escaped, char)
    return text


def _annotations(text: str) -> list[tuple[str, dict[str, str], str]]:
    """Workflow commands parsed as the runner does: `::name k=v,k=v::message`, one per line."""
    parsed = []
    for line in text.splitlines():
        match = re.fullmatch(r"::(\w+) ([^:]*)::(.*)", line)
        assert match, line
        properties = dict(item.split("=", 1) for item in match.group(2).split(","))
        parsed.append((match.group(1), {k: _unescape(v) for k, v in properties.items()}, _unescape(match[3])))
    return parsed


def test_github_annotations_name_the_file_and_survive_any_name() -> None:
    annotations = _annotations(render_github(_reports()))
    assert [(kind, props["title"]) for kind, props, _ in annotations] == [
        ("warning", "name.os-junk"),
        ("error", "payload.extra"),
        ("error", "manifest.malformed"),
        ("error", "bagit.missing"),
        ("error", "payload.missing"),
    ]
    # The hostile name is one property value, shown as text output shows it (CR/LF visible, not breaking).
    extra = annotations[1][1]
    assert extra["file"] == "bags/broken/" + HOSTILE.replace("\r", "\\r").replace("\n", "\\n")
    assert annotations[1][2].endswith("in the payload but not listed in manifest-sha256.txt")
    assert annotations[2][1] == {
        "file": "bags/broken/manifest-sha256.txt",
        "line": "3",
        "title": "manifest.malformed",
    }
    assert annotations[3][1]["file"] == "bags/broken"  # a finding about the whole bag
    assert annotations[4][1]["file"] == "transfer/x.tar"  # a member of an archive is no file of the checkout
    assert "data/a.txt" in annotations[4][2]


def test_github_escapes_per_the_toolkit() -> None:
    report = BagReport("b,a:g%", "directory", (finding("bagit.missing"),))
    assert render_github([report]) == (
        "::error file=b%2Ca%3Ag%25,title=bagit.missing::b,a:g%25: bagit.txt is missing\n"
    )


def test_strict_makes_warnings_errors_in_ci_formats() -> None:
    warned = _reports()[1]
    assert render_github([warned], strict=True).startswith("::error ")
    sarif = json.loads(render_sarif([warned], strict=True))
    assert [r["level"] for r in sarif["runs"][0]["results"]] == ["error"]


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def test_sarif_is_valid_and_its_rules_are_the_catalogue(sarif_validator: jsonschema.Draft4Validator) -> None:
    hostile = BagReport("bags/\udcff\u202e", "directory", (finding("bagit.missing"),))
    document = json.loads(render_sarif([*_reports(), hostile]))
    sarif_validator.validate(document)
    run = document["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == list(catalogue())
    entry = catalogue()["payload.extra"]
    rule = rules[list(catalogue()).index("payload.extra")]
    assert rule["shortDescription"]["text"] == entry.en
    assert rule["properties"]["message-de"] == entry.de
    results = run["results"]
    assert [rules[r["ruleIndex"]]["id"] for r in results] == [r["ruleId"] for r in results]
    assert [r["level"] for r in results] == ["warning", "error", "error", "error", "error", "error"]
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results]
    assert uris[1] == (
        "bags/broken/data/we%2Cird%3A%20100%25%0D%0Aforged%20%7C%20%3Cimg%20src%3Dx%3E%20"
        "%5Blink%5D%28http%3A//evil/%29%20%2Ax%2A.txt"
    )
    assert uris[-1] == "bags/%FF%E2%80%AE"  # the byte as it was on disk, the override as UTF-8
    assert results[2]["locations"][0]["physicalLocation"]["region"] == {"startLine": 3}
    assert results[3]["message"]["text"] == "bags/broken: bagit.txt is missing"
    assert results[3]["properties"]["message-de"] == "bags/broken: bagit.txt fehlt"


def test_sarif_schema_catches_what_a_dashboard_rejects(sarif_validator: jsonschema.Draft4Validator) -> None:
    document = json.loads(render_sarif(_reports()))
    document["runs"][0]["results"][0]["level"] = "fatal"
    assert not sarif_validator.is_valid(document)


@pytest.fixture(scope="module")
def junit_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "junit-10.xsd")))


def test_junit_is_valid_for_the_schema_ci_servers_use(junit_schema: etree.XMLSchema) -> None:
    for strict in (False, True):
        document = etree.fromstring(render_junit(_reports(), strict).encode("utf-8"))
        junit_schema.assertValid(document)
    assert not junit_schema.validate(etree.fromstring(b"<testsuites><testsuite name='x'/></testsuites>"))


def _cells(markdown: str) -> list[list[str]]:
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    rows: list[list[str]] = []
    for token in tokens:
        if token.type == "tr_open":
            rows.append([])
        elif token.type == "inline" and rows and token.map is not None and token.level > 3:
            rows[-1].append(token.content)
    return rows


def test_markdown_summary_renders_one_row_per_bag_whatever_the_names() -> None:
    reports = _reports()
    reports.append(BagReport(HOSTILE.replace("data/", ""), "zip", (), ()))
    markdown = render_markdown(reports)
    html = MarkdownIt("commonmark").enable("table").render(markdown)
    assert html.count("<tr>") == 1 + len(reports)
    assert all(row.count("<td>") == 5 for row in html.split("<tr>")[2:])
    assert "<img" not in html and "<a " not in html and "<em>" not in html  # the name is text, not markup
    assert "&lt;img src=x&gt;" in html
    assert html.count("<h3>") == 3  # one section per bag with findings
    assert "<h2>Bag validation: 2 of 5 invalid</h2>" in html


def test_summary_line_counts_each_bag_once() -> None:
    reports = _reports()
    assert summary_line(reports, False, 1.234) == (
        "4 bags: 1 valid, 1 valid with warnings, 2 invalid (1.2 s)\n"
    )
    assert summary_line(reports, True, 0).startswith("4 bags: 1 valid, 0 valid with warnings, 3 invalid")


def test_cli_summary_line_and_extra_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = make_good_bag(tmp_path / "good")
    junk = make_good_bag(tmp_path / "junk", {"a.txt": b"a", ".DS_Store": b"x"})
    written = {form: tmp_path / f"report.{form}" for form in ("junit", "sarif", "markdown", "github")}
    extra = [arg for form, path in written.items() for arg in ("--write", f"{form}={path}")]
    assert main(["validate", str(good), str(junk), *extra]) == 0
    out = capsys.readouterr().out
    assert re.search(r"\n2 bags: 1 valid, 1 valid with warnings, 0 invalid \(\d+\.\d s\)\n$", out)
    assert json.loads(written["sarif"].read_text(encoding="utf-8"))["runs"][0]["results"][0]["ruleId"] == (
        "name.os-junk"
    )
    assert written["github"].read_text(encoding="utf-8").startswith("::warning file=")
    assert etree.parse(str(written["junit"])).getroot().tag == "testsuites"
    # A document on stdout stays a document: the summary goes to stderr.
    assert main(["validate", str(good), "--format", "sarif"]) == 0
    captured = capsys.readouterr()
    json.loads(captured.out)
    assert captured.err.startswith("1 bag: 1 valid,")
    with pytest.raises(SystemExit) as exit_info:
        main(["validate", str(good), "--write", "yaml=report.yaml"])
    assert exit_info.value.code == 2


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("count", "form", "bar"), [(5, "text", True), (4, "text", False), (5, "json", False)]
)
def test_progress_bar_only_on_a_terminal_for_many_bags_in_text(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    count: int,
    form: str,
    bar: bool,
) -> None:
    for i in range(count):
        make_good_bag(tmp_path / "bags" / f"bag{i}\x1b]0;retitled\x07")  # the bar shows names escaped
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["validate", str(tmp_path / "bags"), "--format", form]) == 0
    assert (f"{count}/{count}" in terminal.getvalue()) is bar
    assert "\x1b]0;" not in terminal.getvalue()
    assert "/5" not in capsys.readouterr().out
