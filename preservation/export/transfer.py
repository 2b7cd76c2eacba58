"""The files beside the serialized bags: transfer list (CSV), transfer manifest, README. Pure functions.

The CSV is for people, and people open it in Excel: see `preservation.spreadsheet` for its dialect, and
for why a title such as ``=HYPERLINK(…)`` is written as ``'=HYPERLINK(…)``.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass

from preservation.bagit.render import render_manifest
from preservation.hashing import Digests
from preservation.spreadsheet import read_csv, render_csv

MANIFEST = "manifest-sha512.txt"
TRANSFER_LIST = "transfer-list.csv"
README = "README.txt"
JOURNAL = ".export-journal.jsonl"
"""Progress of an unfinished export; removed once the transfer manifest is in place."""
FIXED_FILES = (README, TRANSFER_LIST, MANIFEST)
"""Written in this order after the bags; the manifest last, so that its presence means complete."""

COLUMNS = ("identifier", "title", "issued", "file", "size", "sha256", "sha512", "payload_files")


@dataclass(frozen=True)
class TransferItem:
    """One serialized bag of a transfer: a row of the list, a line of the manifest."""

    file: str
    size: int
    sha256: str
    sha512: str
    identifier: str
    title: str
    issued: str
    payload_files: int

    @classmethod
    def written(
        cls, file: str, digests: Digests, *, identifier: str, title: str, issued: str, payload_files: int
    ) -> TransferItem:
        """The item of `file` as written: its size and digests (`files.ALGORITHMS`) from `digests`."""
        values = digests.values
        return cls(
            file, digests.size, values["sha256"], values["sha512"], identifier, title, issued, payload_files
        )

    def row(self) -> tuple[str, ...]:
        values = (self.identifier, self.title, self.issued, self.file, self.size)
        return (*map(str, values), self.sha256, self.sha512, str(self.payload_files))


def sort_items(items: Sequence[TransferItem]) -> list[TransferItem]:
    return sorted(items, key=lambda item: item.file.encode())


def render_transfer_list(items: Sequence[TransferItem]) -> bytes:
    return render_csv(COLUMNS, [item.row() for item in sort_items(items)])


def parse_transfer_list(data: bytes) -> list[dict[str, str]]:
    """Rows as column → value, as they were written; ValueError when the header is not ours, or the CSV
    is malformed."""
    try:
        header, rows = read_csv(data)
    except csv.Error as exc:
        raise ValueError(f"not a valid CSV: {exc}") from None
    if tuple(header) != COLUMNS:
        raise ValueError(f"the header is not {';'.join(COLUMNS)}")
    return [dict(zip(COLUMNS, row, strict=False)) for row in rows if row]


def render_transfer_manifest(items: Sequence[TransferItem]) -> bytes:
    """BagIt manifest syntax (``digest  name``), which ``sha512sum -c`` reads as well."""
    return render_manifest((item.file, item.sha512) for item in items)


def render_readme(items: Sequence[TransferItem], serialization: str) -> bytes:
    count = len(items)
    return f"""Übergabe an das Landesarchiv / Transfer to the state archive
=============================================================

Deutsch
-------
Dieser Ordner enthält {count} BagIt-Pakete (RFC 8493) der Stadt Kaiserslautern, jedes als eine
Datei ({serialization}) mit genau einem Ordner, der wie das Paket heißt.

  {TRANSFER_LIST}    Liste für Menschen: Kennung, Titel, Datum, Datei, Größe, Prüfsummen
                       (UTF-8, Semikolon-getrennt, öffnet sich in Excel)
  {MANIFEST}  Prüfsummen (SHA-512) aller Paketdateien im BagIt-Manifest-Format

Prüfen nach der Übernahme:
  preservation verify-transfer ORDNER
oder ohne dieses Programm, im Ordner:
  sha512sum -c {MANIFEST}
und danach jedes Paket mit einem BagIt-Validator prüfen (z. B. nach dem Entpacken:
  bagit.py --validate PAKETORDNER).

English
-------
This folder holds {count} BagIt bags (RFC 8493) of the city of Kaiserslautern, each as one file
({serialization}) holding exactly one folder named like the bag.

  {TRANSFER_LIST}    list for people: identifier, title, date, file, size, checksums
                       (UTF-8, semicolon-separated, opens in Excel)
  {MANIFEST}  SHA-512 of every bag file, in BagIt manifest syntax

To verify on arrival:
  preservation verify-transfer FOLDER
or without this tool, inside the folder:
  sha512sum -c {MANIFEST}
then validate each bag with any BagIt validator (e.g. after unpacking:
  bagit.py --validate BAGFOLDER).
""".encode()
