"""The Dublin Core record: the issue's fields, valid on its own, and why it must be checked on its own."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import cast

import pytest
from lxml import etree

from preservation.metadata import MetadataError, build_dc, build_mets, validate_dc, validate_mets
from preservation.metadata.xsd import compile_schema
from preservation.package.model import Package
from preservation.profile import Profile
from tests.metadata.helpers import make_release

NS = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "mets": "http://www.loc.gov/METS/",
}
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def test_fields(tmp_path: Path, profile: Profile) -> None:
    xml = build_dc(make_release(tmp_path), profile, "text/html")
    assert validate_dc(xml) == []
    root = etree.fromstring(xml)

    def one(path: str) -> etree._Element:
        found = root.xpath(path, namespaces=NS)
        assert isinstance(found, list)
        (element,) = found
        assert isinstance(element, etree._Element)
        return element

    assert one("dc:title").text == "Neue Radwege in der Innenstadt"
    assert one("dc:title").get(LANG) == "de"
    assert one("dc:creator").text == "Pressestelle"
    assert one("dc:publisher").text == "Stadtverwaltung Kaiserslautern"
    assert (one("dcterms:issued").text, one("dcterms:issued").get(XSI_TYPE)) == (
        "2023-11-02",
        "dcterms:W3CDTF",
    )
    assert (one("dc:language").text, one("dc:language").get(XSI_TYPE)) == ("de", "dcterms:RFC4646")
    assert (one("dc:type").text, one("dc:type").get(XSI_TYPE)) == ("Text", "dcterms:DCMIType")
    assert (one("dc:format").text, one("dc:format").get(XSI_TYPE)) == ("text/html", "dcterms:IMT")
    identifiers = root.xpath("dc:identifier/text()", namespaces=NS)
    assert isinstance(identifiers, list)
    assert identifiers[0] == "04161"
    assert one("dc:rights").text == profile.notice
    assert one("dcterms:spatial").text == "Kaiserslautern"


def test_creator_omitted_without_author(tmp_path: Path, profile: Profile) -> None:
    xml = build_dc(make_release(tmp_path, author=None), profile, "text/plain")
    assert etree.fromstring(xml).xpath("dc:creator", namespaces=NS) == []


def test_invalid_record_raises(tmp_path: Path, profile: Profile) -> None:
    # dcterms:RFC4646 is an xs:language: "de_DE" (underscore) is not a language tag.
    with pytest.raises(MetadataError, match="de_DE"):
        build_dc(make_release(tmp_path), dataclasses.replace(profile, language="de_DE"), "text/plain")


def _with_sprache(xml: bytes) -> bytes:
    root = etree.fromstring(xml)
    container = root if root.tag == "qualifieddc" else root.find(".//mets:xmlData/qualifieddc", NS)
    assert container is not None
    etree.SubElement(container, f"{{{NS['dc']}}}sprache").text = "deutsch"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def test_stray_element_fails_dc_alone_but_passes_lax_mets(package: Package) -> None:
    dc = build_dc(package.release, package.profile, "text/html")
    errors = validate_dc(_with_sprache(dc))
    assert len(errors) == 1 and "sprache" in errors[0] and errors[0].startswith("line ")
    mets = etree.fromstring(_with_sprache(build_mets(package)))
    # METS, PREMIS and dcterms loaded but no declaration of the DC container: mets:xmlData is
    # processContents="lax", the container is skipped, and the stray element passes unnoticed...
    lax = compile_schema(
        b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        b'<xs:import namespace="http://www.loc.gov/METS/" schemaLocation="mets.xsd"/>'
        b'<xs:import namespace="http://purl.org/dc/terms/" schemaLocation="dcterms.xsd"/>'
        b'<xs:import namespace="http://www.loc.gov/premis/v3" schemaLocation="premis.xsd"/></xs:schema>'
    )
    assert lax.validate(mets), lax.error_log
    # ...ours declares the container, so lax processing finds it and checks its content strictly too.
    assert any("sprache" in error for error in validate_mets(etree.tostring(mets)))


def test_dc_in_mets_equals_dc_xml(package: Package) -> None:
    source = next(f for f in package.payload if f.role == "source")
    dc = etree.fromstring(build_dc(package.release, package.profile, source.format.mime))
    embedded = etree.fromstring(build_mets(package)).find(".//mets:dmdSec//mets:xmlData/qualifieddc", NS)
    assert embedded is not None

    def fields(root: etree._Element) -> list[tuple[str, dict[str, str], str | None]]:
        # lxml-stubs types attribute names and values as str | bytes; lxml always gives str.
        return [(e.tag, dict(cast(Mapping[str, str], e.attrib)), e.text) for e in root]

    assert fields(embedded) == fields(dc)


def test_release_place_falls_back_to_profile(tmp_path: Path, profile: Profile) -> None:
    release = dataclasses.replace(make_release(tmp_path), place=None)
    root = etree.fromstring(build_dc(release, profile, "text/plain"))
    assert root.findtext("dcterms:spatial", namespaces=NS) == profile.place


# DCMI's qualifieddc.xsd (dublincore.org/schemas/xmls/qdc/2008/02/11/) as it declares its one element: no
# target namespace, importing dcterms.xsd (which imports dc.xsd and dcmitype.xsd, shipped unchanged).
QUALIFIEDDC_XSD = b"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:dcterms="http://purl.org/dc/terms/"
    elementFormDefault="qualified" attributeFormDefault="unqualified">
  <xs:import namespace="http://purl.org/dc/terms/" schemaLocation="dcterms.xsd"/>
  <xs:element name="qualifieddc" type="dcterms:elementOrRefinementContainer"/>
</xs:schema>"""


def test_root_is_the_one_dcmi_declares(tmp_path: Path, profile: Profile) -> None:
    xml = build_dc(make_release(tmp_path), profile, "text/plain")
    root = etree.fromstring(xml)
    assert root.tag == "qualifieddc"  # no namespace, as in DCMI's schema
    assert root.get(f"{{{NS['xsi']}}}noNamespaceSchemaLocation") == (
        "http://dublincore.org/schemas/xmls/qdc/2008/02/11/qualifieddc.xsd"
    )
    dcmi = compile_schema(QUALIFIEDDC_XSD)
    assert dcmi.validate(root), dcmi.error_log


def test_earlier_root_still_validates(tmp_path: Path, profile: Profile) -> None:
    """dc.xml of bags built before: the same record under <metadata>."""
    root = etree.fromstring(build_dc(make_release(tmp_path), profile, "text/plain"))
    root.tag = "metadata"
    assert validate_dc(etree.tostring(root)) == []
    root.tag = "dublincore"
    assert validate_dc(etree.tostring(root)) == [
        "line 1: root element is dublincore, expected qualifieddc or metadata"
    ]
