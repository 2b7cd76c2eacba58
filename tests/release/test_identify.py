from __future__ import annotations

import shutil
from datetime import date
from pathlib import PurePosixPath

from preservation.release import read_release
from preservation.release.identify import SLUG_MAX, identifier, number_from_path, slug

ISSUED = date(2019, 9, 17)


def test_number_from_the_archive_path():
    assert number_from_path(PurePosixPath("/x/pressemitteilungen/04161/index.html.de")) == "04161"
    assert number_from_path(PurePosixPath("/x/Pressemitteilungen/00012/bild.jpg")) == "00012"
    assert number_from_path(PurePosixPath("/x/archiv/04161/index.html.de")) is None
    assert number_from_path(PurePosixPath("/x/pressemitteilungen/neu/index.html")) is None


def test_number_wins_over_the_derived_identifier():
    assert identifier("04161", ISSUED, "Egal") == "04161"


def test_derived_identifier_spells_out_umlauts():
    title = "Kaiserslautern nimmt am Smart-City-Kongress in Stuttgart teil"
    assert identifier(None, ISSUED, title) == "2019-09-17-" + slug(title)
    assert slug(title) == "kaiserslautern-nimmt-am-smart-city-kongress-in-stuttgart-teil"
    folded = slug("„Grüße“: Öffnung der Straße für Ärzte – café")
    assert folded == "gruesse-oeffnung-der-strasse-fuer-aerzte-cafe"


def test_long_titles_are_cut_at_a_word_and_keep_apart_by_hash():
    base = "Sanierung " + "der sehr langen Brücke über die Lauter " * 4
    first = identifier(None, ISSUED, base + "im Norden")
    second = identifier(None, ISSUED, base + "im Süden")
    assert first != second
    assert len(first) <= len("2019-09-17-") + SLUG_MAX + 9
    assert first.startswith("2019-09-17-sanierung-der-sehr-langen-bruecke")
    assert identifier(None, ISSUED, base + "im Norden") == first


def test_title_without_letters_still_gets_an_identifier():
    assert identifier(None, ISSUED, "„…“") == "2019-09-17-ohne-titel"


def test_same_source_twice_and_a_copy_elsewhere_give_the_same_identifier(tmp_path, samples_dir, profile):
    source = samples_dir / "2019-06-04-museumsnacht.txt"
    copy = tmp_path / "anderswo" / "kopie.txt"
    copy.parent.mkdir()
    shutil.copy(source, copy)
    expected = "2019-06-04-lange-nacht-der-museen-lockt-mit-fuehrungen-bis-mitternacht"
    assert read_release(source, profile).identifier == expected
    assert read_release(source, profile).identifier == expected
    assert read_release(copy, profile).identifier == expected


def test_number_from_the_path_survives_a_copy_into_the_same_layout(tmp_path, samples_dir, profile):
    target = tmp_path / "export" / "pressemitteilungen" / "04161"
    shutil.copytree(samples_dir / "pressemitteilungen" / "04161", target)
    assert read_release(target / "index.html.de", profile).identifier == "04161"
