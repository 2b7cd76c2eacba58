"""Issue 10, "What goes wrong today": each real-world variant reads right, or says what it guessed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from preservation.release.discover import Found
from preservation.release.model import Release
from preservation.release.notice import notice_paragraphs
from preservation.release.read import read_found

BODY = (
    "Der Weihnachtsbaum auf dem Stiftsplatz leuchtet ab Montag jeden Abend bis 22 Uhr. "
    "Die Fichte stammt aus dem Stadtwald und wurde von der Stadtgärtnerei geschmückt."
)
TITLE = "Weihnachtsbaum auf dem Stiftsplatz leuchtet"


def read(tmp_path: Path, text: str | bytes, profile, name: str = "release.txt") -> Release:
    source = tmp_path / name
    source.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return read_found(Found(source), profile)


def codes(release: Release) -> list[str]:
    return [w.code for w in release.warnings]


@pytest.mark.parametrize("closing", ["\n\nKaiserslautern, 05.12.2024", ""])
def test_long_form_german_date_is_the_date_not_the_title(tmp_path, profile, closing):
    release = read(tmp_path, f"Pressemitteilung vom 5. Dezember 2024\n\n{TITLE}\n\n{BODY}{closing}", profile)
    assert (release.title, release.issued) == (TITLE, date(2024, 12, 5))
    assert release.identifier == "2024-12-05-weihnachtsbaum-auf-dem-stiftsplatz-leuchtet"
    assert release.warnings == ()


def test_two_digit_year_reads_with_a_warning_unless_a_four_digit_date_agrees(tmp_path, profile):
    release = read(tmp_path, f"Pressemitteilung vom 05.12.24\n\n{TITLE}\n\n{BODY}", profile)
    assert release.issued == date(2024, 12, 5)
    assert codes(release) == ["release.date-two-digit-year"]
    confirmed = read(
        tmp_path, f"Pressemitteilung vom 05.12.24\n\n{TITLE}\n\n{BODY}\n\nKaiserslautern, 05.12.2024", profile
    )
    assert (confirmed.issued, confirmed.warnings) == (date(2024, 12, 5), ())


def test_title_above_the_date_line_is_the_title(tmp_path, profile):
    release = read(tmp_path, f"{TITLE}\n\nPressemitteilung vom 05.12.2024\n\n{BODY}", profile)
    assert release.title == TITLE
    assert release.body == BODY
    assert release.warnings == ()


@pytest.mark.parametrize("blank", ["\n\n", "\n"], ids=["blank-lines", "line-based"])
def test_website_chrome_before_the_release_is_never_the_title(tmp_path, profile, blank):
    chrome = [
        "Die Stadt Kaiserslautern in sozialen Netzwerken",
        "Startseite > Rathaus > Presse > Pressearchiv",
        "Drucken  Teilen  Vorlesen",
    ]
    text = blank.join([*chrome, "Pressemitteilung vom 05.12.2024", TITLE, BODY])
    release = read(tmp_path, text, profile)
    assert (release.title, release.body) == (TITLE, BODY)
    assert codes(release) == ["release.chrome-removed"]
    # without the date line, the chrome still is not the title; the date then comes from the closing line
    text = blank.join([*chrome, TITLE, BODY, "Kaiserslautern, 05.12.2024"])
    release = read(tmp_path, text, profile)
    assert (release.title, release.issued) == (TITLE, date(2024, 12, 5))
    assert "release.chrome-removed" in codes(release) and "release.no-date-line" in codes(release)


@pytest.mark.parametrize("kept", [(0, 1), (1,), (2,), (0,)], ids=["heading+one", "one", "another", "heading"])
def test_a_shortened_notice_is_in_the_source_with_a_warning(tmp_path, profile, kept):
    paragraphs = notice_paragraphs(profile.notice)
    notice = "\n\n".join(paragraphs[i] for i in kept)
    release = read(tmp_path, f"{notice}\n\nPressemitteilung vom 05.12.2024\n\n{TITLE}\n\n{BODY}", profile)
    assert release.notice_in_source is True
    assert (release.title, release.body) == (TITLE, BODY)
    assert codes(release) == ["release.notice-partial"]


def test_utf8_notice_with_a_cp1252_body_is_decoded_per_segment(tmp_path, profile):
    head = f"{profile.notice}\n\nPressemitteilung vom 05.12.2024\n\n".encode()
    rest = f"Grünflächen: Stadtgärtnerei pflanzt 500 Bäume\n\n{BODY} – „Kosten“: 20 €".encode("cp1252")
    release = read(tmp_path, head + rest, profile)
    assert release.notice_in_source is True
    assert release.title == "Grünflächen: Stadtgärtnerei pflanzt 500 Bäume"
    assert release.body == f"{BODY} – „Kosten“: 20 €"
    assert codes(release) == ["release.encoding-mixed"]


def test_a_mojibake_title_is_never_silent(tmp_path, profile):
    """UTF-8 read as cp1252 once already (so the file itself is valid UTF-8): flagged, not trusted."""
    title = "Stadtgärtnerei pflanzt Bäume".encode().decode("cp1252")
    release = read(tmp_path, f"Pressemitteilung vom 05.12.2024\n\n{title}\n\n{BODY}", profile)
    assert release.title == title
    assert codes(release) == ["release.mojibake"]
