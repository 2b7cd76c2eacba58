"""METS 1.12.1 of a package (``metadata/mets.xml``): DC in a dmdSec, PREMIS 3 in an amdSec, E-ARK CSIP style.

Every ID is sequential or a uuid5 of the release identity and every date comes from the Package, so the same
package always gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote, unquote, urljoin, urlsplit

from lxml import etree

from preservation.metadata.dc import dc_element
from preservation.metadata.premis import (
    ALGORITHM_NAMES,
    agent_element,
    event_element,
    iso_utc,
    object_element,
    ordered_payload,
    premis_record,
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
    """The METS document as an element tree (not yet validated)."""
    release = package.release
    record = premis_record(package)
    files = ordered_payload(package)
    created = iso_utc(package.created)

    root = etree.Element(f"{{{METS_NS}}}mets", nsmap=NSMAP)
    root.set(f"{{{XSI_NS}}}schemaLocation", SCHEMA_LOCATION)
    root.set("OBJID", f"urn:uuid:{package.object_id}")
    root.set("LABEL", release.title)
    root.set("TYPE", "press release")

    # RECORDSTATUS in E-ARK CSIP's vocabulary: a replacement names the bag it replaces (also in PREMIS).
    status = "NEW" if package.replaces is None else "REPLACEMENT"
    header = _m(root, "metsHdr", CREATEDATE=created, RECORDSTATUS=status)
    organization = _m(header, "agent", ROLE="CREATOR", TYPE="ORGANIZATION")
    _m(organization, "name").text = package.profile.organization.name
    software = _m(header, "agent", ROLE="CREATOR", TYPE="OTHER", OTHERTYPE="SOFTWARE")
    _m(software, "name").text = package.software
    _m(software, "note").text = f"version {package.software_version}"
    # Whoever corrected the release's metadata (build --corrections) edited this record.
    for name in dict.fromkeys(c.by for c in release.corrections):
        _m(_m(header, "agent", ROLE="EDITOR", TYPE="INDIVIDUAL"), "name").text = name
    if package.replaces is not None:
        _m(header, "altRecordID", TYPE="REPLACES").text = (
            package.replaces.object_id or package.replaces.kept_as
        )

    source = next((f for f in files if f.role == "source"), None)
    if source is None:
        raise ValueError(f"package of {release.identifier} has no source file")
    dmd = _m(root, "dmdSec", ID="dmdSec-1", CREATED=created)
    _xml_data(dmd, "DC").append(dc_element(release, package.profile, source.format.mime))

    # Section IDs: techMD-n per file, digiprovMD-n per event then per agent, in model order.
    amd = _m(root, "amdSec", ID="amdSec-1")
    tech_ids: dict[str, str] = {}
    for n, obj in enumerate(record.objects, 1):
        tech_ids[obj.path] = f"techMD-{n}"
        section = _m(amd, "techMD", ID=tech_ids[obj.path], CREATED=created)
        object_element(_xml_data(section, "PREMIS:OBJECT"), obj)
    event_ids: dict[str, list[str]] = {}
    object_paths = {obj.identifier: obj.path for obj in record.objects}
    for n, event in enumerate(record.events, 1):
        section_id = f"digiprovMD-{n}"
        for link in event.objects:
            event_ids.setdefault(object_paths[link.identifier], []).append(section_id)
        section = _m(amd, "digiprovMD", ID=section_id, CREATED=created)
        event_element(_xml_data(section, "PREMIS:EVENT"), event)
    for n, agent in enumerate(record.agents, len(record.events) + 1):
        section = _m(amd, "digiprovMD", ID=f"digiprovMD-{n}", CREATED=created)
        agent_element(_xml_data(section, "PREMIS:AGENT"), agent)

    file_ids = {f.path: f"file-{n}" for n, f in enumerate(files, 1)}
    # GROUPID ties a rendition to its source: METS's way of saying "versions of the same content".
    group_of: dict[str, str] = {}
    for f in files:
        if f.derived_from is not None:
            group_of[f.path] = group_of[f.derived_from] = f"group-{file_ids[f.derived_from]}"
    file_sec = _m(root, "fileSec", ID="fileSec-1")
    for use, roles in _FILE_GROUPS:
        members = [f for f in files if f.role in roles]
        if not members:
            continue
        group = _m(file_sec, "fileGrp", ID=f"fileGrp-{use}", USE=use)
        for f in members:
            checksum, checksum_type = _checksum(f)
            element = _m(
                group,
                "file",
                ID=file_ids[f.path],
                MIMETYPE=f.format.mime,
                SIZE=str(f.size),
                CREATED=iso_utc(f.created),
                CHECKSUM=checksum,
                CHECKSUMTYPE=checksum_type,
                ADMID=" ".join([tech_ids[f.path], *event_ids.get(f.path, ())]),
                USE=f.role,
            )
            if f.path in group_of:
                element.set("GROUPID", group_of[f.path])
            flocat = _m(element, "FLocat", LOCTYPE="URL")
            flocat.set(f"{{{XLINK_NS}}}type", "simple")
            flocat.set(f"{{{XLINK_NS}}}href", _href(f.path))

    struct_map = _m(root, "structMap", ID="structMap-1", TYPE="physical", LABEL="bag payload")
    div = _m(struct_map, "div", ID="div-1", TYPE="press release", LABEL=release.title, DMDID="dmdSec-1")
    for f in files:
        _m(div, "fptr", FILEID=file_ids[f.path])
    # Sub-elements were built with their own namespace declarations; keep only the root's.
    etree.cleanup_namespaces(root, top_nsmap=NSMAP)
    return root


def build_mets(package: Package) -> bytes:
    """mets.xml as bytes; raises MetadataError when it does not follow METS/PREMIS/DC schemas."""
    return serialize_valid(mets_element(package), f"mets.xml of {package.release.identifier}", validate_mets)
