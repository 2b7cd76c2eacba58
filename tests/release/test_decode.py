from __future__ import annotations

from pathlib import Path

import pytest

from preservation.errors import ReleaseError
from preservation.release.decode import decode

SOURCE = Path("x.txt")
TEXT = "Größere Übungsräume für „Jugend musiziert“ – 20 € Zuschuss\nZeile zwei\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("cp1252"), "cp1252"),
        (TEXT.replace("\n", "\r\n").encode("cp1252"), "cp1252"),
        (TEXT.replace("\n", "\r").encode("utf-8"), "utf-8"),
    ],
)
def test_encodings_and_line_ends_give_the_same_text(data, encoding):
    assert decode(data, SOURCE) == (TEXT, encoding, ())


def test_decomposed_umlauts_are_composed():
    assert decode("Mu\u0308ller".encode(), SOURCE)[0] == "Müller"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b" \r\n\t\n", "empty file"),
        (b"\xef\xbb\xbf\r\n", "empty file"),
        (b"Text\x00mit NUL", "binary file: contains NUL"),
        (b"Text\x1b[0m mit Steuerzeichen", "binary file: contains control characters"),
        (b"\x81\x8d\x8f", "neither UTF-8 nor Windows-1252"),
        (b"\xef\xbb\xbf\xff", "UTF-8 BOM but is not UTF-8"),
    ],
)
def test_non_text_is_refused(data, reason):
    with pytest.raises(ReleaseError, match=reason):
        decode(data, SOURCE)
