"""METS 1.12.1 of a package (``metadata/mets.xml``): DC in a dmdSec, PREMIS 3 in an amdSec, E-ARK CSIP style.

Every ID is sequential or a uuid5 of the release identity and every date comes from the Package, so the same
package always gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import quote, unquote, urljoin, urlsplit

from lxml import etree

from preservation.metadata.dc import dc_element
from preservation.metadata.premis import (
    ALGORITHM_NAMES,
    PremisRecord,
    agent_element,
    event_element,
    iso_utc,
    object_element,
    ordered_payload,
    premis_record,
    source_file,
)
from preservation.metadata.xsd import serialize_valid, validate_mets
from preservation.package.model import Package, PayloadFile
from preservation.xmlns import DC_NS, DCTERMS_NS, METS_NS, PREMIS_NS, XLINK_NS, XML_NS, XSI_NS

NSMAP = {
    "mets": METS_NS,
    "xlink": XLINK_NS,
    "premis": PREMIS_NS,
    "dc": DC_NS,
    "dcterms": DCTERMS_NS,
    "xsi": XSI_NS,
}
SCHEMA_LOCATION = (
    f"{METS_NS} https://www.loc.gov/standards/mets/mets.xsd "
    f"{PREMIS_NS} https://www.loc.gov/standards/premis/v3/premis.xsd"
)
_CHECKSUM_PREFERENCE = ("sha256", "sha512")
"""CHECKSUM carries one digest: SHA-256 when the profile computes it (the issue asks for it), else SHA-512."""
_FILE_GROUPS = (("original", ("source", "attachment")), ("rendition", ("rendition",)))


def _m(parent: etree._Element, name: str, **attributes: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{METS_NS}}}{name}", attributes)


METS_PATH = "metadata/mets.xml"
_BAG_ROOT = "file:///bag/"
"""Where a bag is taken to be when its hrefs are resolved, which only relative references can reach."""


def _href(path: str) -> str:
    """A bag path as a URI reference relative to the METS file (``../data/…``, as a resolver reads it from
    metadata/mets.xml): UTF-8 percent-encoded, ``/`` kept (``%`` becomes ``%25``)."""
    return "../" + quote(path, safe="/")


def href_path(href: str, bases: Iterable[str] = ()) -> str | None:
    """The bag path an FLocat href names, resolved as a standard URI resolver does: against the METS file's
    place and the xml:base values of the elements above it (outermost first). None when it is no relative
    reference to a file inside the bag (another scheme, or a path out of the bag)."""
    base = urljoin(_BAG_ROOT, METS_PATH)
    for value in (*bases, href):
        if urlsplit(value).scheme or value.startswith("/"):
            return None
        base = urljoin(base, value)
    parts = urlsplit(base)
    if parts.scheme != "file" or parts.netloc or not parts.path.startswith("/bag/") or parts.query:
        return None
    return unquote(parts.path.removeprefix("/bag/")) or None


def xml_bases(element: etree._Element) -> list[str]:
    """The xml:base values that apply to `element`'s attributes: its ancestors' (outermost first), its own."""
    chain = [*reversed(list(element.iterancestors())), element]
    return [base for e in chain if (base := e.get(f"{{{XML_NS}}}base")) is not None]


def _checksum(file: PayloadFile) -> tuple[str, str]:
    for algorithm in _CHECKSUM_PREFERENCE:
        if algorithm in file.digests:
            return file.digests[algorithm], ALGORITHM_NAMES[algorithm]
    raise ValueError(f"{file.path}: no SHA-256 or SHA-512 digest for the METS CHECKSUM")


def _xml_data(section: etree._Element, mdtype: str) -> etree._Element:
    """``mdWrap/xmlData`` in ``section``, for the record to go into."""
    wrap = _m(section, "mdWrap", MDTYPE=mdtype)
    if mdtype.startswith("PREMIS"):
        wrap.set("MDTYPEVERSION", "3.0")
    return _m(wrap, "xmlData")


def mets_element(package: Package) -> etree._Element:
    """The METS document as an element tree (not yet validated), its sections in the schema's order."""
    record = premis_record(package)
    files = ordered_payload(package)
    created = iso_utc(package.created)
    root = _mets_root(package)
    _header(root, package, created)
    _dmd_sec(root, package, created)
    described = _amd_sec(root, record, created)
    file_ids = _file_sec(root, files, described)
    _struct_map(root, package, files, file_ids)
    # Sub-elements were built with their own namespace declarations; keep only the root's.
    etree.cleanup_namespaces(root, top_nsmap=NSMAP)
    return root


def _mets_root(package: Package) -> etree._Element:
    root = etree.Element(f"{{{METS_NS}}}mets", nsmap=NSMAP)
    root.set(f"{{{XSI_NS}}}schemaLocation", SCHEMA_LOCATION)
    root.set("OBJID", f"urn:uuid:{package.object_id}")
    root.set("LABEL", package.release.title)
    root.set("TYPE", "press release")
    return root


def _header(root: etree._Element, package: Package, created: str) -> None:
    """metsHdr: when the record was made, whether it replaces one, and who made it: the organization and the
    software (CSIP's CREATOR agents) and each archivist who corrected the release's metadata (an EDITOR)."""
    # RECORDSTATUS in E-ARK CSIP's vocabulary: a replacement names the bag it replaces (also in PREMIS).
    status = "NEW" if package.replaces is None else "REPLACEMENT"
    header = _m(root, "metsHdr", CREATEDATE=created, RECORDSTATUS=status)
    organization = _m(header, "agent", ROLE="CREATOR", TYPE="ORGANIZATION")
    _m(organization, "name").text = package.profile.organization.name
    software = _m(header, "agent", ROLE="CREATOR", TYPE="OTHER", OTHERTYPE="SOFTWARE")
    _m(software, "name").text = package.software
    _m(software, "note").text = f"version {package.software_version}"
    for name in dict.fromkeys(c.by for c in package.release.corrections):
        _m(_m(header, "agent", ROLE="EDITOR", TYPE="INDIVIDUAL"), "name").text = name
    if package.replaces is not None:
        _m(header, "altRecordID", TYPE="REPLACES").text = (
            package.replaces.object_id or package.replaces.kept_as
        )


def _dmd_sec(root: etree._Element, package: Package, created: str) -> None:
    """The release's Dublin Core, its dc:format the source's MIME type."""
    mime = source_file(package).format.mime
    dmd = _m(root, "dmdSec", ID="dmdSec-1", CREATED=created)
    _xml_data(dmd, "DC").append(dc_element(package.release, package.profile, mime))


def _amd_sec(root: etree._Element, record: PremisRecord, created: str) -> dict[str, list[str]]:
    """The PREMIS record: a techMD per file object, a digiprovMD per event, then per agent, numbered in the
    record's order. Returns the IDs of the sections about each file, by bag path: its techMD, then those of
    the events that name it (the file's ADMID)."""
    amd = _m(root, "amdSec", ID="amdSec-1")
    described: dict[str, list[str]] = {}
    for n, obj in enumerate(record.objects, 1):
        described[obj.path] = [f"techMD-{n}"]
        section = _m(amd, "techMD", ID=f"techMD-{n}", CREATED=created)
        object_element(_xml_data(section, "PREMIS:OBJECT"), obj)
    object_paths = {obj.identifier: obj.path for obj in record.objects}
    for n, event in enumerate(record.events, 1):
        section_id = f"digiprovMD-{n}"
        for link in event.objects:
            described[object_paths[link.identifier]].append(section_id)
        section = _m(amd, "digiprovMD", ID=section_id, CREATED=created)
        event_element(_xml_data(section, "PREMIS:EVENT"), event)
    for n, agent in enumerate(record.agents, len(record.events) + 1):
        section = _m(amd, "digiprovMD", ID=f"digiprovMD-{n}", CREATED=created)
        agent_element(_xml_data(section, "PREMIS:AGENT"), agent)
    return described


def _file_sec(
    root: etree._Element, files: tuple[PayloadFile, ...], described: Mapping[str, list[str]]
) -> dict[str, str]:
    """A fileGrp per use that has files (originals, renditions), a file in it per payload file. Returns the
    files' IDs by bag path."""
    file_ids = {f.path: f"file-{n}" for n, f in enumerate(files, 1)}
    groups = _version_groups(files, file_ids)
    file_sec = _m(root, "fileSec", ID="fileSec-1")
    for use, roles in _FILE_GROUPS:
        members = [f for f in files if f.role in roles]
        if not members:
            continue
        group = _m(file_sec, "fileGrp", ID=f"fileGrp-{use}", USE=use)
        for f in members:
            _file(group, f, file_ids[f.path], " ".join(described[f.path]), groups.get(f.path))
    return file_ids


def _version_groups(files: tuple[PayloadFile, ...], file_ids: Mapping[str, str]) -> dict[str, str]:
    """GROUPID ties a rendition to its source: METS's way of saying "versions of the same content"."""
    group_of: dict[str, str] = {}
    for f in files:
        if f.derived_from is not None:
            group_of[f.path] = group_of[f.derived_from] = f"group-{file_ids[f.derived_from]}"
    return group_of


def _file(group: etree._Element, file: PayloadFile, file_id: str, admid: str, group_id: str | None) -> None:
    """One file with what CSIP asks of it (MIMETYPE, SIZE, CREATED, CHECKSUM), and its place in the bag."""
    checksum, checksum_type = _checksum(file)
    element = _m(
        group,
        "file",
        ID=file_id,
        MIMETYPE=file.format.mime,
        SIZE=str(file.size),
        CREATED=iso_utc(file.created),
        CHECKSUM=checksum,
        CHECKSUMTYPE=checksum_type,
        ADMID=admid,
        USE=file.role,
    )
    if group_id is not None:
        element.set("GROUPID", group_id)
    flocat = _m(element, "FLocat", LOCTYPE="URL")
    flocat.set(f"{{{XLINK_NS}}}type", "simple")
    flocat.set(f"{{{XLINK_NS}}}href", _href(file.path))


def _struct_map(
    root: etree._Element, package: Package, files: tuple[PayloadFile, ...], file_ids: Mapping[str, str]
) -> None:
    """One div, the release, pointing at its DC and at every file."""
    struct_map = _m(root, "structMap", ID="structMap-1", TYPE="physical", LABEL="bag payload")
    title = package.release.title
    div = _m(struct_map, "div", ID="div-1", TYPE="press release", LABEL=title, DMDID="dmdSec-1")
    for f in files:
        _m(div, "fptr", FILEID=file_ids[f.path])


def build_mets(package: Package) -> bytes:
    """mets.xml as bytes; raises MetadataError when it does not follow METS/PREMIS/DC schemas."""
    return serialize_valid(mets_element(package), f"mets.xml of {package.release.identifier}", validate_mets)
