"""The files beside the xdomea containers: the list of primary documents with their bags' checksums, and the
README. Pure functions; the transfer list and manifest are the bagit export's (`export.transfer`).

The xdomea message has no place for checksums, so `primary-documents.csv` carries, for every primary
document, the bag file it was taken from and that bag's manifest digests: what `verify-transfer` checks the
container's bytes against, and what lets the archive trace each file back to its bag. It is listed in the
transfer manifest like the containers, so it cannot change unnoticed either.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass

from preservation.export.transfer import MANIFEST, TRANSFER_LIST
from preservation.export.xdomea.model import MESSAGE_NAME
from preservation.spreadsheet import read_csv, render_csv

DOCUMENTS = "primary-documents.csv"
CONTAINER = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}_" + re.escape(MESSAGE_NAME) + r"\.zip"
)
"""A container's name: `<ProzessID>_Aussonderung.Aussonderung.0503.zip`."""
COLUMNS = ("container", "file", "identifier", "bag", "path", "size", "sha256", "sha512")


@dataclass(frozen=True)
class DocumentRow:
    container: str
    file: str
    """Dateiname in the container."""
    identifier: str
    """The release's."""
    bag: str
    path: str
    """In the bag."""
    size: int
    sha256: str
    sha512: str
    """The bag's manifest digests ("" for an algorithm the bag has no manifest for)."""


def render_documents(rows: Sequence[DocumentRow]) -> bytes:
    """As the transfer list, for Excel (`spreadsheet.render_csv`): an identifier or name that a
    spreadsheet would take for a formula stays text."""
    ordered = sorted(rows, key=lambda r: (r.container, r.file))
    return render_csv(
        COLUMNS,
        (
            (
                row.container,
                row.file,
                row.identifier,
                row.bag,
                row.path,
                str(row.size),
                row.sha256,
                row.sha512,
            )
            for row in ordered
        ),
    )


def parse_documents(data: bytes) -> dict[tuple[str, str], dict[str, str]]:
    """(container, file) → row, with the values `render_documents` was given; ValueError when the file
    is no such list."""
    try:
        header, rows = read_csv(data)
    except csv.Error as exc:
        raise ValueError(str(exc)) from None
    if tuple(header) != COLUMNS:
        raise ValueError(f"the header is not {';'.join(COLUMNS)}")
    if any(len(row) != len(COLUMNS) for row in rows):
        raise ValueError(f"a row without the {len(COLUMNS)} columns of the header")
    parsed = [dict(zip(COLUMNS, row, strict=True)) for row in rows]
    return {(row["container"], row["file"]): row for row in parsed}


def render_readme(containers: int, documents: int, version: str) -> bytes:
    listing, docs, manifest = (name.ljust(len(DOCUMENTS)) for name in (TRANSFER_LIST, DOCUMENTS, MANIFEST))
    return f"""Aussonderung an das Landesarchiv / Transfer to the state archive (xdomea {version})
===================================================================================

Deutsch
-------
Dieser Ordner enthält {containers} xdomea-Container (Nachricht {MESSAGE_NAME}) der Stadt
Kaiserslautern, einen je Jahrgang der Pressemitteilungen:
  <ProzessID>_{MESSAGE_NAME}.zip
mit der Nachricht <ProzessID>_{MESSAGE_NAME}.xml und zusammen {documents}
Primärdokumenten (<UUID>.<Endung>).

  {listing}  Liste der Container: ProzessID, Betreff, Laufzeit, Datei, Größe, Prüfsummen
  {docs}  jedes Primärdokument mit seinem Bag und dessen Prüfsummen (SHA-256, SHA-512)
  {manifest}  Prüfsummen (SHA-512) der Container und von {DOCUMENTS}

Prüfen nach der Übernahme:
  preservation verify-transfer ORDNER
oder ohne dieses Programm, im Ordner:
  sha512sum -c {MANIFEST}

English
-------
This folder holds {containers} xdomea containers (message {MESSAGE_NAME}) of the city of
Kaiserslautern, one per year of press releases:
  <ProcessID>_{MESSAGE_NAME}.zip
holding the message <ProcessID>_{MESSAGE_NAME}.xml and, together, {documents}
primary documents (<UUID>.<ext>).

  {listing}  list of containers: process ID, subject, period, file, size, checksums
  {docs}  every primary document with its bag and that bag's checksums (SHA-256, SHA-512)
  {manifest}  SHA-512 of the containers and of {DOCUMENTS}

To verify on arrival:
  preservation verify-transfer FOLDER
or without this tool, inside the folder:
  sha512sum -c {MANIFEST}
""".encode()
