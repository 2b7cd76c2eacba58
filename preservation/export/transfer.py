"""The files beside the serialized bags: transfer list (CSV), transfer manifest, README. Pure functions.

The CSV is for people, and people open it in Excel: UTF-8 *with* a byte order mark (without it Excel
reads UTF-8 as Windows-1252 and garbles every umlaut), semicolons (the list separator of German Excel,
which puts a comma-separated file into one column), CRLF line ends and RFC 4180 quoting. LibreOffice and
Python's csv module (``encoding="utf-8-sig", delimiter=";"``) read it as well.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from preservation.bagit.render import render_manifest

MANIFEST = "manifest-sha512.txt"
TRANSFER_LIST = "transfer-list.csv"
README = "README.txt"
JOURNAL = ".export-journal.jsonl"
"""Progress of an unfinished export; removed once the transfer manifest is in place."""
FIXED_FILES = (README, TRANSFER_LIST, MANIFEST)
"""Written in this order after the bags; the manifest last, so that its presence means complete."""

COLUMNS = ("identifier", "title", "issued", "file", "size", "sha256", "sha512", "payload_files")
_BOM = "\ufeff"


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

    def row(self) -> tuple[str, ...]:
        values = (self.identifier, self.title, self.issued, self.file, self.size)
        return (*map(str, values), self.sha256, self.sha512, str(self.payload_files))


def sort_items(items: Sequence[TransferItem]) -> list[TransferItem]:
    return sorted(items, key=lambda item: item.file.encode())


def render_transfer_list(items: Sequence[TransferItem]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(item.row() for item in sort_items(items))
    return (_BOM + out.getvalue()).encode("utf-8")


def parse_transfer_list(data: bytes) -> list[dict[str, str]]:
    """Rows as column → value; ValueError when the header is not ours."""
    text = data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))
    header = tuple(csv.reader(io.StringIO(text.partition("\r\n")[0]), delimiter=";"))
    if not header or tuple(header[0]) != COLUMNS:
        raise ValueError(f"the header is not {';'.join(COLUMNS)}")
    return rows


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
