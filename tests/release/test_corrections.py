"""Corrections files as people save them, read back into exactly the values they hold, and applied."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest

from preservation.release.corrections import (
    CorrectionsError,
    apply_corrections,
    inspect_csv,
    read_corrections,
)
from preservation.release.model import Correction, Release
from preservation.spreadsheet import read_edited_csv
from preservation.validate.findings import finding


def release(
    source: Path, title: str = "Sommerbühne im Volkspark", author: str | None = "Referat Kultur"
) -> Release:
    return Release(
        source=source,
        identifier="2023-07-20-sommerbuehne-im-volkspark",
        title=title,
        issued=date(2023, 7, 20),
        author=author,
        place=None,
        number=None,
        notice_in_source=True,
        body="Text.",
        source_format="text",
        encoding="utf-8",
        warnings=(finding("release.no-date-line", date="2023-07-20"), finding("release.body-missing")),
    )


@pytest.fixture
def doc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = Path("sommer.txt")
    path.write_text("release\n")
    return path


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_the_inspect_csv_reads_back_as_written_so_an_unedited_file_corrects_nothing(doc, tmp_path):
    # Cells a spreadsheet would run as formulas are written as text and read back as they were.
    tricky = release(doc, title='=HYPERLINK("http://x") – Sommerbühne', author="-Referat Kultur")
    data = inspect_csv([tricky])
    header, (row,) = read_edited_csv(data)
    assert header == ["source", "identifier", "title", "issued", "author", "place", "notice", "warnings"]
    assert row[:7] == [
        "sommer.txt",
        tricky.identifier,
        tricky.title,
        "2023-07-20",
        "-Referat Kultur",
        "",
        "yes",
    ]
    assert row[7].splitlines() == [f"{w.code}: {w.message}" for w in tricky.warnings]
    corrections = read_corrections(write(tmp_path, "c.csv", data))
    assert apply_corrections([tricky], corrections, "E. M.") == [tricky]


@pytest.mark.parametrize(
    "data",
    [
        "\ufeffsource;title;issued\r\nsommer.txt;Sommerbühne 2023;21.07.2023\r\n".encode(),
        # German Excel's plain "CSV (Trennzeichen-getrennt)": Windows-1252, no BOM.
        "source;title;issued\r\nsommer.txt;Sommerbühne 2023;21.07.2023\r\n".encode("cp1252"),
        # An English spreadsheet: commas; a date as written, ISO.
        b'source,title,issued\nsommer.txt,"Sommerb\xc3\xbchne 2023",2023-07-21\n',
        b"source\ttitle\tissued\nsommer.txt\tSommerb\xc3\xbchne 2023\t2023-07-21\n",
    ],
)
def test_a_file_as_any_spreadsheet_saves_it_gives_the_same_corrections(doc, tmp_path, data):
    (corrected,) = apply_corrections(
        [release(doc)], read_corrections(write(tmp_path, "c.csv", data)), "E. M."
    )
    assert (corrected.title, corrected.issued) == ("Sommerbühne 2023", date(2023, 7, 21))
    assert corrected.identifier == release(doc).identifier
    assert corrected.corrections == (
        Correction("title", "Sommerbühne im Volkspark", "Sommerbühne 2023", "E. M."),
        Correction("issued", "2023-07-20", "2023-07-21", "E. M."),
    )


def test_an_emptied_author_is_removed_and_the_row_names_its_archivist(doc, tmp_path):
    data = b"source;author;place;corrected_by\r\nsommer.txt;;Kaiserslautern-Mitte;Erika Mustermann\r\n"
    (corrected,) = apply_corrections(
        [release(doc)], read_corrections(write(tmp_path, "c.csv", data)), "login"
    )
    assert (corrected.author, corrected.place) == (None, "Kaiserslautern-Mitte")
    assert corrected.corrections == (
        Correction("author", "Referat Kultur", "", "Erika Mustermann"),
        Correction("place", "", "Kaiserslautern-Mitte", "Erika Mustermann"),
    )


def test_the_informational_columns_are_not_read(doc, tmp_path):
    data = b"source;identifier;notice;warnings\r\nsommer.txt;4161;no;\r\n"
    (same,) = apply_corrections([release(doc)], read_corrections(write(tmp_path, "c.csv", data)), "E. M.")
    assert same == release(doc)


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("20.7.23", "row 2, column issued: '20.7.23' is not a date (2024-12-05 or 05.12.2024)"),
        ("2023-13-01", "row 2, column issued: '2023-13-01' is not a date (2024-12-05 or 05.12.2024)"),
        ("", "row 2, column issued: '' is not a date (2024-12-05 or 05.12.2024)"),
    ],
)
def test_a_date_that_is_none_is_named_with_row_and_column(doc, tmp_path, cell, message):
    path = write(tmp_path, "c.csv", f"source;issued\r\nsommer.txt;{cell}\r\n".encode())
    with pytest.raises(CorrectionsError) as caught:
        read_corrections(path)
    assert (caught.value.source, caught.value.message) == (str(path), message)
    assert caught.value.code == "corrections.date-invalid"


@pytest.mark.parametrize(
    ("cell", "shown"), [("Sommer\nBühne", "U+000A"), ("Sommer\x1b[2J", "U+001B"), ("\ufffe", "U+FFFE")]
)
def test_a_line_break_or_control_in_a_value_is_refused_as_bag_info_and_xml_cannot_carry_it(
    doc, tmp_path, cell, shown
):
    path = write(tmp_path, "c.csv", f'source;author\r\nsommer.txt;"{cell}"\r\n'.encode())
    with pytest.raises(CorrectionsError, match=rf"row 2, column author: holds a line break .*U\+{shown[2:]}"):
        read_corrections(path)


def test_a_yaml_file_takes_dates_unquoted_and_a_name_for_all_its_corrections(doc, tmp_path):
    path = write(
        tmp_path,
        "c.yaml",
        b"corrected_by: Erika Mustermann\ncorrections:\n  - source: sommer.txt\n    issued: 2023-07-21\n",
    )
    (corrected,) = apply_corrections([release(doc)], read_corrections(path), "login")
    assert corrected.corrections == (Correction("issued", "2023-07-20", "2023-07-21", "Erika Mustermann"),)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "corrections:\n  - source: sommer.txt\n    author: 1234\n",
            "row 1, column author: 1234 is not text",
        ),
        ("corrections:\n  - source: sommer.txt\n    titel: x\n", "row 1: column 'titel' is not one of"),
        ("korrekturen: []\n", "unknown key 'korrekturen'"),
        ("corrections:\n  - sommer.txt\n", "entry 1 is not a mapping"),
        ("corrections: [\n", "cannot be read as a corrections file"),
    ],
)
def test_a_yaml_file_that_does_not_fit_is_named(doc, tmp_path, text, message):
    with pytest.raises(CorrectionsError, match=message):
        read_corrections(write(tmp_path, "c.yml", text.encode()))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("source;title;title\r\nsommer.txt;a;b\r\n", "row 1: column 'title' appears twice"),
        ("source;title\r\nsommer.txt;a;b\r\n", "row 2, column 3: a value beyond the last of the 2 columns"),
        ("source;Titel\r\nsommer.txt;a\r\n", "row 1: column 'Titel' is not one of source, identifier"),
    ],
)
def test_a_cell_that_no_column_names_is_never_dropped_silently(doc, tmp_path, text, message):
    with pytest.raises(CorrectionsError, match=message):
        read_corrections(write(tmp_path, "c.csv", text.encode()))


def test_a_row_may_name_the_release_folder_but_not_the_release_twice(doc, tmp_path):
    folder = Path("fruehjahrsputz")
    folder.mkdir()
    (folder / "pressemitteilung.txt").write_text("release\n")
    in_folder = dataclasses.replace(release(folder / "pressemitteilung.txt"), root=folder)
    path = write(tmp_path, "c.csv", b"source;title\r\nfruehjahrsputz/;Neu\r\n")
    (corrected,) = apply_corrections([in_folder], read_corrections(path), "E. M.")
    assert corrected.title == "Neu"
    path = write(
        tmp_path,
        "c.csv",
        b"source;title\r\nfruehjahrsputz;Neu\r\n./fruehjahrsputz/pressemitteilung.txt;Neu\r\n",
    )
    with pytest.raises(CorrectionsError) as caught:
        apply_corrections([in_folder], read_corrections(path), "E. M.")
    assert caught.value.code == "corrections.row-duplicate"
    assert caught.value.message == (
        "row 3, column source: 'fruehjahrsputz/pressemitteilung.txt' is corrected in row 2 already"
    )
