"""Website chrome around a release (share blurbs, address, opening hours, copyright) and photo captions."""

from __future__ import annotations

import re

from preservation.release.notice import Paragraph

_WEEKDAY = r"(?:Mo|Di|Mi|Do|Fr|Sa|So)\.?"
_CHROME_LINE = re.compile(
    "|".join(
        [
            # social-media blurbs the website puts above a release
            r"\b(?:Facebook|Instagram|Twitter|YouTube|WhatsApp|LinkedIn|Mastodon|TikTok|Social[- ]Media)\b",
            r"^(?:Seite |Beitrag |Artikel )?(?:[Tt]eilen|[Ff]olgen Sie|Newsletter)\b",
            # the address block, contact lines and opening hours below it
            r"^Stadt(?:verwaltung)? Kaiserslautern$",
            r"(?:^|,\s*)\d{5} [A-ZÄÖÜ][\w-]+$",
            r"^[A-ZÄÖÜ][\w.-]*(?i:straße|str\.|platz|weg|gasse|allee|ring) \d+\w?(?:,|$)",
            r"^(?:Postfach|Telefon|Tel\.|Fax|E-Mail|Internet)\b",
            r"Öffnungszeiten|Sprechzeiten",
            rf"^{_WEEKDAY}\s*(?:[–-]|bis)\s*{_WEEKDAY}",
            r"^(?:Mo|Di|Mi|Do|Fr|Sa|So)\.\s*\d{1,2}[.:]\d{2}\s*(?:[–-]|bis)",
            r"^(?:Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag)\b.*\bUhr$",
            r"^(?:Impressum|Datenschutz|Barrierefreiheit|Kontakt|Seite drucken|Nach oben)\b",
            "©",
        ]
    )
)
_CHROME_MAX = 120
"""Chrome lines are short; a long line that mentions a weekday or Facebook is release text."""

# A caption the website glued to the release's last sentence: `…Euro.Foto: Max Muster © Stadt Kaiserslautern`.
_CAPTION = re.compile(r"(?:^|(?<=[.!?“”\"')]))\s*(Fotos?:[^\n]*©[^\n]*)$")


def is_chrome(paragraph: Paragraph) -> bool:
    """Every line of the paragraph is a short line of the kind the website's frame is made of."""
    return all(len(line) <= _CHROME_MAX and _CHROME_LINE.search(line) for line in paragraph)


def split_caption(line: str) -> tuple[str, str | None]:
    """Return (line without caption, caption) – the caption None when the line carries none."""
    match = _CAPTION.search(line)
    if match is None:
        return line, None
    return line[: match.start()].rstrip(), match.group(1).strip()
