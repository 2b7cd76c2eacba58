"""What `verify-transfer` checks in each xdomea container, beside the transfer manifest's digests: the
message is there and valid against the shipped schema of its version, every primary document it references
is in the container with the checksums its bag's manifests gave (`primary-documents.csv`), and the container
holds nothing else. Nothing is extracted; each document is hashed as a stream from the zip."""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from preservation.bagit.archive import open_zip
from preservation.export.xdomea.transfer import CONTAINER, DOCUMENTS, parse_documents
from preservation.metadata.xsd import XDOMEA_VERSIONS, validate_xdomea, xdomea_namespace
from preservation.validate.findings import Finding, finding
from preservation.xmlns import safe_parser

ALGORITHMS = ("sha256", "sha512")
CHUNK = 1 << 20


def is_xdomea_transfer(listed: dict[str, str]) -> bool:
    """Whether a transfer manifest lists xdomea containers."""
    return any(CONTAINER.fullmatch(name) for name in listed)


def bag_files(listed: dict[str, str]) -> dict[str, str]:
    """The manifest's entries that the transfer list has rows for (the containers)."""
    return {name: digest for name, digest in listed.items() if name != DOCUMENTS}


def container_problems(folder: Path, listed: dict[str, str]) -> Iterator[tuple[str, Finding]]:
    """(file, finding) for every problem in the listed containers; DOCUMENTS problems name it."""
    try:
        documents = parse_documents((folder / DOCUMENTS).read_bytes())
    except FileNotFoundError:
        documents = None  # reported as missing by the manifest check
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        yield DOCUMENTS, finding("xdomea.documents-unreadable", reason=exc)
        documents = None
    for name in listed:
        if CONTAINER.fullmatch(name) and (folder / name).is_file():
            for item in _container(folder / name, documents):
                yield name, item
    if documents is not None:
        for container, file in sorted(documents):
            if container not in listed:
                yield DOCUMENTS, finding("xdomea.container-unlisted", file=file, container=container)


def _container(path: Path, documents: dict[tuple[str, str], dict[str, str]] | None) -> Iterator[Finding]:
    try:
        archive = open_zip(path)
    except (zipfile.BadZipFile, OSError) as exc:
        yield finding("xdomea.container-unreadable", reason=str(exc))
        return
    with archive:
        members = {info.filename: info for info in archive.infolist()}
        message_name = path.name.removesuffix(".zip") + ".xml"
        if message_name not in members:
            yield finding("xdomea.message-missing", name=message_name)
            referenced: list[str] = []
        else:
            try:
                xml = archive.read(message_name)
            except (zipfile.BadZipFile, OSError, ValueError) as exc:
                yield finding("xdomea.container-unreadable", reason=str(exc))
                return
            referenced, problems = _message(message_name, xml)
            yield from problems
        for name in referenced:
            if name not in members:
                yield finding("xdomea.document-missing", name=name)
                continue
            row = documents.get((path.name, name)) if documents is not None else None
            if documents is not None and row is None:
                yield finding("xdomea.document-unlisted", name=name, listing=DOCUMENTS)
            try:
                actual = _digests(archive, name)
            except (zipfile.BadZipFile, OSError, ValueError) as exc:
                yield finding("xdomea.container-unreadable", reason=f"{name}: {exc}")
                continue
            for algorithm in ALGORITHMS:
                expected = row.get(algorithm, "") if row is not None else ""
                if expected and expected != actual[algorithm]:
                    yield finding(
                        "xdomea.document-changed",
                        name=name,
                        algorithm=algorithm,
                        actual=actual[algorithm],
                        expected=expected,
                    )
        for name in sorted(set(members) - set(referenced) - {message_name}):
            yield finding("xdomea.document-unreferenced", name=name)


def _message(name: str, xml: bytes) -> tuple[list[str], list[Finding]]:
    """The primary documents the message references, and its problems."""
    try:
        root = etree.fromstring(xml, safe_parser())
    except etree.XMLSyntaxError as exc:
        return [], [
            finding("xdomea.message-invalid", name=name, version="?", errors=f"line {exc.lineno}: {exc.msg}")
        ]
    namespace = etree.QName(root).namespace or ""
    version = next((v for v in XDOMEA_VERSIONS if xdomea_namespace(v) == namespace), None)
    if version is None:
        unknown = f"namespace {namespace!r} is none of the shipped versions ({', '.join(XDOMEA_VERSIONS)})"
        return [], [finding("xdomea.message-invalid", name=name, version="?", errors=unknown)]
    problems: list[Finding] = []
    errors = validate_xdomea(xml, version)
    if errors:
        problems.append(
            finding("xdomea.message-invalid", name=name, version=version, errors="; ".join(errors[:3]))
        )
    ns = f"{{{namespace}}}"
    referenced = [
        (e.text or "").strip()
        for e in root.iter(f"{ns}Dateiname")
        if e.getparent().tag == f"{ns}Primaerdokument"
    ]
    return referenced, problems


def _digests(archive: zipfile.ZipFile, name: str) -> dict[str, str]:
    hashers = {algorithm: hashlib.new(algorithm) for algorithm in ALGORITHMS}
    with archive.open(name) as stream:
        while chunk := stream.read(CHUNK):
            for hasher in hashers.values():
                hasher.update(chunk)
    return {algorithm: hasher.hexdigest() for algorithm, hasher in hashers.items()}
