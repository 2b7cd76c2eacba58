"""Bytes of a release document → text: the encodings and line ends the archive's exports use."""

from __future__ import annotations

import codecs
import re
import unicodedata
from pathlib import Path
from typing import NamedTuple

from preservation.errors import ReleaseError
from preservation.validate.findings import Finding, finding

# C0 controls other than tab, line feed, form feed and carriage return never occur in a text export;
# their presence means the file is not text, whatever its name says.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


# Characters XML 1.0 cannot carry, which metadata fields must not hold: a form feed or vertical tab (page
# breaks of old exports) becomes a space, the rest (from character references in HTML, or U+FFFE/U+FFFF)
# is dropped.
_XML_SPACE = re.compile(r"[\x0b\x0c]")
_NOT_XML = re.compile(r"[\x00-\x08\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_ESCAPED = re.compile(r"[\udc80-\udcff]+")
"""Bytes that are not UTF-8, as ``surrogateescape`` gives them back."""
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def for_xml(value: str) -> tuple[str, tuple[str, ...]]:
    """`value` without the characters XML cannot carry, and those characters (``U+000C``) if any."""
    found = sorted({f"U+{ord(c):04X}" for c in _XML_SPACE.findall(value) + _NOT_XML.findall(value)})
    if not found:
        return value, ()
    return _NOT_XML.sub("", _XML_SPACE.sub(" ", value)), tuple(found)


class Decoded(NamedTuple):
    text: str
    """NFC-normalised, LF line ends, no BOM."""
    encoding: str
    """``utf-8``, ``utf-8-sig``, ``cp1252``, or ``utf-8+cp1252`` (``utf-8-sig+cp1252``) for a mixed file."""
    warnings: tuple[Finding, ...] = ()


def decode(data: bytes, source: Path) -> Decoded:
    """Bytes of a release document as text. Raise ReleaseError for non-text."""
    if b"\x00" in data:
        raise ReleaseError(source, "binary file: contains NUL bytes, not a text or HTML document")
    text, encoding, warnings = _decode_bytes(data, source)
    # Judged on the text, so that a file holding only a byte-order mark counts as empty too.
    if not text.strip():
        raise ReleaseError(source, "empty file: no text to read")
    if _CONTROL.search(text):
        raise ReleaseError(source, "binary file: contains control characters, not a text or HTML document")
    return Decoded(normalise(text), encoding, warnings)


def _decode_bytes(data: bytes, source: Path) -> Decoded:
    bom = data.startswith(codecs.BOM_UTF8)
    body = data[len(codecs.BOM_UTF8) :] if bom else data
    # Bytes that are not UTF-8 come back as lone surrogates, so the valid parts can be told from the rest.
    text = body.decode("utf-8", "surrogateescape")
    runs = list(_ESCAPED.finditer(text))
    if not runs:
        return Decoded(text, "utf-8-sig" if bom else "utf-8")
    if _NON_ASCII.search(_ESCAPED.sub("", text)):
        # Both: e.g. a notice pasted in UTF-8 above a body typed in Windows-1252. Each part is decoded as
        # what it is, rather than the whole file as either (a mojibake notice, or a refused file).
        decoded = _ESCAPED.sub(lambda run: _cp1252(_escaped_bytes(run[0]), source), text)
        line = text.count("\n", 0, runs[0].start()) + 1
        found = finding("release.encoding-mixed", count=len(runs), line=line)
        return Decoded(decoded, "utf-8-sig+cp1252" if bom else "utf-8+cp1252", (found,))
    if bom:
        at = runs[0].start()
        message = f"starts with a UTF-8 BOM but is not UTF-8 (byte {len(text[:at].encode())})"
        raise ReleaseError(source, message)
    # Valid UTF-8 is almost never produced by accident, so anything else is the legacy Windows encoding
    # of the old exports; cp1252 (not latin-1) because it carries „“ – € in 0x80–0x9f.
    return Decoded(_cp1252(data, source), "cp1252")


def _escaped_bytes(run: str) -> bytes:
    return bytes(ord(c) - 0xDC00 for c in run)


def _cp1252(data: bytes, source: Path) -> str:
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise ReleaseError(
            source, f"binary file: neither UTF-8 nor Windows-1252 (byte 0x{exc.object[exc.start]:02x})"
        ) from None


def normalise(text: str) -> str:
    """CRLF and lone CR become LF; NFC so that decomposed umlauts compare equal to composed ones."""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
