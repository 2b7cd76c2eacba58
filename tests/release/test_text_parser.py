"""Parser details the samples do not show on their own."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from preservation.release.notice import notice_paragraphs, strip_notice
from preservation.release.text import parse_text, split_paragraphs

SOURCE = Path("t.txt")
CAPTION = "Fotos: Max Muster © Stadt Kaiserslautern"


def parse(text: str, profile, hint: str | None = None):
    return parse_text(text, SOURCE, profile.notice, hint)


def test_lines_without_blank_lines_between_them(profile):
    text = (
        "Pressemitteilung vom 02.03.2021\nTitel: mit Doppelpunkt\nErster Satz.\n"
        "Autor/in: Amt\nKaiserslautern, 02.03.2021"
    )
    parsed = parse(text, profile)
    assert (parsed.title, parsed.body, parsed.author) == ("Titel: mit Doppelpunkt", "Erster Satz.", "Amt")


def test_notice_without_blank_lines_and_hard_wrapped(profile):
    heading, *rest = notice_paragraphs(profile.notice)
    packed = ((heading, *rest),)  # one paragraph, one notice paragraph per line
    assert strip_notice(packed, profile.notice).in_source
    wrapped = split_paragraphs("\n\n".join(p.replace(". ", ".\n") for p in rest))
    assert strip_notice(wrapped, profile.notice).paragraphs == ()


def codes(parsed) -> list[str]:
    return [w.code for w in parsed.warnings]


def test_partial_notice_is_in_the_source_with_a_warning(profile):
    heading = notice_paragraphs(profile.notice)[0]
    parsed = parse(f"{heading}\n\nPressemitteilung vom 02.03.2021\n\nTitel\n\nText.", profile)
    assert parsed.notice_in_source is True
    assert [w.message for w in parsed.warnings] == [
        "the source carries only part of the archive's notice (1 of 4 paragraphs)"
    ]


def test_a_notice_shortened_to_sentences_or_on_one_line_is_found(profile):
    heading, first, *_ = notice_paragraphs(profile.notice)
    one_sentence = first.split(". ")[0] + "."
    for notice in (one_sentence, f"{heading} {first}"):
        parsed = parse(f"{notice}\nPressemitteilung vom 02.03.2021\nTitel\nText.", profile)
        assert (parsed.notice_in_source, parsed.title, parsed.body) == (True, "Titel", "Text.")
    # a line that only starts like the notice is release text
    parsed = parse(f"Pressemitteilung vom 02.03.2021\n\nTitel\n\n{one_sentence} Und mehr.", profile)
    assert parsed.notice_in_source is False and parsed.body == f"{one_sentence} Und mehr."


def test_unknown_text_around_the_release_is_dropped_with_a_warning(profile):
    text = (
        "Vorspann\n\nPressemitteilung vom 02.03.2021\n\nTitel\n\nText.\n\n"
        "Kaiserslautern, 02.03.2021\n\nNachsatz"
    )
    parsed = parse(text, profile)
    assert parsed.body == "Text."
    assert [w.message for w in parsed.warnings] == [
        "ignored text outside the release: 'Vorspann'",
        "ignored text outside the release: 'Nachsatz'",
    ]


def test_chrome_without_anchors_is_stripped_from_both_ends(profile):
    parsed = parse("Pressemitteilung vom 02.03.2021\n\nTitel\n\nText.\n\n© Stadt Kaiserslautern", profile)
    assert (parsed.body, codes(parsed)) == ("Text.", ["release.chrome-removed"])
    parsed = parse("Folgen Sie uns auf Instagram\n\nTitel\n\nText.\n\nKaiserslautern, 02.03.2021", profile)
    assert (parsed.title, parsed.body, parsed.issued) == ("Titel", "Text.", date(2021, 3, 2))
    assert codes(parsed) == ["release.no-date-line", "release.chrome-removed"]


def test_standalone_caption_and_long_body_lines_with_chrome_words(profile):
    text = (
        "Pressemitteilung vom 02.03.2021\n\nTitel\n\n"
        "Die Ausstellung ist Di. bis So. geöffnet, der Eintritt ist frei und Führungen gibt es jeden Sonntag "
        "um 11 Uhr – Anmeldungen nimmt das Museum telefonisch entgegen.\n\n"
        f"{CAPTION}\n\nAutor/in: Museum"
    )
    parsed = parse(text, profile)
    assert parsed.body.startswith("Die Ausstellung ist Di. bis So. geöffnet")
    assert "Fotos" not in parsed.body
    assert [w.message for w in parsed.warnings] == [f"photo caption kept out of the body: '{CAPTION}'"]


def test_title_hint_from_html_wins_and_is_removed_from_the_body(profile):
    parsed = parse("Pressemitteilung vom 02.03.2021\n\nDer  Titel\n\nText.", profile, hint="Der Titel")
    assert (parsed.title, parsed.body) == ("Der Titel", "Text.")


def test_empty_author_is_none_and_missing_body_warns(profile):
    parsed = parse("Pressemitteilung vom 02.03.2021\n\nTitel\n\nAutor/in:", profile)
    assert parsed.author is None and parsed.place is None
    assert codes(parsed) == ["release.body-missing"]


def test_other_date_lines_of_web_exports(profile):
    # a website's own publication date is a date line; a release number with a year is no release number
    parsed = parse("Startseite > Presse\nVeröffentlicht am 05.12.2024\nStadt pflanzt Bäume\nText.", profile)
    assert (parsed.title, parsed.issued, codes(parsed)) == (
        "Stadt pflanzt Bäume",
        date(2024, 12, 5),
        ["release.chrome-removed"],
    )
    parsed = parse("Pressemitteilung Nr. 123/2024 vom 05.12.2024\nStadt pflanzt Bäume\nText.", profile)
    assert (parsed.title, parsed.number, parsed.warnings) == ("Stadt pflanzt Bäume", None, ())
    # when the page was last changed is chrome, never the title or the issued date
    parsed = parse("Stand: 07.01.2025\nStadt pflanzt Bäume\nText.\nKaiserslautern, 05.12.2024", profile)
    assert (parsed.title, parsed.issued) == ("Stadt pflanzt Bäume", date(2024, 12, 5))


def test_a_list_of_dates_in_the_body_stays_body_text(profile):
    parsed = parse(
        "Pressemitteilung vom 05.12.2024\n\nTitel\n\nDie Termine:\n06.12.2024\n07.12.2024", profile
    )
    assert (parsed.issued, parsed.body) == (date(2024, 12, 5), "Die Termine:\n06.12.2024\n07.12.2024")


def test_a_title_that_mentions_opening_hours_or_instagram_is_still_the_title(profile):
    for title in ("Neue Öffnungszeiten im Bürgercenter ab Januar", "Stadt startet eigenen Instagram-Kanal"):
        body = "Ab Januar ändert sich einiges für die Bürgerinnen und Bürger."
        parsed = parse(f"Pressemitteilung vom 05.12.2024\n\n{title}\n\n{body}", profile)
        assert (parsed.title, parsed.body) == (title, body)
        assert codes(parsed) == ["release.title-chrome-like"]
        parsed = parse(f"Pressemitteilung vom 05.12.2024\n\nDer Titel\n\n{body}", profile, hint=title)
        assert (parsed.title, parsed.warnings) == (title, ())
    # a teaser between the date line and the real title is still chrome
    text = "Pressemitteilung vom 05.12.2024\nDie Stadt in sozialen Netzwerken\nDer Titel\nErster Satz."
    assert parse(text, profile).title == "Der Titel"


def test_a_title_wrapped_over_two_lines_is_one_title(profile):
    title = "Stadtrat beschließt Haushalt 2025: Mehr Geld für Schulen,\nKitas und den Nahverkehr"
    for text in (
        f"Pressemitteilung vom 05.12.2024\n\n{title}\n\nErster Satz.\n\nZweiter Satz.",
        f"{title}\n\nPressemitteilung vom 05.12.2024\n\nErster Satz.",
    ):
        parsed = parse(text, profile)
        assert parsed.title == title.replace("\n", " ")
        assert parsed.body.startswith("Erster Satz.") and parsed.warnings == ()
    # in an export without blank lines, a title and the first sentence are two lines
    parsed = parse("Pressemitteilung vom 05.12.2024\nTitel\nErster Satz.", profile)
    assert (parsed.title, parsed.body) == ("Titel", "Erster Satz.")
    parsed = parse("Vorspann\nTitel\nPressemitteilung vom 05.12.2024\nErster Satz.", profile)
    assert (parsed.title, codes(parsed)) == ("Titel", ["release.text-ignored"])


def test_a_second_heading_after_the_title_is_said(profile):
    # a kicker above the title, or a subtitle below it: which line is the title is a guess
    parsed = parse(
        "Pressemitteilung vom 05.12.2024\n\nKultur\n\nTheater zeigt Faust\n\nErster Satz.", profile
    )
    assert parsed.title == "Kultur" and codes(parsed) == ["release.title-ambiguous"]
    # a body hard-wrapped without blank lines has lines without a full stop too; they are body
    text = "Pressemitteilung vom 05.12.2024\n\nTitel\n\nErster Satz, der umbrochen\nwurde und weitergeht."
    assert codes(parse(text, profile)) == []
    # without blank lines, a second short heading-like line is said too
    parsed = parse("Pressemitteilung vom 05.12.2024\nKultur\nTheater zeigt Faust\nErster Satz.", profile)
    assert parsed.title == "Kultur" and codes(parsed) == ["release.title-ambiguous"]
