"""The release as the tool understood it: plain data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

from preservation.validate.findings import Finding

SourceFormat = Literal["text", "html"]
CorrectableField = Literal["title", "issued", "author", "place"]


@dataclass(frozen=True)
class Correction:
    """A field an archivist corrected (`build --corrections`): what the reader had, what it is now, who."""

    field: CorrectableField
    old: str
    """The value as read, as the inspect CSV shows it (ISO date; empty for no author or place)."""
    new: str
    by: str
    """The archivist's name, the PREMIS agent of the metadata modification."""


@dataclass(frozen=True)
class Release:
    """One press release, read from one source document (plus the attachments beside it)."""

    source: Path
    """The release document (a .txt or .html file), as given or found."""
    identifier: str
    """Stable: the release number when the source has one, else derived from issued date and title."""
    title: str
    issued: date
    author: str | None
    place: str | None
    number: str | None
    """The archive's release number (e.g. ``04161``) when the source carries one."""
    notice_in_source: bool
    """Whether the source carried the archive's notice that the release may be outdated."""
    body: str
    """The release text without notice and page chrome; paragraphs separated by one blank line."""
    source_format: SourceFormat
    encoding: str
    """The character encoding the document was decoded with (``utf-8``, ``utf-8-sig``, ``cp1252``, or
    ``utf-8+cp1252`` when its parts differ)."""
    attachments: tuple[Path, ...] = ()
    """Other files of a release folder, sorted by their path relative to it."""
    root: Path | None = None
    """The release folder when the release came as a folder; attachment names are relative to it."""
    top: Path | None = None
    """The SOURCE folder the release was found in (None for a SOURCE file): no link below it is followed
    when its files are read, so a folder swapped for a link after discovery is refused too."""
    warnings: tuple[Finding, ...] = field(default_factory=tuple)
    """What was guessed, dropped or changed while reading; codes of the finding catalogue (family release)."""
    origins: tuple[tuple[str, str], ...] = ()
    """(field, where in the source it was read from): ``("title", "the line above the date line")``."""
    corrections: tuple[Correction, ...] = ()
    """Fields an archivist corrected; the fields above already hold the corrected values, the identifier
    stays the one the reader derived."""

    def attachment_name(self, attachment: Path) -> str:
        """The attachment's name as it goes into the bag: relative to the release folder, POSIX style."""
        base = self.root if self.root is not None else self.source.parent
        return attachment.relative_to(base).as_posix()


@dataclass(frozen=True)
class ReadFailure:
    """A source that could not be read as a release, with one line saying why."""

    source: Path
    message: str
    code: str | None = None
    """The finding code (preservation/validate/catalogue.yaml) when the failure has one."""


@dataclass(frozen=True)
class Skipped:
    """An entry of a source that is not read, with a warning: a link (never followed) or a special file."""

    path: Path
    code: str
    message: str
