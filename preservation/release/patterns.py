"""The release's anchors and the website's chrome as data: each pattern with lines it must and must not match.

The next variant of an export should be one more line here, not a new branch in the parser. The tests check
every example against its pattern (tests/release/test_patterns.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern[str]
    examples: tuple[str, ...]
    """Lines the pattern matches (``search``)."""
    counterexamples: tuple[str, ...] = ()
    """Lines it must not match: release text that looks a little like it."""
    mention: bool = False
    """Chrome by a word it mentions (Instagram, Öffnungszeiten), not by its form: such a line may also be a
    release's title, which the reader then takes with a warning."""

    def search(self, line: str) -> re.Match[str] | None:
        return self.pattern.search(line)


# --- dates ------------------------------------------------------------------------------------------------

MONTHS = {
    "januar": 1, "jänner": 1, "jan": 1, "februar": 2, "feber": 2, "feb": 2, "märz": 3, "mär": 3, "mrz": 3,
    "april": 4, "apr": 4, "mai": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "oktober": 10, "okt": 10, "november": 11, "nov": 11,
    "dezember": 12, "dez": 12,
}  # fmt: skip
"""German month names and their abbreviations (an abbreviation may end with a dot)."""
_MONTH_NAME = "|".join(sorted(MONTHS, key=len, reverse=True))
_WEEKDAY_NAME = (
    r"(?:Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonnabend|Sonntag|Mo|Di|Mi|Do|Fr|Sa|So)"
)
DATE = (
    rf"(?:{_WEEKDAY_NAME}\.?,?\s+)?"
    r"(?P<date>(?P<day>\d{1,2})\.\s?(?P<month>\d{1,2})\.\s?(?P<year>\d{4}|\d{2})"
    rf"|(?P<lday>\d{{1,2}})\.?\s+(?P<lmonth>(?i:{_MONTH_NAME}))\.?\s+(?P<lyear>\d{{4}}|\d{{2}})"
    r"|(?P<iyear>\d{4})-(?P<imonth>\d{2})-(?P<iday>\d{2}))"
)
"""A date as German exports write it: ``05.12.2024``, ``5.12.24``, ``5. Dezember 2024``,
``Do., 5. Dez. 2024``, ``2024-12-05``."""
_TIME = r"(?:,?\s*(?:[–-]\s*)?(?:um\s+)?\d{1,2}[.:]\d{2}(?:\s*Uhr)?)?"

DATE_LINES = (
    Rule(
        "date line",
        re.compile(
            r"^(?:Pressemitteilung|Pressemeldung|Presseinformation|Medieninformation)"
            r"(?:\s+(?:der|des)\s+[^\d]{1,60}?)?"
            # only a plain number is the archive's release number; `123/2024` is some other count
            r"(?:\s+Nr\.?\s*(?:(?P<number>\d{1,6})|\S+))?"
            rf"\s+vom\s+{DATE}{_TIME}$",
            re.IGNORECASE,
        ),
        (
            "Pressemitteilung vom 17.09.2019",
            "Pressemitteilung Nr. 01187 vom 30.08.2016",
            "Pressemitteilung Nr. 123/2024 vom 05.12.2024",
            "Pressemitteilung der Stadt Kaiserslautern vom 05.12.2024",
            "Pressemitteilung vom 5. Dezember 2024",
            "Pressemitteilung vom 05.12.24",
            "Pressemitteilung vom Donnerstag, 5. Dez. 2024",
            "Pressemeldung vom 05.12.2024, 10:30 Uhr",
            "Pressemitteilung vom 05.12.2024 – 10.30 Uhr",
        ),
        ("Pressemitteilung vom Stadtrat", "Die Pressemitteilung vom 5. Dezember 2024 wird berichtigt."),
    ),
    Rule(
        "publication date",
        # `Stand:` is left out on purpose: it is when a page was last changed, not when it was issued
        re.compile(
            rf"^(?:(?:Veröffentlicht|Erschienen|Erstellt)(?:\s+am)?\s*:?\s*|Datum\s*:\s*)?{DATE}{_TIME}$"
        ),
        ("05.12.2024", "Donnerstag, 5. Dezember 2024", "Veröffentlicht am 05.12.2024", "Datum: 5.12.24"),
        ("Stand: 05.12.2024", "05.12.2024 bis 06.01.2025", "ab 05.12.2024"),
    ),
)
"""Lines that give the release's date at its top; the first is the archive's own form."""
CLOSING_LINE = Rule(
    "closing line",
    re.compile(rf"^(?P<place>[A-ZÄÖÜ][^\d,]{{0,60}}),\s*(?:den\s+|am\s+)?{DATE}$"),
    ("Kaiserslautern, 18.09.2019", "Kaiserslautern, den 5. Dezember 2024", "Kaiserslautern, 05.12.24"),
    ("Kaiserslautern, 5. Dezember 2024: Der Stadtrat tagt", "Am 5. Dezember 2024"),
)
AUTHOR_LINE = Rule(
    "author line",
    re.compile(r"^(?:Autor|Verfasser)(?:/in|in|\*in|:in|\(in\))?\s*:\s*(?P<author>.*)$"),
    ("Autor/in: Referat Kultur, Anna Beispiel", "Autorin: Pressestelle", "Autor/in:", "Verfasser: Presseamt"),
    ("Autoren der Ausstellung sind Schülerinnen und Schüler.",),
)


def two_digit_year(year: int) -> int:
    """POSIX's rule, as ``strptime('%y')`` applies it: 69–99 are 1969–1999, 00–68 are 2000–2068."""
    return year + (1900 if year >= 69 else 2000)


def date_of(match: re.Match[str]) -> tuple[date, bool]:
    """The date a DATE match names and whether its year had two digits; ValueError for no such day."""
    if match["day"] is not None:
        day, month, year = int(match["day"]), int(match["month"]), match["year"]
    elif match["lday"] is not None:
        day, month, year = int(match["lday"]), MONTHS[match["lmonth"].casefold()], match["lyear"]
    else:
        day, month, year = int(match["iday"]), int(match["imonth"]), match["iyear"]
    short = len(year) == 2
    return date(two_digit_year(int(year)) if short else int(year), month, day), short


# --- website chrome ---------------------------------------------------------------------------------------

_WEEKDAY = r"(?:Mo|Di|Mi|Do|Fr|Sa|So)\.?"
_SHARE_WORD = (
    r"(?:Drucken|Seite drucken|Teilen|Seite teilen|Vorlesen|Versenden|Per E-Mail versenden|E-Mail|PDF|"
    r"Merken|Empfehlen|Twittern|Tweet|Facebook|X|Instagram|WhatsApp|LinkedIn|Mastodon|Threads|Link kopieren|"
    r"Schriftgröße|Kontrast|Leichte Sprache|Gebärdensprache|Nach oben|Zurück|Zurück zur Übersicht)"
)
CHROME = (
    Rule(
        "social media",
        re.compile(
            r"\b(?:Facebook|Instagram|Twitter|YouTube|WhatsApp|LinkedIn|Mastodon|TikTok|Social[- ]Media)\b"
        ),
        ("Teilen Sie diese Meldung auf Facebook, Instagram oder per E-Mail.",),
        mention=True,
    ),
    Rule(
        "social networks teaser",
        re.compile(r"\bsozialen? (?:Netzwerken?|Medien)\b", re.IGNORECASE),
        ("Die Stadt Kaiserslautern in sozialen Netzwerken", "Folgen Sie uns in den sozialen Medien"),
        mention=True,
    ),
    Rule(
        "share or follow",
        re.compile(r"^(?:Seite |Beitrag |Artikel )?(?:[Tt]eilen|[Ff]olgen Sie|Newsletter)\b"),
        ("Artikel teilen", "Folgen Sie uns", "Newsletter abonnieren"),
        mention=True,
    ),
    Rule(
        "share bar",
        re.compile(rf"^{_SHARE_WORD}(?:\s*[|·•/,]?\s*{_SHARE_WORD})*$", re.IGNORECASE),
        ("Drucken  Teilen  Vorlesen", "Drucken | PDF | Teilen", "Zurück zur Übersicht"),
        ("Drucken Sie das Formular aus.",),
    ),
    Rule(
        "breadcrumb",
        re.compile(
            r"^(?:(?:Sie sind hier|Sie befinden sich hier)\s*:\s*)?"
            r"[^>»›→|]{1,40}(?:\s+[>»›→|]\s+[^>»›→|]{1,40}){2,}$"
        ),
        ("Startseite > Rathaus > Presse > Pressearchiv", "Sie sind hier: Startseite » Presse » Archiv"),
        ("Bus / Bahn: neue Fahrpläne ab Montag", "Rad- und Fußwege: Stadt plant 3 neue Strecken"),
    ),
    Rule(
        "breadcrumb from the home page",
        re.compile(
            r"^(?:Startseite|Home|Sie sind hier:?)\s*[>»›→|]\s*[^>»›→|]{1,40}"
            r"(?:\s*[>»›→|]\s*[^>»›→|]{1,40})*$"
        ),
        ("Startseite > Presse", "Home » Aktuelles"),
        ("Startseite der Stadt: neu gestaltet",),
    ),
    Rule(
        "page date",
        # when the web page was last changed, not when the release was issued
        re.compile(
            rf"^(?:Stand|Zuletzt (?:geändert|aktualisiert)|Aktualisiert)(?:\s+am)?\s*:?\s*{DATE}{_TIME}$"
        ),
        ("Stand: 05.12.2024", "Zuletzt aktualisiert am 5. Dezember 2024"),
    ),
    Rule(
        "navigation heading",
        re.compile(
            r"^(?:Startseite|Home|Aktuelles|Aktuelle Meldungen|Pressemitteilungen|Pressearchiv|Presse|"
            r"Neuigkeiten|Nachrichten|Inhalt|Navigation|Menü|Suche|Hauptmenü|Zum Inhalt springen)$",
            re.IGNORECASE,
        ),
        ("Pressearchiv", "Zum Inhalt springen", "Startseite"),
        ("Presse lobt neues Theater",),
    ),
    # the address block, contact lines and opening hours below a release
    Rule(
        "town hall", re.compile(r"^Stadt(?:verwaltung)? Kaiserslautern$"), ("Stadtverwaltung Kaiserslautern",)
    ),
    Rule("postcode", re.compile(r"(?:^|,\s*)\d{5} [A-ZÄÖÜ][\w-]+$"), ("67657 Kaiserslautern",)),
    Rule(
        "street",
        re.compile(r"^[A-ZÄÖÜ][\w.-]*(?i:straße|str\.|platz|weg|gasse|allee|ring) \d+\w?(?:,|$)"),
        ("Willy-Brandt-Platz 1",),
    ),
    Rule(
        "contact",
        re.compile(r"^(?:Postfach|Telefon|Tel\.|Fax|E-Mail|Internet)\b"),
        ("Telefon 0631 365-0", "E-Mail: presse@example.org"),
    ),
    Rule(
        "opening hours",
        re.compile(r"Öffnungszeiten|Sprechzeiten"),
        ("Öffnungszeiten Bürgercenter",),
        mention=True,
    ),
    Rule(
        "weekday range", re.compile(rf"^{_WEEKDAY}\s*(?:[–-]|bis)\s*{_WEEKDAY}"), ("Mo.–Fr. 8.00–12.00 Uhr",)
    ),
    Rule(
        "weekday hours",
        re.compile(r"^(?:Mo|Di|Mi|Do|Fr|Sa|So)\.\s*\d{1,2}[.:]\d{2}\s*(?:[–-]|bis)"),
        ("Do. 14.00–18.00 Uhr",),
    ),
    Rule(
        "weekday hours, long",
        re.compile(r"^(?:Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag)\b.*\bUhr$"),
        ("Donnerstag 14 bis 18 Uhr",),
        mention=True,
    ),
    Rule(
        "footer links",
        re.compile(r"^(?:Impressum|Datenschutz|Barrierefreiheit|Kontakt|Seite drucken|Nach oben)\b"),
        ("Impressum | Datenschutz",),
    ),
    Rule("copyright", re.compile("©"), ("© Stadt Kaiserslautern 2020",)),
)
CHROME_MAX = 120
"""Chrome lines are short; a long line that mentions a weekday or Facebook is release text."""

CAPTION = Rule(
    "photo caption",
    # A caption the website glued to the release's last sentence: `…Euro.Foto: Max Muster © Stadt …`.
    re.compile(r"(?:^|(?<=[.!?“”\"')]))\s*(Fotos?:[^\n]*©[^\n]*)$"),
    ("…kostete rund 240.000 Euro.Foto: Lena Hartmann © Stadt Kaiserslautern",),
)


# --- titles -----------------------------------------------------------------------------------------------

HEADING_MAX = 200
"""Longer lines are sentences of the body, not a heading."""
SECOND_HEADING_MAX = 120
"""A kicker or a subtitle beside the title is shorter still; a longer line is the body's first paragraph."""
TITLE_MAX = 300
"""A first line longer than this is body text, not a title the export forgot to separate."""
SENTENCE_END = Rule(
    "sentence end",
    re.compile(r"(?<!\.\.)[.:;,][\"“”„'‘’»«)\]]*$"),
    ("Die Fichte stammt aus dem Stadtwald.", "Dazu sagt die Bürgermeisterin:", "„Wir freuen uns.“"),
    ("Weihnachtsbaum leuchtet", "Was kommt nach dem Umzug?", "Und dann ..."),
)

# --- decoding ---------------------------------------------------------------------------------------------

MOJIBAKE = Rule(
    "UTF-8 read as Windows-1252",
    re.compile(
        "Ã[\u00a0-\u00bf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]|Â[\u00a0-\u00bf]|â€[\u0080-\u00bf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]"
    ),
    (
        "Stadtgärtnerei".encode().decode("cp1252"),
        "„Kultur“".encode().decode("cp1252"),
        "Straße".encode().decode("cp1252"),
    ),
    ("SÃO PAULO", "Grünflächen"),
)
