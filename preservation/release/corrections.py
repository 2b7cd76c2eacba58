"""Corrections an archivist makes: the inspect CSV out, the same CSV (or a YAML file) back, applied.

`inspect --format csv` writes one row per release (`inspect_csv`). The archivist edits it, in Excel or
anything else, and gives it to `build --corrections`: `read_corrections` reads it, `apply_corrections`
sets the corrected fields on the releases read by the build. A cell that equals what the reader found is
no correction; every other one is, and is kept on the release (`Release.corrections`) for the PREMIS
event. The identifier never changes: it names the bag, and a bag's name is not metadata to correct.

The column headers are English and stable, like the keys of `inspect --format json` whose values they
hold. Anything that makes a file inapplicable is a CorrectionsError naming the file, row and column,
raised before anything is built.
"""

from __future__ import annotations

import csv
import dataclasses
import getpass
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, get_args

import yaml

from preservation.errors import PreservationError
from preservation.release.model import CorrectableField, Correction, Release
from preservation.sourcefile import open_regular
from preservation.spreadsheet import read_edited_csv, render_csv
from preservation.validate.findings import finding

COLUMNS = ("source", "identifier", "title", "issued", "author", "place", "notice", "warnings")
"""The inspect CSV's columns, in order. Identifier, notice and warnings are there to help the archivist;
what a corrections file holds in them is not read."""
CORRECTABLE: tuple[CorrectableField, ...] = get_args(CorrectableField)
CORRECTED_BY = "corrected_by"
"""An optional column (a key in YAML): who made the row's corrections."""
KNOWN = (*COLUMNS, CORRECTED_BY)
YES, NO = "yes", "no"
MAX_BYTES = 64 * 1024 * 1024
"""A corrections file of one row per release is a few MB for the whole archive; larger is not one."""

_UNCARRIED = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")
"""Line breaks and controls (categories Cc, Zl, Zp, Cs), U+FFFE and U+FFFF: bag-info and XML carry none."""
_GERMAN_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")


class CorrectionsError(PreservationError):
    """A corrections file that cannot be applied: named with its row and column."""


@dataclass(frozen=True)
class CorrectionRow:
    """One row of a corrections file: the release it names and the values of the columns it has."""

    source: Path
    row: int
    """As a spreadsheet numbers it: the header is row 1 (in YAML, the entry's number, from 1)."""
    values: Mapping[CorrectableField, str | None]
    """The correctable columns present; None for an emptied author or place."""
    by: str | None = None


@dataclass(frozen=True)
class Corrections:
    file: Path
    rows: tuple[CorrectionRow, ...]


def inspect_csv(releases: Iterable[Release]) -> bytes:
    """The inspect CSV: one row per release, for Excel (see preservation.spreadsheet)."""
    return render_csv(COLUMNS, [_row(release) for release in releases])


def _row(release: Release) -> list[str]:
    return [
        str(release.source),
        release.identifier,
        *(_shown(release, name) for name in CORRECTABLE),
        YES if release.notice_in_source else NO,
        "\n".join(f"{w.code}: {w.message}" for w in release.warnings),
    ]


def _shown(release: Release, name: CorrectableField) -> str:
    """A field as the CSV and the PREMIS event show it."""
    value = getattr(release, name)
    return value.isoformat() if isinstance(value, date) else value or ""


def read_corrections(path: Path) -> Corrections:
    """The rows of a CSV (as inspect writes it, or as Excel saves it) or YAML (``.yaml``, ``.yml``) file."""
    try:
        with open_regular(path) as stream:
            data = stream.read(MAX_BYTES + 1)
    except OSError as exc:
        raise _error(path, "corrections.unreadable", reason=exc.strerror or exc) from None
    if len(data) > MAX_BYTES:
        raise _error(path, "corrections.unreadable", reason=f"larger than {MAX_BYTES} bytes")
    if path.suffix.lower() in (".yaml", ".yml"):
        records = _yaml_records(path, data)
    else:
        records = _csv_records(path, data)
    parsed = [_parse(path, row, record) for row, record in records if any(v.strip() for v in record.values())]
    return Corrections(path, tuple(parsed))


def _csv_records(path: Path, data: bytes) -> list[tuple[int, dict[str, str]]]:
    try:
        header, rows = read_edited_csv(data)
    except csv.Error as exc:
        raise _error(path, "corrections.unreadable", reason=exc) from None
    if not header:
        return []
    _check_columns(path, 1, header)
    twice = next((column for n, column in enumerate(header) if column in header[:n]), None)
    if twice is not None:
        raise _error(path, "corrections.unreadable", reason=f"row 1: column '{twice}' appears twice")
    if "source" not in header:
        raise _error(path, "corrections.column-missing", row=1, column="source")
    for row, cells in enumerate(rows, start=2):
        if any(cell.strip() for cell in cells[len(header) :]):
            reason = f"a value beyond the last of the {len(header)} columns"
            raise _error(path, "corrections.value-invalid", row=row, column=len(header) + 1, reason=reason)
    return [(row, dict(zip(header, cells, strict=False))) for row, cells in enumerate(rows, start=2)]


def _yaml_records(path: Path, data: bytes) -> list[tuple[int, dict[str, str]]]:
    """``corrections:`` (a list of mappings) and an optional ``corrected_by:`` for all; or a bare list."""
    try:
        document = yaml.safe_load(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise _error(path, "corrections.unreadable", reason=str(exc).replace("\n", " ")) from None
    everyone: Any = None
    if isinstance(document, dict):
        unknown = [str(k) for k in document if k not in ("corrections", CORRECTED_BY)]
        if unknown:
            reason = f"unknown key '{unknown[0]}' (expected corrections, {CORRECTED_BY})"
            raise _error(path, "corrections.unreadable", reason=reason)
        everyone, document = document.get(CORRECTED_BY), document.get("corrections")
    if not isinstance(document, list):
        raise _error(
            path, "corrections.unreadable", reason="expected a list of corrections under 'corrections:'"
        )
    records = []
    for row, entry in enumerate(document, start=1):
        if not isinstance(entry, dict):
            raise _error(path, "corrections.unreadable", reason=f"entry {row} is not a mapping")
        _check_columns(path, row, [str(k) for k in entry])
        if everyone is not None:
            entry = {CORRECTED_BY: everyone, **entry}
        records.append((row, {str(k): _yaml_text(path, row, str(k), v) for k, v in entry.items()}))
    return records


def _yaml_text(path: Path, row: int, column: str, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):  # an unquoted 2024-12-05
        return value.isoformat()
    if isinstance(value, str):
        return value
    reason = f"{value!r} is not text; put it in quotes"
    raise _error(path, "corrections.value-invalid", row=row, column=column, reason=reason)


def _check_columns(path: Path, row: int, columns: Sequence[str], known: Sequence[str] = KNOWN) -> None:
    for column in columns:
        if column not in known:
            raise _error(path, "corrections.column-unknown", row=row, column=column, known=", ".join(known))


def _parse(path: Path, row: int, record: Mapping[str, str]) -> CorrectionRow:
    source = record.get("source", "").strip()
    if not source:
        raise _error(path, "corrections.value-invalid", row=row, column="source", reason="empty")
    values: dict[CorrectableField, str | None] = {}
    for name in CORRECTABLE:
        if name in record:
            values[name] = _value(path, row, name, record[name])
    by = _text(path, row, CORRECTED_BY, record.get(CORRECTED_BY, "")) or None
    return CorrectionRow(Path(source), row, values, by)


def _value(path: Path, row: int, column: CorrectableField, cell: str) -> str | None:
    text = _text(path, row, column, cell)
    if column == "issued":
        return _date(path, row, text).isoformat()
    if column == "title" and not text:
        raise _error(
            path, "corrections.value-invalid", row=row, column=column, reason="a release needs a title"
        )
    return text or None


def _text(path: Path, row: int, column: str, cell: str) -> str:
    """The cell without surrounding space; one line of characters a bag's metadata can carry."""
    text = cell.strip()
    bad = uncarried(text)
    if bad:
        what = ", ".join(f"U+{ord(c):04X}" for c in bad)
        reason = f"holds a line break or control character ({what}); one line of text is expected"
        raise _error(path, "corrections.value-invalid", row=row, column=column, reason=reason)
    return text


def uncarried(text: str) -> list[str]:
    """The characters of `text` that bag-info and the XML records cannot carry, sorted."""
    return sorted(set(_UNCARRIED.findall(text)))


def _date(path: Path, row: int, text: str) -> date:
    """ISO (as written) or German (as German Excel saves a date it recognised)."""
    try:
        if match := _GERMAN_DATE.fullmatch(text):
            day, month, year = (int(part) for part in match.groups())
            return date(year, month, day)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise _error(path, "corrections.date-invalid", row=row, column="issued", value=text)


def apply_corrections(
    releases: Sequence[Release], corrections: Corrections, corrected_by: str
) -> list[Release]:
    """`releases` with the corrected fields set and recorded; `corrected_by` names the archivist of rows
    that name none. A row names a release by its document, or by its release folder. CorrectionsError
    for a row whose source is not one of `releases`, or names one that an earlier row names."""
    by_source = {_key(release.source): i for i, release in enumerate(releases)}
    by_source.update({_key(r.root): i for i, r in enumerate(releases) if r.root is not None})
    result = list(releases)
    first: dict[int, CorrectionRow] = {}
    for row in corrections.rows:
        index = by_source.get(_key(row.source))
        if index is None:
            code = (
                "corrections.source-not-built"
                if os.path.lexists(row.source)
                else "corrections.source-unknown"
            )
            raise _error(corrections.file, code, row=row.row, source=row.source)
        if index in first:
            raise _error(
                corrections.file,
                "corrections.row-duplicate",
                row=row.row,
                source=row.source,
                first=first[index].row,
            )
        first[index] = row
        result[index] = corrected(result[index], row.values, row.by or corrected_by)
    return result


def corrected(release: Release, values: Mapping[CorrectableField, str | None], by: str) -> Release:
    """`release` with `values` where they differ from what it holds, each difference recorded."""
    changes: dict[str, object] = {}
    records: list[Correction] = []
    for name, value in values.items():
        old = _shown(release, name)
        if (value or "") == old:
            continue
        changes[name] = date.fromisoformat(value) if name == "issued" and value else value
        records.append(Correction(name, old, value or "", by))
    if not records:
        return release
    return dataclasses.replace(release, **changes, corrections=(*release.corrections, *records))  # type: ignore[arg-type]


def _key(source: Path) -> str:
    """The same file however it was named: relative or absolute, with or without ``./``."""
    return os.path.normpath(os.path.abspath(source))


def _error(path: Path, code: str, **params: object) -> CorrectionsError:
    return CorrectionsError(path, finding(code, None, **params).message, code=code)


def archivist() -> str:
    """Who corrects, when neither the file nor `--corrected-by` says: the login name."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in a container without a passwd entry
        return "unknown archivist"
