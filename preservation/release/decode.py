"""Bytes of a release document → text: the encodings and line ends the archive's exports use."""

from __future__ import annotations

import codecs
import re
import unicodedata
from pathlib import Path

from preservation.errors import ReleaseError

# C0 controls other than tab, line feed, form feed and carriage return never occur in a text export;
# their presence means the file is not text, whatever its name says.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


# Characters XML 1.0 cannot carry, which metadata fields must not hold: a form feed or vertical tab (page
# breaks of old exports) becomes a space, the rest (from character references in HTML, or U+FFFE/U+FFFF)
# is dropped.
_XML_SPACE = re.compile(r"[\x0b\x0c]")
_NOT_XML = re.compile(r"[\x00-\x08\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def for_xml(value: str, replacement: str = "") -> tuple[str, tuple[str, ...]]:
    """`value` without the characters XML cannot carry, and those characters (``U+000C``) if any;
    `replacement` marks where they were (a form feed or vertical tab becomes a space all the same)."""
    found = sorted({f"U+{ord(c):04X}" for c in _XML_SPACE.findall(value) + _NOT_XML.findall(value)})
    if not found:
        return value, ()
    return _NOT_XML.sub(replacement, _XML_SPACE.sub(" ", value)), tuple(found)


def decode(data: bytes, source: Path) -> tuple[str, str]:
    """Return (text, encoding): NFC-normalised, LF line ends, no BOM. Raise ReleaseError for non-text."""
    if b"\x00" in data:
        raise ReleaseError(source, "binary file: contains NUL bytes, not a text or HTML document")
    text, encoding = _decode_bytes(data, source)
    # Judged on the text, so that a file holding only a byte-order mark counts as empty too.
    if not text.strip():
        raise ReleaseError(source, "empty file: no text to read")
    if _CONTROL.search(text):
        raise ReleaseError(source, "binary file: contains control characters, not a text or HTML document")
    return normalise(text), encoding


def _decode_bytes(data: bytes, source: Path) -> tuple[str, str]:
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            message = f"starts with a UTF-8 BOM but is not UTF-8 (byte {exc.start})"
            raise ReleaseError(source, message) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # Valid UTF-8 is almost never produced by accident, so anything else is the legacy Windows encoding
    # of the old exports; cp1252 (not latin-1) because it carries „“ – € in 0x80–0x9f.
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise ReleaseError(
            source, f"binary file: neither UTF-8 nor Windows-1252 (byte 0x{data[exc.start]:02x})"
        ) from None


def normalise(text: str) -> str:
    """CRLF and lone CR become LF; NFC so that decomposed umlauts compare equal to composed ones."""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
