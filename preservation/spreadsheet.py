"""CSV for people, who open it in Excel: every CSV this software writes goes through here.

The dialect is what German Excel expects: UTF-8 *with* a byte order mark (without it Excel reads UTF-8 as
Windows-1252 and garbles every umlaut), semicolons (its list separator; it puts a comma-separated file
into one column), CRLF line ends and RFC 4180 quoting. LibreOffice and Python's csv module
(``encoding="utf-8-sig", delimiter=";"``) read it as well.

Cells are values, never formulas (CSV injection, OWASP): a line of a cell that starts, after spaces, with
``= + - @``, their full-width forms ``＝ ＋ － ＠``, a tab or a carriage return would be taken for a formula
by a spreadsheet, so it gets a leading apostrophe, which shows the rest as text. Each line of a cell counts,
as a tool that splits lines may make any line a cell of its own. A line that starts with an apostrophe
gets one more, so that `read_csv` gives back exactly the value that was written.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

_BOM = "\ufeff"
_SPACES = " \u00a0\u3000"
_STARTS = "=+-@\t\r\uff1d\uff0b\uff0d\uff20'"
_LINE_START = r"(?:^|(?<=[\r\n]))"
_RISKY = f"(?=[{_SPACES}]*[{re.escape(_STARTS)}])"
_NEUTRALISE = re.compile(_LINE_START + _RISKY)
_RESTORE = re.compile(_LINE_START + "'" + _RISKY)


def neutralise(cell: str) -> str:
    """`cell` as a spreadsheet shows it as text: an apostrophe before each line it would take for a formula
    (or that starts with an apostrophe)."""
    return _NEUTRALISE.sub("'", cell)


def restore(cell: str) -> str:
    """The value `neutralise` was given."""
    return _RESTORE.sub("", cell)


def render_csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutralise(cell) for cell in header])
    writer.writerows([neutralise(cell) for cell in row] for row in rows)
    return (_BOM + out.getvalue()).encode("utf-8")


def read_csv(data: bytes) -> tuple[list[str], list[list[str]]]:
    """The header and rows of a CSV written by `render_csv`, with the values it was given.
    UnicodeDecodeError or csv.Error when it is not one."""
    return _cells(data.decode("utf-8-sig"), ";")


def read_edited_csv(data: bytes) -> tuple[list[str], list[list[str]]]:
    """`read_csv` for a file a person edited and saved again, as spreadsheets save it: with or without
    the BOM, or in Windows-1252 (German Excel's plain "CSV"), and separated by `;`, `,` or a tab
    (whichever the header line holds, in that order). csv.Error when it cannot be read."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise csv.Error(f"neither UTF-8 nor Windows-1252 (byte {exc.start})") from None
    first = text.split("\n", 1)[0]
    return _cells(text, next((d for d in ";,\t" if d in first), ";"))


def _cells(text: str, delimiter: str) -> tuple[list[str], list[list[str]]]:
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    cells = [[restore(cell) for cell in record] for record in records]
    return (cells[0], cells[1:]) if cells else ([], [])
