"""Untrusted names on their way out: terminals get them escaped, JSON stays valid UTF-8, JUnit and PREMIS
stay well-formed XML, and every error is still one line."""

from __future__ import annotations

import io
import json
import os
import shutil
import tarfile
import unicodedata
from pathlib import Path

import pytest
from lxml import etree

from preservation.display import _JSON_SUSPECT, json_dumps, shown
from preservation.validate.api import BagReport
from preservation.validate.findings import finding
from preservation.validate.report import render_junit
from tests.hostile.conftest import ROOT, Canary, run_cli

HIDDEN = {"Cc", "Cf", "Cs", "Zl", "Zp", "Cn"}

# One of each class a terminal acts on or hides: (what a name holds, how it is shown).
ESCAPES = [
    ("\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H"),  # CSI: clear the screen
    ("\x1b]0;owned\x07", "\\x1b]0;owned\\x07"),  # OSC: set the window title
    ("\x1b]8;;http://evil/\x07click\x1b]8;;\x07", "\\x1b]8;;http://evil/\\x07click\\x1b]8;;\\x07"),  # a link
    ("ok\rFAKE", "ok\\rFAKE"),  # CR: overwrite the line
    ("ok\nerror [x] forged", "ok\\nerror [x] forged"),  # LF: a forged line
    ("a\tb", "a\\tb"),
    ("nul\x00", "nul\\x00"),
    ("del\x7f", "del\\x7f"),
    ("c1\x9b31m", "c1\\u009b31m"),  # C1 CSI, one character in UTF-8 terminals
    ("c1\x85nel", "c1\\u0085nel"),  # NEL: a line break to some
    ("gpj\u202e.exe", "gpj\\u202e.exe"),  # RIGHT-TO-LEFT OVERRIDE
    ("iso\u2066late\u2069", "iso\\u2066late\\u2069"),
    ("mark\u200f", "mark\\u200f"),
    ("line\u2028sep\u2029", "line\\u2028sep\\u2029"),
    ("zero\u200bwidth\ufeff", "zero\\u200bwidth\\ufeff"),
    ("soft\u00adhyphen", "soft\\u00adhyphen"),
    ("non\ufffechar\uffff", "non\\ufffechar\\uffff"),
    ("tag\U000e0041", "tag\\U000e0041"),
    ("byte\udcff\udc80", "byte\\xff\\x80"),  # not UTF-8 on disk (surrogateescape)
    ("lone\ud800", "lone\\ud800"),
]
KEPT = ["plain name.txt", "Grüße ß äöü", "東京 Отчёт مرحبا", "nbsp\u00a0here", "📦 emoji", "back\\slash"]


@pytest.mark.parametrize(("raw", "expected"), ESCAPES)
def test_hidden_and_active_characters_are_shown_escaped(raw: str, expected: str) -> None:
    assert shown(raw) == expected


@pytest.mark.parametrize("text", KEPT)
def test_what_a_terminal_shows_as_it_is_is_kept(text: str) -> None:
    assert shown(text) == text
    assert json.loads(json_dumps(text)) == text


# The whole BMP, and a sample of the other planes (all of them takes seconds).
CODE_POINTS = [*range(0x10000), *range(0x10000, 0x110000, 61), 0xE0001, 0xE007F, 0x10FFFF]
EVERY = "".join(map(chr, CODE_POINTS))


def test_no_code_point_survives_shown_that_a_terminal_would_act_on() -> None:
    text = shown(EVERY)
    text.encode("utf-8")  # no lone surrogate
    assert not [c for c in text if unicodedata.category(c) in HIDDEN]


def test_json_of_every_code_point_is_valid_utf8_and_exact_but_for_bytes() -> None:
    data = json_dumps({"name": EVERY, EVERY[:300]: 1}).encode("utf-8")
    assert not [c for c in data.decode("utf-8") if unicodedata.category(c) in HIDDEN - {"Cc"} or c == "\x7f"]
    document = json.loads(data.decode("utf-8"))
    assert document["name"] == "".join(map(_as_json_carries, CODE_POINTS))


def _as_json_carries(code: int) -> str:
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"  # a byte that was not UTF-8
    if 0xD800 <= code <= 0xDFFF:
        return f"\\u{code:04x}"  # a lone surrogate of no byte: visible text, not an escape of nothing
    return chr(code)


def test_json_escapes_hidden_characters_but_keeps_their_value() -> None:
    raw = "a\x1b]0;t\x07\u202e\x9b\u2028\U000e0041b"
    text = json_dumps([raw])
    assert text.isascii()  # each as a JSON escape (the astral one as a surrogate pair)
    assert json.loads(text) == [raw]


def test_the_json_fast_path_passes_over_no_hidden_character() -> None:
    for code in range(0x20, 0x110000):  # C0 is escaped by the JSON encoder itself
        if not _JSON_SUSPECT.match(chr(code)):
            assert unicodedata.category(chr(code)) not in HIDDEN and code != 0x7F, hex(code)


def test_junit_is_well_formed_whatever_names_hold() -> None:
    names = [raw for raw, _ in ESCAPES]
    report = BagReport(
        path="bag" + "".join(names),
        serialization="directory",
        findings=tuple(
            finding("payload.extra", f"data/{raw}", manifests="manifest-sha256.txt") for raw in names
        ),
        families=("manifests",),
    )
    root = etree.fromstring(render_junit([report]).encode("utf-8"))
    assert root.find("testsuite").get("name") == shown(report.path)
    failure = root.find("testsuite/testcase/failure")
    assert failure.text.splitlines() == [
        f"error payload.extra data/{expected}: in the payload but not listed in manifest-sha256.txt"
        for _, expected in ESCAPES
    ]


# --- whole commands ---------------------------------------------------------------------------------------

NAMES = [raw for raw, _ in ESCAPES if "\x00" not in raw and "\ud800" not in raw]
"""What a file name can hold (not NUL; a lone surrogate that is no escaped byte has no bytes)."""
UTF8_NAMES = [name for name in NAMES if not any(0xDC80 <= ord(c) <= 0xDCFF for c in name)]


def _fs(name: str) -> str:
    """The name as a file system can hold it ('/' cannot be in a name)."""
    return name.replace("/", "_")


def _safe_lines(text: str) -> list[str]:
    """The output's lines; fails on any character a terminal would act on or hide."""
    lines = text.split("\n")
    for line in lines:
        bad = [c for c in line if unicodedata.category(c) in HIDDEN]
        assert not bad, f"raw {bad!r} in {line!r}"
    return lines


def _json(data: str) -> object:
    """The document of output the harness decoded (valid UTF-8 comes through unchanged); every string in
    it is Unicode (a lone surrogate, e.g. from a JSON escape of one, cannot be encoded)."""
    document = json.loads(data.encode("utf-8").decode("utf-8"))
    json.dumps(document, ensure_ascii=False).encode("utf-8")
    return document


@pytest.fixture(scope="module")
def good_bag(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bags")
    run = run_cli("build", ROOT / "samples" / "2016-08-30-schulbeginn-crlf.txt", "--out", out, "--quiet")
    assert run.code == 0, run.output
    return out / "01187"


def _hostile_bag(good_bag: Path, where: Path, names: list[str], canary: Canary | None = None) -> Path:
    bag = where / "bag"
    shutil.copytree(good_bag, bag)
    for name in names:
        (bag / "data" / _fs(name)).write_bytes(b"extra")
    if canary is not None:
        os.symlink(canary.path, bag / "data" / _fs("link\x1b[8m" + "\u202e"))
    return bag


def _extra_files(names: list[str]) -> set[str]:
    return {"data/" + shown(_fs(name)) for name in names}


def test_validate_text_escapes_every_name_and_forges_no_line(
    good_bag: Path, tmp_path: Path, canary: Canary
) -> None:
    bag = _hostile_bag(good_bag, tmp_path, NAMES, canary)
    run = run_cli("validate", bag)
    assert run.code == 1
    lines = _safe_lines(run.stdout)
    assert lines[0] == f"{bag} (directory): INVALID" and lines[-1] == ""
    assert lines[-2].startswith("1 bag: 0 valid, 0 valid with warnings, 1 invalid (")  # the summary
    assert all(line.startswith(("  error [", "  warning [")) for line in lines[1:-2]), lines
    extras = {
        line.split("] ", 1)[1].split(": in the payload")[0] for line in lines if "[payload.extra]" in line
    }
    assert extras >= _extra_files(NAMES)
    assert "[path.symlink] data/link\\x1b[8m\\u202e:" in run.stdout
    assert canary.content.decode() not in run.output


def test_validate_json_is_valid_utf8_and_names_each_file_exactly(good_bag: Path, tmp_path: Path) -> None:
    bag = _hostile_bag(good_bag, tmp_path, NAMES)
    run = run_cli("validate", bag, "--format", "json")
    assert run.code == 1
    document = _json(run.stdout)
    assert isinstance(document, dict)
    files = {f.get("file") for f in document["bags"][0]["findings"] if f["code"] == "payload.extra"}
    # Exact Unicode; a byte that is not UTF-8 as the four characters \xNN.
    assert files == {"data/" + json.loads(json_dumps(_fs(name))) for name in NAMES}
    _safe_lines(run.stdout)  # hidden characters as JSON escapes: safe to `cat`


def test_validate_junit_is_well_formed_xml(good_bag: Path, tmp_path: Path) -> None:
    bag = _hostile_bag(good_bag, tmp_path / "in", NAMES)
    report = tmp_path / "junit.xml"
    run = run_cli("validate", bag, "--format", "junit", "--output", report)
    assert run.code == 1 and run.stdout.startswith("1 bag: 0 valid, 0 valid with warnings, 1 invalid (")
    assert run.stdout.count("\n") == 1 and run.stderr == ""  # the report went to the file, the summary here
    root = etree.parse(str(report)).getroot()
    failures = "\n".join(f.text or "" for f in root.iter("failure"))
    for name in _extra_files(NAMES):
        assert f"error payload.extra {name}: in the payload" in failures


def test_validate_of_a_tar_with_hostile_member_names(good_bag: Path, tmp_path: Path) -> None:
    archive = tmp_path / "bag.tar"
    with tarfile.open(archive, "w", format=tarfile.GNU_FORMAT, errors="surrogateescape") as tar:
        tar.add(good_bag, arcname="bag")
        for name in NAMES:
            info = tarfile.TarInfo("bag/data/" + name.replace("/", "_"))
            info.size = 5
            tar.addfile(info, io.BytesIO(b"extra"))
    text = run_cli("validate", archive)
    assert text.code == 1
    _safe_lines(text.stdout)
    for name in _extra_files(NAMES):
        assert f"[payload.extra] {name}: in the payload" in text.stdout
    machine = run_cli("validate", archive, "--format", "json")
    assert machine.code == 1
    assert isinstance(_json(machine.stdout), dict)


HOSTILE_VALUE = "\x1b]0;x\x07\u202e\x9b2J\u2028end"


def _with_bag_info_value(bag: Path, label: str, value: str) -> None:
    info = bag / "bag-info.txt"
    lines = info.read_text(encoding="utf-8").splitlines(keepends=True)
    changed = (f"{label}: {value}\n" if line.startswith(f"{label}:") else line for line in lines)
    info.write_text("".join(changed), encoding="utf-8")


@pytest.mark.parametrize("form", ["text", "json", "junit"])
def test_validate_quotes_a_hostile_bag_info_value_safely(good_bag: Path, tmp_path: Path, form: str) -> None:
    bag = tmp_path / "bag"
    shutil.copytree(good_bag, bag)
    _with_bag_info_value(bag, "BagIt-Profile-Identifier", HOSTILE_VALUE)
    run = run_cli("validate", bag, "--profile", ROOT / "profiles" / "state-archive.yaml", "--format", form)
    assert run.code == 1
    expected = f"the bag declares the profile '{shown(HOSTILE_VALUE)}'"
    if form == "text":
        assert any(expected in line for line in _safe_lines(run.stdout))
    elif form == "json":
        document = _json(run.stdout)
        assert isinstance(document, dict)
        messages = [f["message"] for f in document["bags"][0]["findings"]]
        assert f"the bag declares the profile '{HOSTILE_VALUE}'" in " ".join(messages)  # exact in JSON
    else:
        root = etree.fromstring(run.stdout.encode("utf-8"))
        assert expected in "".join(root.itertext())


@pytest.mark.parametrize(
    "args",
    [
        ("validate", "{p}"),
        ("inspect", "{p}"),
        ("build", "{p}", "--out", "{t}/out"),
        ("export", "{p}", "--out", "{t}/out"),
        ("verify-transfer", "{p}"),
        ("fixity", "run", "{p}", "--ledger", "{t}/ledger.sqlite"),
        ("validate", "{t}", "--{n}"),  # argparse quotes what it does not know
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_an_error_naming_a_hostile_path_is_one_escaped_line(args: tuple[str, ...], tmp_path: Path) -> None:
    name = "".join(raw for raw, _ in ESCAPES if "\ud800" not in raw and "\x00" not in raw).replace("/", "_")
    missing = tmp_path / _fs(name)
    run = run_cli(*[a.format(p=missing, t=tmp_path, n=name.replace(" ", "")) for a in args])
    assert run.code == 2
    assert run.stdout == ""
    lines = _safe_lines(run.stderr)
    assert lines[-1] == ""
    assert shown(_fs(name)).replace(" ", "" if "--" in args[-1] else " ") in lines[-2]


def test_inspect_escapes_sources_attachments_and_failures(tmp_path: Path) -> None:
    # Bidi and zero-width characters are carried into bags (sourcefile.name_problem); controls and bytes
    # that are not UTF-8 fail their release. Either way what is printed shows them as escapes.
    sources = tmp_path / "in"
    sources.mkdir()
    sample = (ROOT / "samples" / "2019-06-04-museumsnacht.txt").read_bytes()
    (sources / "release\u202etxt.exe.txt").write_bytes(sample)
    (sources / "evil\x1b]0;x\x07\n\udcff.txt").write_bytes(sample)
    folder = sources / "folder\u200b"
    folder.mkdir()
    (folder / "r.txt").write_bytes(sample.replace(b"04.06.2019", b"05.06.2019"))
    (folder / "scan\u202egpj.pdf").write_bytes(b"%PDF-1.4\n")
    text = run_cli("inspect", sources)
    assert text.code == 1
    _safe_lines(text.output)
    assert "attachment: scan\\u202egpj.pdf" in text.stdout
    assert "folder\\u200b/r.txt" in text.stdout and "release\\u202etxt.exe.txt" in text.stdout
    (error,) = text.stderr.splitlines()
    assert error.startswith(f"error: {sources}/evil\\x1b]0;x\\x07\\n\\xff.txt: [source.name-unusable] ")
    machine = run_cli("inspect", sources, "--format", "json")
    document = _json(machine.stdout)
    assert isinstance(document, dict)
    assert document["errors"][0]["source"] == f"{sources}/evil\x1b]0;x\x07\n\\xff.txt"
    assert f"{sources}/release\u202etxt.exe.txt" in [r["source"] for r in document["releases"]]


def test_build_escapes_what_failed_and_what_it_skipped(tmp_path: Path) -> None:
    sources = tmp_path / "in"
    sources.mkdir()
    sample = (ROOT / "samples" / "2019-06-04-museumsnacht.txt").read_bytes()
    (sources / "a.txt").write_bytes(sample)
    (sources / "b\u202e\u200b.txt").write_bytes(sample)  # the same release again
    (sources / "empty\u202e\r\x1b[1A\udcff.txt").write_bytes(b"")
    run = run_cli("build", sources, "--out", tmp_path / "bags", "--verbose")
    assert run.code == 1
    (failed, end) = _safe_lines(run.stderr)
    assert failed.startswith(f"failed: {sources}/empty\\u202e\\r\\x1b[1A\\xff.txt: [source.name-unusable] ")
    assert end == ""
    lines = _safe_lines(run.stdout)
    assert lines[0] == (
        f"duplicate: {sources}/b\\u202e\\u200b.txt: the same release as {sources}/a.txt "
        "(byte-identical document and attachments); skipped"
    )
    assert lines[-2].startswith("1 built, 0 up to date, 1 duplicate, 0 conflicts, 1 failed")


@pytest.fixture
def hostile_fixity(good_bag: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A ledger that has checked one failing bag whose name and extra file are hostile (UTF-8: the
    ledger keeps names as text)."""
    name = "bag\x1b]0;x\x07\r\nFAIL\u202e\x9b"
    root = tmp_path / "root"
    bag = _hostile_bag(good_bag, tmp_path, UTF8_NAMES[:4])
    _with_bag_info_value(bag, "External-Identifier", HOSTILE_VALUE)
    root.mkdir()
    bag = bag.rename(root / name)
    return bag, tmp_path / "ledger.sqlite"


def test_fixity_run_status_and_history_escape_names(
    hostile_fixity: tuple[Path, Path], tmp_path: Path
) -> None:
    bag, ledger = hostile_fixity
    run = run_cli("fixity", "run", bag.parent, "--ledger", ledger, "--report", tmp_path / "r.html")
    assert run.code == 1
    lines = _safe_lines(run.stdout)
    assert lines[0] == f"FAIL {shown(bag)}"
    # the Payload-Oxum that counts them, then each file
    assert lines[1].startswith("  tag-changed     bag-info.txt: [oxum.mismatch] "), lines
    assert all(line.startswith("  extra ") for line in lines[2:6]), lines
    assert "\x1b" not in (tmp_path / "r.html").read_text(encoding="utf-8")
    history = run_cli("fixity", "history", bag, "--ledger", ledger)
    assert history.code == 0
    assert _safe_lines(history.stdout)[0] == f"{shown(bag)}  {shown(HOSTILE_VALUE)}  status fail"
    machine = run_cli("fixity", "history", bag, "--ledger", ledger, "--format", "json")
    document = _json(machine.stdout)
    assert isinstance(document, dict) and document["bags"][0]["path"] == str(bag)


def test_fixity_run_json_and_premis_history_stay_well_formed(hostile_fixity: tuple[Path, Path]) -> None:
    bag, ledger = hostile_fixity
    run = run_cli("fixity", "run", bag.parent, "--ledger", ledger, "--format", "json")
    assert run.code == 1
    document = _json(run.stdout)
    assert isinstance(document, dict) and document["checked"][0]["bag"] == str(bag)
    premis = run_cli("fixity", "history", bag, "--ledger", ledger, "--format", "premis")
    assert premis.code == 0
    root = etree.fromstring(premis.stdout.encode("utf-8"))
    ns = "{http://www.loc.gov/premis/v3}"
    assert [n.text for n in root.iter(f"{ns}originalName")] == [shown(bag)]
    assert shown(HOSTILE_VALUE) in [n.text for n in root.iter(f"{ns}objectIdentifierValue")]


def test_export_escapes_rejections_and_refuses_a_name_that_is_not_utf8(
    good_bag: Path, tmp_path: Path
) -> None:
    bags = tmp_path / "bags"
    bags.mkdir()
    invalid = _hostile_bag(good_bag, tmp_path / "x", UTF8_NAMES[:3]).rename(bags / "bad\x1b[2J\u202e")
    shutil.copytree(good_bag, bags / "good")
    run = run_cli("export", bags, "--out", tmp_path / "transfer", "--quiet")
    assert run.code == 1
    lines = _safe_lines(run.stderr)
    assert lines[0] == f"not exported: {shown(invalid)}"
    assert all(line.startswith("  [") for line in lines[1:-1])
    shutil.copytree(good_bag, bags / "name\udcff")
    refused = run_cli("export", bags, "--out", tmp_path / "transfer2")
    assert refused.code == 2
    assert refused.stderr == (
        f"preservation: {bags}/name\\xff: its name is not UTF-8; the transfer list and manifest cannot name "
        "it\n"
    )


def test_verify_transfer_escapes_the_names_a_manifest_lists(good_bag: Path, tmp_path: Path) -> None:
    bags = tmp_path / "bags"
    shutil.copytree(good_bag, bags / "good")
    transfer = tmp_path / "transfer"
    assert run_cli("export", bags, "--out", transfer, "--quiet").code == 0
    manifest = transfer / "manifest-sha512.txt"
    name = "gone\x1b]0;x\x07\u202e\x9b.tar"
    with manifest.open("a", encoding="utf-8") as stream:
        stream.write(f"{'0' * 128}  {name}\n")
    text = run_cli("verify-transfer", transfer)
    assert text.code == 1
    lines = _safe_lines(text.stdout)
    missing = "[transfer.manifest-missing-file] listed in the manifest but not in the folder"
    assert f"missing: {shown(name)}: {missing}" in lines
    machine = run_cli("verify-transfer", transfer, "--format", "json")
    document = _json(machine.stdout)
    assert isinstance(document, dict) and name in document["files"]
