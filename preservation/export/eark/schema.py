"""The XSD check of an E-ARK SIP's XML before it is published: METS 1.12 with the CSIP extension
(vendored in metadata/schemas/eark/, see PROVENANCE.md there) for both METS documents, PREMIS 3 for
premis.xml. Offline, through the package's schema loader (its public functions only: the bag's metadata
writers and their checks change apart from this export)."""

from __future__ import annotations

from functools import cache

from lxml import etree

from preservation.metadata.xsd import compile_schema, metadata_schema
from preservation.xmlns import METS_NS, PREMIS_NS, safe_parser

_DRIVER = b"""<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:import namespace="http://www.loc.gov/METS/" schemaLocation="mets.xsd"/>
  <xs:import namespace="https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
             schemaLocation="eark/DILCISExtensionMETS.xsd"/>
</xs:schema>
"""


@cache
def sip_mets_schema() -> etree.XMLSchema:
    return compile_schema(_DRIVER)


def mets_errors(xml: bytes) -> list[str]:
    """The schema errors of a SIP's METS document, each with its line; [] when valid."""
    return _validate(xml, f"{{{METS_NS}}}mets", sip_mets_schema())


def premis_errors(xml: bytes) -> list[str]:
    return _validate(xml, f"{{{PREMIS_NS}}}premis", metadata_schema())


def _validate(xml: bytes, root_tag: str, schema: etree.XMLSchema) -> list[str]:
    try:
        root = etree.fromstring(xml, safe_parser())
    except etree.XMLSyntaxError as exc:
        return [f"line {exc.lineno}: {exc.msg}"]
    if root.tag != root_tag:
        return [f"line {root.sourceline}: root element is {root.tag}, expected {root_tag}"]
    if schema.validate(root):
        return []
    return [f"line {error.line}: {error.message}" for error in schema.error_log]  # type: ignore[attr-defined]
