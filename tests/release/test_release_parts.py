"""Releases made from parts: chrome × notice form × date form × title position × blank lines × encoding.

Title, issued date and notice come out right, or the reader says it guessed: never a wrong value in silence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from preservation.profile import load_profile
from preservation.release.discover import Found
from preservation.release.notice import notice_paragraphs
from preservation.release.read import read_found

PROFILE = load_profile()
HEADING, *NOTICE_BODY = notice_paragraphs(PROFILE.notice)
ISSUED = date(2024, 12, 5)

TITLES = [
    "Weihnachtsbaum auf dem Stiftsplatz leuchtet",
    "„Kultur im Quartier“: Sommerbühne kehrt in den Volkspark zurück",
    "Was wird aus dem alten Hallenbad?",
    "Grünflächen – 500 neue Bäume für die Innenstadt",
    "Stadtrat beschließt Haushalt 2025: Mehr Geld für Schulen, Kitas und den Nahverkehr",
]
BODIES = [
    ["Der Weihnachtsbaum leuchtet ab Montag jeden Abend bis 22 Uhr."],
    [
        "Die Stadt pflanzt im Herbst 500 Bäume, vor allem Linden und Ahorn.",
        "Die Kosten von 20.000 € trägt zur Hälfte das Land – der Rest kommt aus Spenden.",
    ],
]
NOTICES = {
    "none": [],
    "whole": [HEADING, *NOTICE_BODY],
    "without heading": list(NOTICE_BODY),
    "heading and one paragraph": [HEADING, NOTICE_BODY[0]],
    "one paragraph": [NOTICE_BODY[1]],
    "one sentence": [NOTICE_BODY[0].split(". ")[0] + "."],
    "on one line": [" ".join([HEADING, *NOTICE_BODY])],
    "hard-wrapped": [p.replace(", ", ",\n") for p in NOTICE_BODY],  # wrapped inside each paragraph
}
DATE_LINES = {
    "numeric": "Pressemitteilung vom 05.12.2024",
    "two-digit year": "Pressemitteilung vom 05.12.24",
    "long form": "Pressemitteilung vom 5. Dezember 2024",
    "abbreviated with weekday": "Pressemitteilung vom Do., 5. Dez. 2024",
    "numbered, with a time": "Pressemitteilung Nr. 123/2024 vom 05.12.2024, 10:30 Uhr",
    "publication date": "Veröffentlicht am 05.12.2024",
}
CHROME_BEFORE = [
    "Die Stadt Kaiserslautern in sozialen Netzwerken",
    "Startseite > Rathaus > Presse > Pressearchiv",
    "Drucken  Teilen  Vorlesen",
    "Teilen Sie diese Meldung auf Facebook, Instagram oder per E-Mail.",
    "Stand: 07.01.2025",
    "Startseite > Presse",
]
CHROME_AFTER = [
    "Stadtverwaltung Kaiserslautern",
    "Willy-Brandt-Platz 1",
    "67657 Kaiserslautern",
    "© Stadt 2024",
]


@dataclass(frozen=True)
class Parts:
    title: str
    body: list[str]
    notice: str
    date_form: str | None
    """None: no `Pressemitteilung vom` line, the closing line carries the date."""
    title_above: bool
    closing: bool
    author: bool
    chrome_before: list[str]
    chrome_after: list[str]
    blank_lines: bool
    wrap_title: bool
    """Hard-wrap a title with a comma after it (only with blank lines can a reader tell it is one title)."""
    beside_title: str | None
    """A kicker above the title or a subtitle below it, next to the date line: which is the title is a
    guess, so the reader may pick either, but must say so."""
    share_bar: bool
    """A share bar right below the date line, as the website puts it."""
    html: bool
    """A saved page: each line a paragraph, the title the page's h1."""
    encoding: str

    def text_parts(self) -> tuple[list[str], list[str]]:
        """(head, rest): the head is what the mixed encoding keeps in UTF-8 (chrome, notice)."""
        head = [*self.chrome_before, *NOTICES[self.notice]]
        release: list[str] = []
        title = self.title.replace(", ", ",\n", 1) if self.wrap_title and self.blank_lines else self.title
        date_line = DATE_LINES[self.date_form] if self.date_form else None
        heading = [title]
        if self.beside_title == "kicker":
            heading = ["Kultur", title]
        elif self.beside_title == "subtitle":
            heading = [title, "Premiere im Januar"]
        if date_line and self.title_above:
            release += [*heading, date_line]
        elif date_line:
            release += [date_line, *(["Drucken  Teilen  Vorlesen"] if self.share_bar else []), *heading]
        else:
            release += heading
        release += self.body
        if self.author:
            release.append("Autor/in: Referat Grünflächen, Eva Beispiel")
        if self.closing or not date_line:
            release.append("Kaiserslautern, 05.12.2024")
        return head, release + self.chrome_after

    def encode(self) -> bytes:
        head, rest = self.text_parts()
        if self.html:
            title = self.title.replace(", ", ",\n", 1) if self.wrap_title and self.blank_lines else self.title
            head = ["<html><body>", *(f"<p>{escape(line)}</p>" for line in head)]
            rest = [
                f"<h1>{escape(line)}</h1>" if line == title else f"<p>{escape(line)}</p>" for line in rest
            ]
            rest.append("</body></html>")
        separator = "\n\n" if self.blank_lines else "\n"
        if self.encoding == "utf-8 notice, cp1252 body":
            first = separator.join(head) + separator if head else ""
            return first.encode("utf-8") + separator.join(rest).encode("cp1252")
        text = separator.join(head + rest)
        return text.encode("utf-8-sig" if self.encoding == "utf-8-sig" else self.encoding)


PARTS = st.builds(
    Parts,
    title=st.sampled_from(TITLES),
    body=st.sampled_from(BODIES),
    notice=st.sampled_from(sorted(NOTICES)),
    date_form=st.sampled_from([None, *sorted(DATE_LINES)]),
    title_above=st.booleans(),
    closing=st.booleans(),
    author=st.booleans(),
    chrome_before=st.lists(st.sampled_from(CHROME_BEFORE), max_size=3, unique=True),
    chrome_after=st.lists(st.sampled_from(CHROME_AFTER), max_size=4, unique=True),
    blank_lines=st.booleans(),
    wrap_title=st.booleans(),
    beside_title=st.sampled_from([None, "kicker", "subtitle"]),
    share_bar=st.booleans(),
    html=st.booleans(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-8 notice, cp1252 body"]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(PARTS)
def test_title_date_and_notice_are_right_or_a_warning_says_what_was_guessed(tmp_path_factory, parts):
    source = tmp_path_factory.mktemp("parts") / ("release.html" if parts.html else "release.txt")
    source.write_bytes(parts.encode())
    release = read_found(Found(source), PROFILE)
    right = (release.title, release.issued, release.notice_in_source) == (
        parts.title,
        ISSUED,
        parts.notice != "none",
    )
    assert right or release.warnings, (release.title, release.issued, release.notice_in_source)
    if parts.beside_title is not None:
        return
    # Beyond the rule, what the reader promises for every one of these forms: these are read right.
    assert (release.title, release.issued) == (parts.title, ISSUED), release.warnings
    assert release.notice_in_source is (parts.notice != "none")
    body_separator = "\n\n" if parts.blank_lines or parts.html else "\n"
    assert release.body == body_separator.join(parts.body)
