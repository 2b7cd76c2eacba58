"""The Dublin Core record of a release (``metadata/dc.xml``), also embedded in the METS dmdSec."""

from __future__ import annotations

from lxml import etree

from preservation.metadata.xsd import DC_CONTAINER, serialize_valid, validate_dc
from preservation.package.model import object_uuid
from preservation.profile import Profile
from preservation.release.model import Release
from preservation.xmlns import DC_NS, DCTERMS_NS, XML_NS, XSI_NS

NSMAP = {"dc": DC_NS, "dcterms": DCTERMS_NS, "xsi": XSI_NS}
_DCMI_SCHEMAS = "http://dublincore.org/schemas/xmls/qdc/2008/02/11"
SCHEMA_LOCATION = f"{DC_NS} {_DCMI_SCHEMAS}/dc.xsd {DCTERMS_NS} {_DCMI_SCHEMAS}/dcterms.xsd"
CONTAINER_LOCATION = f"{_DCMI_SCHEMAS}/qualifieddc.xsd"
"""Where DCMI declares the root element (in no namespace; it imports dcterms.xsd, which imports dc.xsd)."""


def release_urn(release: Release) -> str:
    """The release's deterministic URN, the same as the METS OBJID."""
    return f"urn:uuid:{object_uuid('release', release.identifier)}"


def dc_element(release: Release, profile: Profile, source_format_mime: str) -> etree._Element:
    """The DC record as an element, for dc.xml and for the METS dmdSec alike."""
    root = etree.Element(DC_CONTAINER, nsmap=NSMAP)
    root.set(f"{{{XSI_NS}}}noNamespaceSchemaLocation", CONTAINER_LOCATION)
    root.set(f"{{{XSI_NS}}}schemaLocation", SCHEMA_LOCATION)

    def add(ns: str, name: str, text: str, xsi_type: str | None = None, lang: str | None = None) -> None:
        element = etree.SubElement(root, f"{{{ns}}}{name}")
        element.text = text
        if xsi_type:
            element.set(f"{{{XSI_NS}}}type", xsi_type)
        if lang:
            element.set(f"{{{XML_NS}}}lang", lang)

    language = profile.language
    add(DC_NS, "title", release.title, lang=language)
    if release.author is not None:
        add(DC_NS, "creator", release.author)
    add(DC_NS, "publisher", profile.organization.name)
    add(DCTERMS_NS, "issued", release.issued.isoformat(), "dcterms:W3CDTF")
    add(DC_NS, "language", language, "dcterms:RFC4646")
    add(DC_NS, "type", "Text", "dcterms:DCMIType")
    add(DC_NS, "format", source_format_mime, "dcterms:IMT")
    add(DC_NS, "identifier", release.identifier)
    add(DC_NS, "identifier", release_urn(release), "dcterms:URI")
    add(DC_NS, "rights", profile.notice, lang=language)
    add(DCTERMS_NS, "spatial", release.place or profile.place)
    add(DCTERMS_NS, "isPartOf", profile.collection)
    return root


def build_dc(release: Release, profile: Profile, source_format_mime: str) -> bytes:
    """dc.xml as bytes; raises MetadataError when the record does not follow the DCMI schemas."""
    root = dc_element(release, profile, source_format_mime)
    return serialize_valid(root, f"dc.xml of {release.identifier}", validate_dc)
