"""One validated bag → one E-ARK SIP (CSIP 2.1, SIP 2.1): its METS documents and the bytes of its
metadata, documentation and schema files. Pure: the caller reads the bag and writes the package.

Layout (the README's "E-ARK SIP" table says where each part comes from):

    <OBJID>/METS.xml
    <OBJID>/metadata/descriptive/dc.xml           the bag's metadata/dc.xml, byte for byte
    <OBJID>/metadata/preservation/premis.xml      the PREMIS objects, events, agents and rights of the
                                                   bag's METS, as one PREMIS 3 document
    <OBJID>/representations/rep1/METS.xml
    <OBJID>/representations/rep1/data/...         the bag's data/, byte for byte
    <OBJID>/schemas/*.xsd                          every schema the XML files above follow
    <OBJID>/documentation/archival-notice.txt     the bag's archival notice

OBJID is a uuid5 of the bag's METS OBJID, so exporting a bag again gives the same package, and a rebuilt
bag another one. Every time in the METS is SOURCE_DATE_EPOCH when set, else the bag's own METS
CREATEDATE (a payload file's CREATED is the bag's, where its METS gives one).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from urllib.parse import quote

from lxml import etree

from preservation.errors import BagError
from preservation.export.eark.model import (
    Agent,
    FileEntry,
    FileGroup,
    MetadataRef,
    Mets,
    Representation,
)
from preservation.export.eark.render import render_mets
from preservation.export.xdomea.mapping import BagRecord
from preservation.metadata.xsd import SCHEMA_DIR
from preservation.package.model import object_uuid
from preservation.xmlns import METS_NS, PREMIS_NS, XSI_NS, safe_parser

CONTENT_CATEGORY = "Textual works – Digital"
"""mets/@TYPE (CSIPVocabularyContentCategory): a press release is a digital text; its photos are its
attachments, not a collection of images."""
CONTENT_INFORMATION_TYPE = "OTHER"
OTHER_CONTENT_INFORMATION_TYPE = "Press release: BagIt payload, Dublin Core, PREMIS 3"
"""No content information type of the CSIP vocabulary describes a press release."""
REPRESENTATION = "rep1"
METS_NAME = "METS.xml"
DC_PATH = "metadata/descriptive/dc.xml"
PREMIS_PATH = "metadata/preservation/premis.xml"
NOTICE_PATH = "documentation/archival-notice.txt"
SCHEMAS = (
    ("mets.xsd", "mets.xsd"),
    ("xlink.xsd", "xlink.xsd"),
    ("DILCISExtensionMETS.xsd", "eark/DILCISExtensionMETS.xsd"),
    ("dc.xsd", "dc.xsd"),
    ("dcterms.xsd", "dcterms.xsd"),
    ("dcmitype.xsd", "dcmitype.xsd"),
    ("xml.xsd", "xml.xsd"),
    ("premis.xsd", "premis.xsd"),
)
"""(name in schemas/, file under the shipped metadata/schemas/): METS with its CSIP extension for the two
METS documents, DC for dc.xml, PREMIS 3 for premis.xml."""

_METS = f"{{{METS_NS}}}"
_PREMIS_ORDER = ("object", "event", "agent", "rights")
_METS_DIGESTS = {"sha256": "SHA-256", "sha512": "SHA-512"}


@dataclass(frozen=True)
class PayloadFile:
    path: str
    """In the bag: data/…."""
    size: int
    algorithm: str
    """The strongest of sha256 and sha512 that the bag's manifests give."""
    digest: str


@dataclass(frozen=True)
class SipSource:
    """What the SIP is made from: one validated bag."""

    record: BagRecord
    mets: bytes
    """The bag's metadata/mets.xml."""
    dc: bytes
    notice: bytes | None
    """archival-notice.txt, when the bag has it."""
    payload: tuple[PayloadFile, ...]


@dataclass(frozen=True)
class SipSettings:
    organization: str
    software: str
    version: str


@dataclass(frozen=True)
class Sip:
    objid: str
    label: str
    issued: str
    identifier: str
    created: datetime
    files: tuple[tuple[str, bytes], ...]
    """Package-relative path → bytes: the METS documents, metadata, documentation and schemas."""
    payload: tuple[tuple[str, str], ...]
    """Package-relative path → the bag path it is copied from."""


def payload_digest(digests: Mapping[str, bytes]) -> tuple[str, str] | None:
    """(algorithm, hex digest) to record in METS from a payload file's manifest digests."""
    for algorithm in ("sha512", "sha256"):
        if algorithm in digests:
            return algorithm, digests[algorithm].hex()
    return None


def build_sip(source: SipSource, settings: SipSettings, epoch: datetime | None) -> Sip:
    """The SIP of one bag; BagError when its METS cannot be read (validation passed it, so only a bag
    built by another tool)."""
    record = source.record
    bag_mets = _parse(source.mets, record.bag)
    created = epoch or _created(bag_mets) or datetime(1980, 1, 1, tzinfo=UTC)  # the zip format's epoch
    objid = str(object_uuid("e-ark sip", record.object_id or record.identifier))
    head = _Head(objid, record.title, created, _agents(settings))
    rep_mets = render_mets(_representation_mets(source, head), "../../schemas")
    rep_path = f"representations/{REPRESENTATION}/{METS_NAME}"
    notice = source.notice if source.notice is not None else (record.notice or "").encode() or None
    files: list[tuple[str, bytes]] = [(DC_PATH, source.dc), (PREMIS_PATH, premis_document(bag_mets))]
    if notice is not None:
        files.append((NOTICE_PATH, notice))
    schemas = _schema_files()
    files += schemas
    files.append((rep_path, rep_mets))
    package = _package_mets(head, dict(files), notice is not None, [path for path, _ in schemas], rep_path)
    root_mets = render_mets(package, "schemas")
    payload = tuple((f"representations/{REPRESENTATION}/{f.path}", f.path) for f in source.payload)
    return Sip(
        objid,
        record.title,
        record.issued,
        record.identifier,
        created,
        ((METS_NAME, root_mets), *sorted(files, key=lambda f: f[0].encode())),
        payload,
    )


@dataclass(frozen=True)
class _Head:
    """What the package METS and the representation METS of one SIP share."""

    objid: str
    label: str
    created: datetime
    agents: tuple[Agent, ...]

    def mets(
        self,
        id_prefix: str,
        objid: str,
        groups: tuple[FileGroup, ...],
        descriptive: tuple[MetadataRef, ...] = (),
        provenance: tuple[MetadataRef, ...] = (),
        representations: tuple[Representation, ...] = (),
    ) -> Mets:
        return Mets(
            id_prefix,
            objid,
            self.label,
            CONTENT_CATEGORY,
            CONTENT_INFORMATION_TYPE,
            OTHER_CONTENT_INFORMATION_TYPE,
            self.created,
            self.agents,
            descriptive,
            provenance,
            groups,
            representations,
        )

    def entry(self, id_: str, href: str, data: bytes, mime: str = "application/xml") -> FileEntry:
        """A file of the package METS, made by the export (created when the SIP is)."""
        digest = hashlib.sha256(data).hexdigest()
        return FileEntry(id_, href, mime, len(data), self.created, digest, "SHA-256")


def _representation_mets(source: SipSource, head: _Head) -> Mets:
    """The representation's METS: the bag's payload files, with their formats and creation times."""
    mime = {f.path: f.mime for f in source.record.files}
    when = {f.path: f.created for f in source.record.files}
    data_files = tuple(
        FileEntry(
            f"{REPRESENTATION}-file-{number}",
            _href(f.path),
            _media_type(mime.get(f.path)),
            f.size,
            when.get(f.path) or head.created,
            f.digest,
            _METS_DIGESTS[f.algorithm],
        )
        for number, f in enumerate(source.payload, 1)
    )
    groups = (FileGroup(f"{REPRESENTATION}-data", "Data", data_files),)
    return head.mets(REPRESENTATION, f"{head.objid}-{REPRESENTATION}", groups)


def _package_mets(
    head: _Head, files: Mapping[str, bytes], notice: bool, schemas: Sequence[str], rep_path: str
) -> Mets:
    """The package METS: DC and PREMIS, the notice as documentation, the schemas and the representation's
    METS, from the SIP's `files` (path → bytes)."""
    groups = []
    if notice:
        documentation = (head.entry("sip-file-notice", NOTICE_PATH, files[NOTICE_PATH], "text/plain"),)
        groups.append(FileGroup("sip-documentation", "Documentation", documentation))
    schema_entries = tuple(
        head.entry(f"sip-file-schema-{n}", path, files[path]) for n, path in enumerate(schemas, 1)
    )
    groups.append(FileGroup("sip-schemas", "Schemas", schema_entries))
    rep_entry = head.entry(f"sip-file-{REPRESENTATION}-mets", rep_path, files[rep_path])
    groups.append(
        FileGroup(
            f"sip-{REPRESENTATION}",
            f"Representations/{REPRESENTATION}",
            (rep_entry,),
            CONTENT_INFORMATION_TYPE,
            OTHER_CONTENT_INFORMATION_TYPE,
        )
    )
    dc = MetadataRef("sip-dmd-dc", "DC", head.entry("sip-file-dc", DC_PATH, files[DC_PATH]))
    premis = MetadataRef(
        "sip-digiprov-premis", "PREMIS", head.entry("sip-file-premis", PREMIS_PATH, files[PREMIS_PATH])
    )
    return head.mets(
        "sip", head.objid, tuple(groups), (dc,), (premis,), (Representation(REPRESENTATION, rep_entry),)
    )


@cache
def _schema_files() -> tuple[tuple[str, bytes], ...]:
    """schemas/ of every SIP: read once per process."""
    return tuple((f"schemas/{name}", (SCHEMA_DIR / shipped).read_bytes()) for name, shipped in SCHEMAS)


def premis_document(bag_mets: etree._Element) -> bytes:
    """The PREMIS objects, events, agents and rights statements embedded in a bag's METS, in the order
    PREMIS 3 wants them, as one `premis` document."""
    root = etree.Element(f"{{{PREMIS_NS}}}premis", nsmap={"premis": PREMIS_NS, "xsi": XSI_NS}, version="3.0")
    for name in _PREMIS_ORDER:
        for element in bag_mets.iter(f"{{{PREMIS_NS}}}{name}"):
            if element.getparent() is not None and element.getparent().tag == f"{_METS}xmlData":
                root.append(etree.fromstring(etree.tostring(element), safe_parser()))
    etree.cleanup_namespaces(root, top_nsmap={"premis": PREMIS_NS, "xsi": XSI_NS})
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _agents(settings: SipSettings) -> tuple[Agent, ...]:
    return (
        Agent("CREATOR", "OTHER", settings.software, "SOFTWARE", settings.version),  # CSIP10-16
        Agent("ARCHIVIST", "ORGANIZATION", settings.organization),  # SIP9-12: the archival creator
        Agent("CREATOR", "ORGANIZATION", settings.organization),  # SIP15-18: the submitting agent
    )


def _parse(data: bytes, bag: str) -> etree._Element:
    try:
        return etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise BagError(bag, f"metadata/mets.xml cannot be read for the E-ARK SIP: {exc}") from None


def _created(root: etree._Element) -> datetime | None:
    header = root.find(f"{_METS}metsHdr")
    value = header.get("CREATEDATE") if header is not None else None
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _href(path: str) -> str:
    """A URL path (CSIP24: "a URL type filepath"), relative to the METS that lists it."""
    return quote(path, safe="/")


def _media_type(mime: str | None) -> str:
    """The IANA media type without parameters (a charset stays in PREMIS): CSIP68 wants an IANA type."""
    base = (mime or "").split(";")[0].strip().lower()
    return base or "application/octet-stream"


def payload_files(
    paths: Sequence[tuple[str, int]], digests: Mapping[str, Mapping[str, bytes]]
) -> tuple[PayloadFile, ...]:
    """The payload in bag order with the digests the METS records."""
    found = []
    for path, size in paths:
        chosen = payload_digest(digests.get(path, {}))
        if chosen is None:
            raise BagError(path, "has no sha256 or sha512 manifest digest for the E-ARK SIP")
        found.append(PayloadFile(path, size, *chosen))
    return tuple(found)
