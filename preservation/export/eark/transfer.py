"""The names and README of an E-ARK SIP export. Pure; the transfer list and manifest are the bagit
export's (`export.transfer`)."""

from __future__ import annotations

import re

from preservation.export.transfer import MANIFEST, TRANSFER_LIST

PACKAGE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.zip")
"""A SIP's file name: `<OBJID>.zip`, holding the one folder `<OBJID>/`."""


def render_readme(count: int) -> bytes:
    return f"""Übergabe an das Archiv / Transfer to the archive
================================================

Deutsch
-------
Dieser Ordner enthält {count} E-ARK-SIPs (CSIP 2.1, SIP 2.1) der Pressemitteilungen, je eines pro
BagIt-Paket, jedes als ZIP-Datei <OBJID>.zip mit genau einem Ordner <OBJID>/ und darin METS.xml.

  {TRANSFER_LIST}    Liste für Menschen: Kennung, Titel, Datum, Datei, Größe, Prüfsummen
  {MANIFEST}  Prüfsummen (SHA-512) aller SIP-Dateien im BagIt-Manifest-Format

Prüfen nach der Übernahme:
  preservation verify-transfer ORDNER
oder ohne dieses Programm, im Ordner:
  sha512sum -c {MANIFEST}

English
-------
This folder holds {count} E-ARK SIPs (CSIP 2.1, SIP 2.1) of the press releases, one per BagIt bag,
each as a zip file <OBJID>.zip holding exactly one folder <OBJID>/ with METS.xml in it.

  {TRANSFER_LIST}    list for people: identifier, title, date, file, size, checksums
  {MANIFEST}  SHA-512 of every SIP file, in BagIt manifest syntax

To verify on arrival:
  preservation verify-transfer FOLDER
or without this tool, inside the folder:
  sha512sum -c {MANIFEST}
""".encode()
