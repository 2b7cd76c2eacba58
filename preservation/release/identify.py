"""Stable identifiers: the archive's release number, or the issued date and a slug of the title."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import date
from pathlib import PurePath

_NUMBER_SEGMENT = re.compile(r"\d{3,6}")
_ARCHIVE_FOLDER = "pressemitteilungen"
_FOLD = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss", "ẞ": "SS"}
)
SLUG_MAX = 80
"""Characters of title slug kept in a derived identifier; longer titles are cut and get a hash suffix."""


def number_from_path(path: PurePath) -> str | None:
    """The release number of the archive's URL layout: the folder right below `pressemitteilungen/`."""
    parts = path.parts
    for folder, segment in zip(parts, parts[1:], strict=False):
        if folder.casefold() == _ARCHIVE_FOLDER and _NUMBER_SEGMENT.fullmatch(segment):
            return segment
    return None


def slug(text: str) -> str:
    """ASCII, lower case, words joined by hyphens; umlauts spelled out the German way (ä → ae)."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFC", text).translate(_FOLD))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")


def identifier(number: str | None, issued: date, title: str) -> str:
    """The number when there is one; else `YYYY-MM-DD-title-slug`, bounded in length.

    A cut slug gets the first 8 hex digits of the full slug's SHA-256, so two long titles that share their
    first words on the same day still get different identifiers.
    """
    if number is not None:
        return number
    full = slug(title) or "ohne-titel"
    if len(full) <= SLUG_MAX:
        return f"{issued.isoformat()}-{full}"
    cut = full[:SLUG_MAX].rsplit("-", 1)[0] if "-" in full[:SLUG_MAX] else full[:SLUG_MAX]
    digest = hashlib.sha256(full.encode("ascii")).hexdigest()[:8]
    return f"{issued.isoformat()}-{cut}-{digest}"
