"""What `verify-transfer` checks in each E-ARK SIP, beside the transfer manifest's digests: the SIP holds
one folder named like the file (its OBJID) with METS.xml in it; every METS document (the package's, and
each representation's that it references) is valid against METS with the CSIP extension; every file a METS
references (FLocat or mdRef) is in the SIP with the size and checksum the METS gives; and the SIP holds
nothing that no METS references. Nothing is extracted; each file is hashed as a stream from the zip."""

from __future__ import annotations

import hashlib
import posixpath
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

from lxml import etree

from preservation.bagit.archive import open_zip
from preservation.export.eark.mapping import METS_NAME
from preservation.export.eark.schema import mets_errors
from preservation.export.eark.transfer import PACKAGE
from preservation.validate.findings import Finding, finding
from preservation.xmlns import METS_NS, XLINK_NS, safe_parser

CHUNK = 1 << 20
_M = f"{{{METS_NS}}}"
_HREF = f"{{{XLINK_NS}}}href"
_ALGORITHMS = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def is_eark_transfer(listed: dict[str, str]) -> bool:
    """Whether a transfer manifest lists E-ARK SIPs."""
    return any(PACKAGE.fullmatch(name) for name in listed)


def package_problems(folder: Path, listed: dict[str, str]) -> Iterator[tuple[str, Finding]]:
    """(file, finding) for every problem in the listed SIPs."""
    for name in listed:
        if PACKAGE.fullmatch(name) and (folder / name).is_file():
            for item in _package(folder / name):
                yield name, item


def _package(path: Path) -> Iterator[Finding]:
    root = path.name.removesuffix(".zip")
    try:
        archive = open_zip(path)
    except (zipfile.BadZipFile, OSError) as exc:
        yield finding("eark.package-unreadable", reason=str(exc))
        return
    with archive:
        files = {i.filename: i for i in archive.infolist() if not i.is_dir()}
        for name in sorted(n for n in files if not n.startswith(f"{root}/")):
            yield finding("eark.root-mismatch", name=name, root=f"{root}/")
        referenced: set[str] = set()
        pending = [f"{root}/{METS_NAME}"]
        while pending:
            mets = pending.pop(0)
            referenced.add(mets)
            if mets not in files:
                yield finding("eark.mets-missing", name=mets)
                continue
            try:
                xml = archive.read(mets)
                document = etree.fromstring(xml, safe_parser())
            except (zipfile.BadZipFile, OSError, ValueError, etree.XMLSyntaxError) as exc:
                yield finding("eark.package-unreadable", reason=f"{mets}: {exc}")
                continue
            errors = mets_errors(xml)
            if errors:
                yield finding("eark.mets-invalid", errors="; ".join(f"{mets}: {e}" for e in errors[:3]))
            for described, href in _references(document):
                name = posixpath.normpath(posixpath.join(posixpath.dirname(mets), unquote(href)))
                if name in referenced:
                    continue
                referenced.add(name)
                if name not in files:
                    yield finding("eark.file-missing", name=name, mets=mets)
                    continue
                if posixpath.basename(name) == METS_NAME:
                    pending.append(name)  # a representation's METS: its own files are checked from it
                yield from _check(archive, files[name], described, mets)
        for name in sorted(set(files) - referenced):
            yield finding("eark.file-unreferenced", name=name)


def _references(document: etree._Element) -> Iterator[tuple[etree._Element, str]]:
    """(the element with SIZE and CHECKSUM, href) of every file and mdRef."""
    for element in document.iter(f"{_M}file", f"{_M}mdRef"):
        locator = element if element.tag == f"{_M}mdRef" else element.find(f"{_M}FLocat")
        href = locator.get(_HREF) if locator is not None else None
        if href:
            yield element, href


def _check(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, described: etree._Element, mets: str
) -> Iterator[Finding]:
    algorithm = _ALGORITHMS.get(described.get("CHECKSUMTYPE") or "")
    expected = (described.get("CHECKSUM") or "").lower()
    size = described.get("SIZE")
    if size is not None and size != str(info.file_size):
        yield finding(
            "eark.file-changed",
            name=info.filename,
            mets=mets,
            algorithm="size",
            actual=info.file_size,
            expected=size,
        )
    if algorithm is None or not expected:
        return
    hasher = hashlib.new(algorithm)
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(CHUNK):
                hasher.update(chunk)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        yield finding("eark.package-unreadable", reason=f"{info.filename}: {exc}")
        return
    if hasher.hexdigest() != expected:
        yield finding(
            "eark.file-changed",
            name=info.filename,
            mets=mets,
            algorithm=described.get("CHECKSUMTYPE"),
            actual=hasher.hexdigest(),
            expected=expected,
        )
