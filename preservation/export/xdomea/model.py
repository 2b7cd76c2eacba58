"""The xdomea 0503 message as plain data, apart from its XML (`render`): only what the export fills in.

Names follow the standard's elements, so the mapping table in the README reads against both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

MESSAGE_TYPE = "Aussonderung.Aussonderung"
MESSAGE_CODE = "0503"
MESSAGE_NAME = f"{MESSAGE_TYPE}.{MESSAGE_CODE}"


@dataclass(frozen=True)
class Contact:
    """Absender or Empfänger: an institution and, optionally, its unit."""

    institution: str
    unit: str | None = None


@dataclass(frozen=True)
class CodeLists:
    """listVersionID of each code list the message uses (from the profile)."""

    nachrichtentyp: str
    dateiformat: str
    vertraulichkeitsstufe: str
    medium: str


@dataclass(frozen=True)
class Header:
    """Kopf."""

    process_id: str
    created: datetime
    """Erstellungszeitpunkt (UTC)."""
    sender: Contact
    recipient: Contact
    receipt_confirmation: bool
    """Empfangsbestaetigung: whether the archive is asked to confirm receipt (0504)."""
    archive_id_feedback: bool
    """RueckmeldungArchivkennung: whether the archive is asked to return its own identifiers."""


@dataclass(frozen=True)
class Format:
    """Version/Format with its Primaerdokument."""

    code: str
    """Dateiformat code."""
    other_name: str | None
    """SonstigerName: the format's name, required for code 100."""
    version: str
    """The format's version ("" when unknown)."""
    file_name: str
    """Primaerdokument/Dateiname: `<UUID>.<ext>` in the container."""
    original_name: str
    created: datetime | None
    bag_path: str
    """The bag file it is taken from (not part of the message; the container's writer reads it)."""


@dataclass(frozen=True)
class Document:
    """Dokument (a release) or Anlage (an attachment of one)."""

    id: str
    number: int
    """NummerImUebergeordnetenContainer."""
    subject: str
    """Betreff."""
    reference: str | None
    """Kennzeichen."""
    remark: str | None
    """Bemerkung."""
    written: date | None
    """DatumDesSchreibens."""
    author: str | None
    """Bearbeiter."""
    formats: tuple[Format, ...]
    """Formats of its one Version."""
    attachments: tuple[Document, ...] = ()


@dataclass(frozen=True)
class Vorgang:
    id: str
    subject: str
    reference: str
    begin: date | None
    end: date | None
    documents: tuple[Document, ...]


@dataclass(frozen=True)
class Message:
    version: str
    """xdomea version, e.g. 3.0.0."""
    header: Header
    code_lists: CodeLists
    vorgang: Vorgang

    @property
    def file_name(self) -> str:
        return f"{self.header.process_id}_{MESSAGE_NAME}.xml"

    @property
    def container_name(self) -> str:
        return f"{self.header.process_id}_{MESSAGE_NAME}.zip"

    def formats(self) -> list[Format]:
        """Every primary document, in message order."""
        found: list[Format] = []
        for document in self.vorgang.documents:
            for item in (document, *document.attachments):
                found.extend(item.formats)
        return found
