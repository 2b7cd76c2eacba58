"""The METS documents of an E-ARK SIP (`model.Mets`) as XML bytes: deterministic, one element per field."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from lxml import etree

from preservation.export.eark.model import SIP_PROFILE, STRUCT_MAP_LABEL, FileEntry, Mets, Representation
from preservation.xmlns import CSIP_NS, METS_NS, XLINK_NS, XSI_NS

_M = f"{{{METS_NS}}}"
_CSIP = f"{{{CSIP_NS}}}"
_XLINK = f"{{{XLINK_NS}}}"
_NSMAP = {"mets": METS_NS, "csip": CSIP_NS, "xlink": XLINK_NS, "xsi": XSI_NS}


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def render_mets(mets: Mets, schemas: str) -> bytes:
    """`mets` as a METS document whose xsi:schemaLocation points into `schemas` (the package's schemas/
    folder, relative to this METS): one builder per section, in the order METS requires them."""
    root = _root(mets, schemas)
    _header(root, mets)
    _metadata_sections(root, mets)
    _file_section(root, mets)
    _struct_map(root, mets)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _root(mets: Mets, schemas: str) -> etree._Element:
    root = etree.Element(f"{_M}mets", nsmap=_NSMAP)
    locations = (
        (METS_NS, "mets.xsd"),
        (XLINK_NS, "xlink.xsd"),
        (CSIP_NS, "DILCISExtensionMETS.xsd"),
    )
    root.set(f"{{{XSI_NS}}}schemaLocation", " ".join(f"{ns} {schemas}/{name}" for ns, name in locations))
    root.set("OBJID", mets.objid)
    root.set("LABEL", mets.label)
    root.set("TYPE", mets.content_category)
    root.set(f"{_CSIP}CONTENTINFORMATIONTYPE", mets.content_information_type)
    if mets.other_content_information_type:
        root.set(f"{_CSIP}OTHERCONTENTINFORMATIONTYPE", mets.other_content_information_type)
    root.set("PROFILE", SIP_PROFILE)
    return root


def _header(root: etree._Element, mets: Mets) -> None:
    header = etree.SubElement(root, f"{_M}metsHdr")
    header.set("CREATEDATE", timestamp(mets.created))
    header.set("RECORDSTATUS", "NEW")
    header.set(f"{_CSIP}OAISPACKAGETYPE", "SIP")
    for agent in mets.agents:
        element = etree.SubElement(header, f"{_M}agent", ROLE=agent.role, TYPE=agent.type)
        if agent.other_type:
            element.set("OTHERTYPE", agent.other_type)
        etree.SubElement(element, f"{_M}name").text = agent.name
        if agent.software_version:
            note = etree.SubElement(element, f"{_M}note")
            note.text = agent.software_version
            note.set(f"{_CSIP}NOTETYPE", "SOFTWARE VERSION")


def _metadata_sections(root: etree._Element, mets: Mets) -> None:
    for ref in mets.descriptive:
        section = etree.SubElement(root, f"{_M}dmdSec", ID=ref.id, CREATED=timestamp(ref.file.created))
        section.set("STATUS", "CURRENT")
        _md_ref(section, ref.mdtype, ref.file)
    if mets.provenance:
        amd = etree.SubElement(root, f"{_M}amdSec", ID=f"{mets.provenance[0].id}-amdSec")
        for ref in mets.provenance:
            section = etree.SubElement(
                amd, f"{_M}digiprovMD", ID=ref.id, CREATED=timestamp(ref.file.created), STATUS="CURRENT"
            )
            _md_ref(section, ref.mdtype, ref.file)


def _file_section(root: etree._Element, mets: Mets) -> None:
    file_sec = etree.SubElement(root, f"{_M}fileSec", ID=f"{mets.id_prefix}-fileSec")
    for group in mets.groups:
        element = etree.SubElement(file_sec, f"{_M}fileGrp", ID=group.id, USE=group.use)
        if group.content_information_type:
            element.set(f"{_CSIP}CONTENTINFORMATIONTYPE", group.content_information_type)
        if group.other_content_information_type:
            element.set(f"{_CSIP}OTHERCONTENTINFORMATIONTYPE", group.other_content_information_type)
        for file in group.files:
            _file(element, file)


def _struct_map(root: etree._Element, mets: Mets) -> None:
    prefix = mets.id_prefix
    struct = etree.SubElement(
        root, f"{_M}structMap", ID=f"{prefix}-structMap", TYPE="PHYSICAL", LABEL=STRUCT_MAP_LABEL
    )
    top = etree.SubElement(struct, f"{_M}div", ID=f"{prefix}-div", LABEL=mets.objid)
    if mets.descriptive or mets.provenance:
        meta = etree.SubElement(top, f"{_M}div", ID=f"{prefix}-div-metadata", LABEL="Metadata")
        if mets.descriptive:
            meta.set("DMDID", " ".join(ref.id for ref in mets.descriptive))
        if mets.provenance:
            meta.set("ADMID", " ".join(ref.id for ref in mets.provenance))
    representations = {f"Representations/{r.name}": r for r in mets.representations}
    for group in mets.groups:
        if group.use in representations:
            continue
        div = etree.SubElement(top, f"{_M}div", ID=f"{group.id}-div", LABEL=group.use)
        etree.SubElement(div, f"{_M}fptr", FILEID=group.id)
    if representations:
        _representation_divisions(top, mets, representations)


def _representation_divisions(
    top: etree._Element, mets: Mets, representations: Mapping[str, Representation]
) -> None:
    # CSIP103/104 name the content division "Representations" and point it to the representations' file
    # groups; CSIP106-112 give each representation a division, labelled with its path, that points to its
    # METS (the reading of DILCISBoard/E-ARK-CSIP#749 that eark-validator checks).
    content = etree.SubElement(
        top, f"{_M}div", ID=f"{mets.id_prefix}-div-representations", LABEL="Representations"
    )
    groups = [g for g in mets.groups if g.use in representations]
    for group in groups:
        etree.SubElement(content, f"{_M}fptr", FILEID=group.id)
    for group in groups:
        div = etree.SubElement(content, f"{_M}div", ID=f"{group.id}-div", LABEL=group.use)
        pointer = etree.SubElement(div, f"{_M}mptr", LOCTYPE="URL")
        pointer.set(f"{_XLINK}type", "simple")
        pointer.set(f"{_XLINK}href", representations[group.use].mets.href)
        pointer.set(f"{_XLINK}title", group.id)


def _attributes(element: etree._Element, file: FileEntry) -> None:
    element.set("MIMETYPE", file.mime)
    element.set("SIZE", str(file.size))
    element.set("CREATED", timestamp(file.created))
    element.set("CHECKSUM", file.checksum)
    element.set("CHECKSUMTYPE", file.checksum_type)


def _md_ref(section: etree._Element, mdtype: str, file: FileEntry) -> None:
    ref = etree.SubElement(section, f"{_M}mdRef", LOCTYPE="URL", MDTYPE=mdtype)
    ref.set(f"{_XLINK}type", "simple")
    ref.set(f"{_XLINK}href", file.href)
    _attributes(ref, file)


def _file(group: etree._Element, file: FileEntry) -> None:
    element = etree.SubElement(group, f"{_M}file", ID=file.id)
    _attributes(element, file)
    locator = etree.SubElement(element, f"{_M}FLocat", LOCTYPE="URL")
    locator.set(f"{_XLINK}type", "simple")
    locator.set(f"{_XLINK}href", file.href)
