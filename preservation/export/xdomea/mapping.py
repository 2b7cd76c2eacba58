"""Validated bags → xdomea 0503 messages: one process (container) per year of issue, holding one Vorgang
with one Dokument per release. The README's table "xdomea mapping" documents each element.

Every ID is a uuid5 (`object_uuid`) of what it stands for, so exporting the same bags again gives the
same messages: a Dokument's ID depends only on the collection and the release identifier (the same
release keeps its ID in a later transfer, as the reference rules want), a Vorgang's on the collection and
the year, a primary document's file name on its Dokument and bag path, and the ProzessID on the Vorgang,
the xdomea version and the METS OBJIDs of the bags it holds (another set of bags, or a rebuilt bag, is
another process).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from urllib.parse import unquote

from lxml import etree

from preservation.bagit.parse import parse_tag_values
from preservation.errors import BagError
from preservation.export.xdomea.dateiformat import OTHER, dateiformat
from preservation.export.xdomea.model import CodeLists, Contact, Document, Format, Header, Message, Vorgang
from preservation.metadata.mets import href_path, xml_bases
from preservation.package.model import object_uuid
from preservation.profile import Profile
from preservation.xmlns import DC_NS, DCTERMS_NS, METS_NS, PREMIS_NS, XLINK_NS, safe_parser

METS_FILE = "metadata/mets.xml"
DC_FILE = "metadata/dc.xml"
UNDATED = "undatiert"
"""The group of releases whose issued date has no year (a bag built by another tool)."""

_METS = f"{{{METS_NS}}}"
_PREMIS = f"{{{PREMIS_NS}}}"
_DC = f"{{{DC_NS}}}"
_DCTERMS = f"{{{DCTERMS_NS}}}"
_XLINK_HREF = f"{{{XLINK_NS}}}href"
_EXTENSION = re.compile(r"[A-Za-z0-9]{1,10}")


@dataclass(frozen=True)
class XdomeaSettings:
    """The message head's settings: the profile's `xdomea:` section and organisation."""

    version: str
    sender: Contact
    recipient: Contact
    code_lists: CodeLists
    receipt_confirmation: bool
    archive_id_feedback: bool


def settings_from_profile(profile: Profile, version: str | None = None) -> XdomeaSettings:
    """The profile's settings; `version` (from the command line) overrides the profile's."""
    x = profile.xdomea
    return XdomeaSettings(
        version=version or x.version,
        sender=Contact(profile.organization.name, x.sender_unit),
        recipient=Contact(x.recipient, x.recipient_unit),
        code_lists=CodeLists(
            nachrichtentyp=x.nachrichtentyp_list_version,
            dateiformat=x.dateiformat_list_version,
            vertraulichkeitsstufe=x.vertraulichkeitsstufe_list_version,
            medium=x.medium_list_version,
        ),
        receipt_confirmation=x.receipt_confirmation,
        archive_id_feedback=x.archive_id_feedback,
    )


@dataclass(frozen=True)
class BagFile:
    path: str
    """Bag-relative, e.g. data/pressemitteilung.html."""
    use: str
    """METS USE: source, attachment, rendition; "" when METS does not describe the file."""
    mime: str | None
    puid: str | None
    format_name: str | None
    format_version: str | None
    created: datetime | None


@dataclass(frozen=True)
class BagRecord:
    """A validated bag as the mapping needs it: read from its METS (DC, files, PREMIS formats) and
    bag-info.txt."""

    bag: str
    object_id: str
    """METS OBJID."""
    identifier: str
    title: str
    issued: str
    author: str | None
    notice: str | None
    bagging_date: str
    files: tuple[BagFile, ...]


def read_record(bag: str, tags: Mapping[str, bytes], payload: Iterable[str]) -> BagRecord:
    """The record of a bag that validated, from its tag files (path → bytes: METS, bag-info.txt, dc.xml)
    and payload paths; BagError when its METS cannot be read (validation passed it, so only a bag built by
    another tool)."""
    try:
        root = etree.fromstring(tags[METS_FILE], safe_parser())
    except (KeyError, etree.XMLSyntaxError) as exc:
        raise BagError(bag, f"{METS_FILE} cannot be read for the xdomea message: {exc}") from None
    info = parse_tag_values(tags.get("bag-info.txt", b""), "utf-8")
    dmd = root.find(f"{_METS}dmdSec//{_METS}xmlData")
    records = [dmd[0]] if dmd is not None and len(dmd) else []
    records += _dc_record(tags.get(DC_FILE))

    def dc_text(tag: str) -> str | None:
        """From the DC in METS, else from dc.xml (whatever their root element)."""
        for record in records:
            element = record.find(tag)
            if element is not None and element.text and element.text.strip():
                return element.text.strip()
        return None

    formats = _formats(root)
    described: dict[str, BagFile] = {}
    for element in root.iter(f"{_METS}file"):
        path = _payload_path(element)
        if path is None:
            continue
        puid, name, version = next(
            (formats[a] for a in (element.get("ADMID") or "").split() if a in formats), (None, None, None)
        )
        described[path] = BagFile(
            path, element.get("USE") or "", element.get("MIMETYPE"), puid, name, version,
            _datetime(element.get("CREATED")),
        )  # fmt: skip
    files = tuple(
        described.get(path) or BagFile(path, "", None, None, None, None, None)
        for path in sorted(payload, key=lambda p: p.encode())
    )
    return BagRecord(
        bag=bag,
        object_id=root.get("OBJID") or "",
        identifier=info.get("External-Identifier") or dc_text(f"{_DC}identifier") or bag,
        title=dc_text(f"{_DC}title") or info.get("External-Description") or bag,
        issued=dc_text(f"{_DCTERMS}issued") or "",
        author=dc_text(f"{_DC}creator"),
        notice=dc_text(f"{_DC}rights"),
        bagging_date=info.get("Bagging-Date") or "",
        files=files,
    )


TEXT_CHECK_LIMIT = 16 << 20
"""Text files up to this size have their declared charset checked (releases are a few KB)."""
_CODECS = {"utf-8": "utf-8", "us-ascii": "ascii", "utf-16": "utf-16", "utf-32": "utf-32"}


def declared_charset(file: BagFile) -> str | None:
    """The codec a text file's MIME type declares, when it is one `dateiformat` calls Unicode text."""
    media, _, params = (file.mime or "").partition(";")
    if media.strip().lower() != "text/plain":
        return None
    return _CODECS.get(params.strip().lower().removeprefix("charset=").strip('"'))


def with_checked_charset(file: BagFile, data: bytes) -> BagFile:
    """`file` with its charset dropped when `data` (its bytes) do not decode with it: a bag built before
    the charset was checked may call Windows-1252 text ASCII, and a code must never claim Unicode text
    for it. A charset right or absent, never wrong."""
    codec = declared_charset(file)
    if codec is None:
        return file
    try:
        data.decode(codec)
    except UnicodeDecodeError:
        return replace(file, mime="text/plain")
    return file


def _dc_record(data: bytes | None) -> list[etree._Element]:
    if data is None:
        return []
    try:
        return [etree.fromstring(data, safe_parser())]
    except etree.XMLSyntaxError:
        return []


def _formats(root: etree._Element) -> dict[str, tuple[str | None, str | None, str | None]]:
    """techMD ID → (PUID, format name, format version) from its PREMIS object."""
    found: dict[str, tuple[str | None, str | None, str | None]] = {}
    for tech in root.iter(f"{_METS}techMD"):
        fmt = tech.find(f".//{_PREMIS}format")
        if fmt is None:
            continue
        found[tech.get("ID") or ""] = (
            fmt.findtext(f".//{_PREMIS}formatRegistryKey"),
            fmt.findtext(f".//{_PREMIS}formatName"),
            fmt.findtext(f".//{_PREMIS}formatVersion"),
        )
    return found


def _payload_path(file: etree._Element) -> str | None:
    """The bag path a METS file points to: its href as a URI resolver reads it from metadata/mets.xml
    (xml:base included), or, as earlier bags wrote it, relative to the bag root."""
    locat = file.find(f"{_METS}FLocat")
    href = locat.get(_XLINK_HREF) if locat is not None else None
    if locat is None or not href:
        return None
    path = href_path(href, xml_bases(locat))
    if path is None or not path.startswith("data/"):
        path = unquote(href)
    return path if path.startswith("data/") else None


def _datetime(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def year_of(record: BagRecord) -> str:
    year = record.issued[:4]
    return year if len(year) == 4 and year.isdigit() else UNDATED


def build_messages(
    records: Iterable[BagRecord], settings: XdomeaSettings, collection: str, epoch: datetime | None
) -> list[Message]:
    """One message per year of issue, in year order; each Dokument numbered by issued date, then
    identifier. Erstellungszeitpunkt is `epoch` (SOURCE_DATE_EPOCH) when given, else the latest
    Bagging-Date of the message's bags at midnight UTC, as the bagit export's member times: a property of
    the bags, so exporting them again on another day gives the same message."""
    years: dict[str, list[BagRecord]] = {}
    for record in records:
        years.setdefault(year_of(record), []).append(record)
    return [
        _message(
            year,
            sorted(group, key=lambda r: (r.issued, r.identifier)),
            settings,
            collection,
            epoch or _latest_bagging(group),
        )
        for year, group in sorted(years.items())
    ]


def _latest_bagging(records: list[BagRecord]) -> datetime:
    days = [d for r in records if (d := _date(r.bagging_date)) is not None]
    day = max(days, default=date(1970, 1, 1))
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _message(
    year: str, records: list[BagRecord], settings: XdomeaSettings, collection: str, created: datetime
) -> Message:
    vorgang_id = str(object_uuid("xdomea", "Vorgang", collection, year))
    documents = tuple(_document(n, record, collection) for n, record in enumerate(records, 1))
    process = object_uuid(
        "xdomea", "Prozess", vorgang_id, settings.version, *sorted(r.object_id for r in records)
    )
    days = [d for r in records if (d := _date(r.issued)) is not None]
    vorgang = Vorgang(
        id=vorgang_id,
        subject=f"{collection} {year}",
        reference=year,
        begin=min(days, default=None),
        end=max(days, default=None),
        documents=documents,
    )
    header = Header(
        str(process), created.astimezone(UTC), settings.sender, settings.recipient,
        settings.receipt_confirmation, settings.archive_id_feedback,
    )  # fmt: skip
    return Message(settings.version, header, settings.code_lists, vorgang)


def _document(number: int, record: BagRecord, collection: str) -> Document:
    """The release: its source document and rendition as the formats of its one version, every other
    payload file an Anlage."""
    doc_id = str(object_uuid("xdomea", "Dokument", collection, record.identifier))
    main = [f for f in record.files if f.use == "source"] + [f for f in record.files if f.use == "rendition"]
    attachments = tuple(
        Document(
            id=str(object_uuid("xdomea", "Anlage", doc_id, file.path)),
            number=n,
            subject=_original_name(file.path),
            reference=None,
            remark=None,
            written=None,
            author=None,
            formats=(_format(doc_id, file),),
        )
        for n, file in enumerate((f for f in record.files if f not in main), 1)
    )
    return Document(
        id=doc_id,
        number=number,
        subject=record.title,
        reference=record.identifier,
        remark=record.notice,
        written=_date(record.issued),
        author=record.author,
        formats=tuple(_format(doc_id, file) for file in main),
        attachments=attachments,
    )


def _original_name(path: str) -> str:
    """The name under data/, folders kept (an attachment may sit in data/bilder/)."""
    return path.removeprefix("data/")


def primary_name(doc_id: str, path: str) -> str:
    """`<UUID>.<ext>` (the reference rules), the extension of the bag file's name when it has a plain one."""
    name = str(object_uuid("xdomea", "Datei", doc_id, path))
    stem, dot, extension = path.rpartition("/")[2].rpartition(".")
    if stem and dot and _EXTENSION.fullmatch(extension):
        return f"{name}.{extension.lower()}"
    return name


def _format(doc_id: str, file: BagFile) -> Format:
    file_name = primary_name(doc_id, file.path)
    extension = file_name.partition(".")[2]
    code = dateiformat(file.puid, file.mime, extension)
    other = (file.format_name or file.mime or "unbekannt") if code == OTHER else None
    return Format(
        code=code,
        other_name=other,
        version=file.format_version or "",
        file_name=file_name,
        original_name=_original_name(file.path),
        created=file.created,
        bag_path=file.path,
    )
