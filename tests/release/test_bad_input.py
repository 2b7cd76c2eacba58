"""Bad input: one clear failure naming the file and the problem; the rest of the batch is still read."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import BinaryIO

import pytest

from preservation.errors import ReleaseError
from preservation.release import ReadFailure, Release, read, read_release, read_sources

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("empty.txt", "empty file"),
        ("binary.txt", "binary file"),
        ("no-date.txt", "no issued date"),
        ("no-title.txt", "no title"),
    ],
)
def test_bad_file_raises_an_error_naming_file_and_problem(profile, name, reason):
    with pytest.raises(ReleaseError) as caught:
        read_release(DATA / name, profile)
    assert caught.value.source == str(DATA / name)
    assert reason in caught.value.message
    assert "\n" not in str(caught.value)


def test_no_date_and_no_title_names_both(tmp_path, profile):
    source = tmp_path / "leer.txt"
    source.write_text("Nur ein Satz ohne Datum, der zu lang für einen Titel ist. " * 10, encoding="utf-8")
    with pytest.raises(ReleaseError, match="no issued date .* and no title"):
        read_release(source, profile)


def test_invalid_calendar_date_is_named(tmp_path, profile):
    source = tmp_path / "februar.txt"
    source.write_text("Pressemitteilung vom 31.02.2020\n\nTitel\n\nText.\n", encoding="utf-8")
    with pytest.raises(ReleaseError, match="invalid date '31.02.2020'"):
        read_release(source, profile)


def test_batch_goes_on_after_each_bad_source(tmp_path, samples_dir, profile):
    good = samples_dir / "2023-07-20-sommerbuehne.txt"
    sources = [DATA / "empty.txt", good, DATA / "binary.txt", tmp_path / "fehlt.txt", DATA / "no-title.txt"]
    results = list(read_sources(sources, profile))
    assert [type(r) for r in results] == [ReadFailure, Release, ReadFailure, ReadFailure, ReadFailure]
    assert [r.source for r in results] == sources
    assert results[3].message == "no such file or folder"


def test_unreadable_file_fails_naming_it(tmp_path, samples_dir, profile, monkeypatch):
    # Tests run as root, for whom chmod 000 changes nothing: make reading this one file fail instead.
    locked = tmp_path / "gesperrt.txt"
    shutil.copy(samples_dir / "2023-07-20-sommerbuehne.txt", locked)
    open_regular = read.open_regular

    def refuse(path: Path, below: Path | None = None) -> BinaryIO:
        if path == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return open_regular(path, below)

    monkeypatch.setattr(read, "open_regular", refuse)
    (failure, release) = read_sources([locked, samples_dir / "2023-07-20-sommerbuehne.txt"], profile)
    assert failure == ReadFailure(locked, "cannot read file: Permission denied")
    assert isinstance(release, Release)


def test_folder_named_like_a_text_file(tmp_path, profile):
    folder = tmp_path / "pressemitteilung.txt"
    folder.mkdir()
    (failure,) = read_sources([folder], profile)
    assert failure == ReadFailure(folder, "folder holds no release document (.txt, .html, .htm)")


def test_a_file_that_is_no_release_document(tmp_path, profile):
    photo = tmp_path / "foto.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xd9")
    (failure,) = read_sources([photo], profile)
    assert isinstance(failure, ReadFailure) and "not a release document" in failure.message


def test_read_release_refuses_a_collection(samples_dir, profile):
    with pytest.raises(ReleaseError, match="a collection of 20 releases"):
        read_release(samples_dir, profile)


SEED_LIKE = Path(__file__).parents[2] / "samples" / "2018-11-28-weihnachtsmarkt.txt"


@pytest.mark.parametrize(
    ("damaged", "code", "cleaned"),
    [
        ("Weihnachts\x0cmarkt", "U+000C", "Weihnachts markt"),
        ("Weihnachts\ufffemarkt", "U+FFFE", "Weihnachtsmarkt"),
    ],
    ids=["form feed", "noncharacter"],
)
def test_a_title_with_characters_xml_cannot_carry_is_cleaned_with_a_warning(
    tmp_path, profile, damaged, code, cleaned
):
    source = tmp_path / "release.txt"
    source.write_text(SEED_LIKE.read_text(encoding="utf-8").replace("Weihnachtsmarkt", damaged, 1))
    release = read_release(source, profile)
    assert release.title == read_release(SEED_LIKE, profile).title.replace("Weihnachtsmarkt", cleaned, 1)
    assert any(
        w.code == "release.xml-characters" and w.message.startswith(f"title: {code} ")
        for w in release.warnings
    )


@pytest.mark.parametrize(
    ("inserted", "code"),
    [("&#1;", "U+0001"), ("&#x0C;", "U+000C"), ("&#65534;", "U+FFFE"), ("\x0c", "U+000C")],
    ids=["reference to a control character", "hex reference to a form feed", "noncharacter", "raw form feed"],
)
def test_an_html_page_with_characters_xml_cannot_carry_is_read(tmp_path, profile, inserted, code):
    html = next((Path(__file__).parents[2] / "samples").rglob("*.html"))
    markup = html.read_text(encoding="utf-8")
    source = tmp_path / "release.html"
    # In the title and in a paragraph of the page frame, which the reader takes apart.
    source.write_text(
        markup.replace("<h1>", f"<h1>Achtung{inserted} ", 1).replace("</nav>", f"{inserted}</nav>", 1)
    )
    release = read_release(source, profile)
    assert release.title.startswith("Achtung ") and inserted not in release.title
    assert f"markup: {code} replaced or left out (XML cannot carry them)" in [
        w.message for w in release.warnings
    ]
