"""PRONOM PUID / MIME type → xdomea `Dateiformat` code (code list `urn:xoev-de:xdomea:codeliste:dateiformat`).

Rules as data: a code comes from the file's PUID when the table knows it, else from its MIME type, else it is
`100` "Sonstiges" (and the message names the format in `SonstigerName`). Where the code list has one code
per file-name extension of the same format (htm/html, jpe/jpeg/jpg, tif/tiff), the original name's extension
chooses among them. Plain text is `045` "Unicode Text File" only when its charset is a Unicode one (or
ASCII, a subset of UTF-8); text in an unknown or legacy charset is not Unicode text, so it is `100`.

The codes' meanings are annotated in xdomea 2.4.0's `xdomea-Datentypen.xsd` (the 3.x schemas leave them out).

>>> dateiformat("fmt/276", "application/pdf", "pdf")
'018'
>>> dateiformat("fmt/354", "application/pdf", "pdf")
'044'
>>> dateiformat(None, "image/jpeg", "jpeg")
'010'
>>> dateiformat("x-fmt/111", "text/plain; charset=utf-8", "txt")
'045'
>>> dateiformat("x-fmt/111", "text/plain", "txt")
'100'
>>> dateiformat("fmt/199", "video/mp4", "mp4")
'100'
"""

from __future__ import annotations

OTHER = "100"
"""Sonstiges."""

NAMES = {
    "001": "bmp - Windows Bitmap",
    "002": "csv - Comma Separated Values",
    "003": "doc - Microsoft Word for Windows Document",
    "006": "eml - Outlook Express Electronic Mail",
    "007": "htm - Hypertext Markup Language",
    "008": "html - Hypertext Markup Language",
    "009": "jpe - JPEG File Interchange Format",
    "010": "jpeg - JPEG File Interchange Format",
    "011": "jpg - JPEG File Interchange Format",
    "012": "msg - Microsoft Outlook Email Message",
    "013": "odp - OpenDocument Presentation Format",
    "014": "ods - OpenDocument Spreadsheet Format",
    "015": "odt - OpenDocument Text Format",
    "018": "pdf - Portable Document Format",
    "019": "png - Portable Network Graphics",
    "020": "ppt - Microsoft PowerPoint",
    "021": "ps - PostScript",
    "022": "rtf - Rich Text Format",
    "023": "tif - Tagged Image File Format",
    "024": "tiff - Tagged Image File Format",
    "028": "xls - Binary Interchange File Format (BIFF) Worksheet",
    "030": "xml - eXtensible Markup Language",
    "035": "docx - Office Open XML Text",
    "036": "xlsx - Office Open XML Spreadsheet",
    "037": "pptx - Office Open XML Presentation",
    "044": "pdf - Portable Document Format (Archival)",
    "045": "txt - Unicode Text File",
    OTHER: "Sonstiges",
}
"""The codes this module gives, with the code list's description (2.4.0 annotation)."""

_HTML, _JPEG, _TIFF, _TEXT = "html", "jpeg", "tiff", "text"
"""Families resolved further by extension or charset (see `_FAMILIES`)."""

BY_PUID: dict[str, str] = {
    **dict.fromkeys(("fmt/14", "fmt/15", "fmt/16", "fmt/17", "fmt/18", "fmt/19", "fmt/20"), "018"),
    **dict.fromkeys(("fmt/276", "fmt/1129"), "018"),  # PDF 1.7, PDF 2.0
    # PDF/A-1a, -1b, -2a, -2b, -2u, -3a, -3b, -3u
    **dict.fromkeys(("fmt/95", "fmt/354", "fmt/476", "fmt/477", "fmt/478", "fmt/479", "fmt/480"), "044"),
    "fmt/481": "044",
    **dict.fromkeys(("fmt/11", "fmt/12", "fmt/13"), "019"),  # PNG 1.0, 1.1, 1.2
    **dict.fromkeys(("fmt/41", "fmt/42", "fmt/43", "fmt/44", "fmt/645", "x-fmt/398"), _JPEG),
    **dict.fromkeys(("fmt/353", "fmt/152"), _TIFF),
    **dict.fromkeys(("fmt/96", "fmt/97", "fmt/98", "fmt/99", "fmt/100", "fmt/102", "fmt/103"), _HTML),
    "fmt/471": _HTML,  # HTML 5
    "x-fmt/111": _TEXT,
    "x-fmt/18": "002",  # CSV
    "fmt/101": "030",  # XML
    **dict.fromkeys(("fmt/116", "fmt/117", "fmt/118", "fmt/119"), "001"),  # BMP 1.0, 2.0, 3.0, 4.0
    **dict.fromkeys(("fmt/39", "fmt/40"), "003"),  # Word 6.0/95, 97-2003
    "fmt/412": "035",
    **dict.fromkeys(("fmt/59", "fmt/61", "fmt/62"), "028"),  # Excel 5.0/95, 97, 2000-2003
    "fmt/214": "036",
    "fmt/126": "020",
    "fmt/215": "037",
    "fmt/278": "006",  # Internet message (EML)
    "x-fmt/430": "012",  # Outlook msg
}

BY_MIME: dict[str, str] = {
    "application/pdf": "018",
    "image/png": "019",
    "image/jpeg": _JPEG,
    "image/tiff": _TIFF,
    "image/bmp": "001",
    "text/html": _HTML,
    "application/xhtml+xml": _HTML,
    "text/plain": _TEXT,
    "text/csv": "002",
    "application/xml": "030",
    "text/xml": "030",
    "application/msword": "003",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "035",
    "application/vnd.ms-excel": "028",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "036",
    "application/vnd.ms-powerpoint": "020",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "037",
    "application/vnd.oasis.opendocument.text": "015",
    "application/vnd.oasis.opendocument.spreadsheet": "014",
    "application/vnd.oasis.opendocument.presentation": "013",
    "application/rtf": "022",
    "text/rtf": "022",
    "application/postscript": "021",
    "message/rfc822": "006",
    "application/vnd.ms-outlook": "012",
}

_FAMILIES: dict[str, tuple[dict[str, str], str]] = {
    _HTML: ({"htm": "007"}, "008"),
    _JPEG: ({"jpe": "009", "jpeg": "010"}, "011"),
    _TIFF: ({"tif": "023"}, "024"),
}
"""Family → (extension → code, the code for any other extension)."""

_UNICODE_CHARSETS = ("utf-8", "utf-16", "utf-32", "us-ascii")


def dateiformat(puid: str | None, mime: str | None, extension: str) -> str:
    """The Dateiformat code of a file (see the module's docstring); `extension` without the dot."""
    media, _, params = (mime or "").partition(";")
    found = BY_PUID.get(puid or "") or BY_MIME.get(media.strip().lower())
    if found is None:
        return OTHER
    if found == _TEXT:
        charset = params.strip().lower().removeprefix("charset=").strip('"')
        return "045" if charset in _UNICODE_CHARSETS else OTHER
    if found in _FAMILIES:
        by_extension, otherwise = _FAMILIES[found]
        return by_extension.get(extension.lower(), otherwise)
    return found
