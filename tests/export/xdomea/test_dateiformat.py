"""Dateiformat codes, checked against the code list's descriptions (xdomea 2.4.0 annotations)."""

from __future__ import annotations

import pytest

from preservation.export.xdomea.dateiformat import NAMES, dateiformat


@pytest.mark.parametrize(
    ("puid", "mime", "extension", "code"),
    [
        ("fmt/18", "application/pdf", "pdf", "018"),  # PDF 1.4: "pdf - Portable Document Format"
        ("fmt/354", "application/pdf", "pdf", "044"),  # PDF/A-1b: "... (Archival)"
        ("fmt/11", "image/png", "png", "019"),
        ("fmt/43", "image/jpeg", "jpg", "011"),
        ("fmt/43", "image/jpeg", "jpeg", "010"),
        ("fmt/43", "image/jpeg", "JPE", "009"),
        ("fmt/471", "text/html", "html", "008"),
        ("fmt/96", "text/html", "htm", "007"),
        ("fmt/412", None, "docx", "035"),
        (None, "application/vnd.oasis.opendocument.text", "odt", "015"),  # by MIME when the PUID is unknown
        ("x-fmt/111", "text/plain; charset=utf-8", "txt", "045"),  # "txt - Unicode Text File"
        ("x-fmt/111", "text/plain; charset=us-ascii", "txt", "045"),  # ASCII is UTF-8
        ("x-fmt/111", "text/plain", "txt", "100"),  # charset unknown (e.g. Windows-1252): not Unicode text
        ("fmt/199", "video/mp4", "mp4", "100"),
        (None, None, "", "100"),
    ],
)
def test_codes(puid: str | None, mime: str | None, extension: str, code: str) -> None:
    assert dateiformat(puid, mime, extension) == code


def test_every_code_given_is_in_the_code_list() -> None:
    from preservation.export.xdomea import dateiformat as module

    given = {code for code in (*module.BY_PUID.values(), *module.BY_MIME.values()) if code.isdigit()}
    assert given <= set(NAMES)
