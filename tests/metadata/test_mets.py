"""METS with DC and PREMIS 3: valid against the real schemas, the issue's content, byte-identical rebuilds."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import pytest
from lxml import etree

from preservation import __version__
from preservation.metadata import MetadataError, build_mets, file_identifier, validate_dc, validate_mets
from preservation.metadata.mets import mets_element
from preservation.package.model import Package

NS = {
    "mets": "http://www.loc.gov/METS/",
    "premis": "http://www.loc.gov/premis/v3",
    "xlink": "http://www.w3.org/1999/xlink",
}


@pytest.fixture
def mets(package: Package) -> etree._Element:
    xml = build_mets(package)
    assert validate_mets(xml) == []
    return etree.fromstring(xml)


def xp(root: etree._Element, path: str) -> list[Any]:
    found = root.xpath(path, namespaces=NS)
    assert isinstance(found, list), f"{path} does not select a node-set"
    return found


def test_header(mets: etree._Element, package: Package) -> None:
    assert mets.get("OBJID") == f"urn:uuid:{package.object_id}"
    assert xp(mets, "mets:metsHdr/@CREATEDATE") == ["2024-03-05T09:30:00Z"]
    (org,) = xp(mets, "mets:metsHdr/mets:agent[@ROLE='CREATOR'][@TYPE='ORGANIZATION']")
    assert org.findtext("mets:name", namespaces=NS) == "Stadtverwaltung Kaiserslautern"
    (software,) = xp(mets, "mets:metsHdr/mets:agent[@ROLE='CREATOR'][@TYPE='OTHER'][@OTHERTYPE='SOFTWARE']")
    assert software.findtext("mets:name", namespaces=NS) == "preservation"
    assert software.findtext("mets:note", namespaces=NS) == f"version {__version__}"


def test_dmdsec_wraps_valid_dc(mets: etree._Element) -> None:
    (container,) = xp(mets, "mets:dmdSec/mets:mdWrap[@MDTYPE='DC']/mets:xmlData/qualifieddc")
    assert validate_dc(etree.tostring(container)) == []


def test_files(mets: etree._Element, package: Package) -> None:
    files = xp(mets, "mets:fileSec//mets:file")
    assert [f.get("ID") for f in files] == ["file-1", "file-2", "file-3", "file-4"]
    by_path = {f.path: f for f in package.payload}
    hrefs = [f.find("mets:FLocat", NS).get(f"{{{NS['xlink']}}}href") for f in files]
    # Relative to metadata/mets.xml, where a resolver reads them from.
    assert hrefs == [
        "../data/04161.html",
        "../data/Foto%20Radweg%20100%25.png",
        "../data/Plan%20%C3%A4.jpg",
        "../data/04161.txt",
    ]
    paths = ["data/04161.html", "data/Foto Radweg 100%.png", "data/Plan ä.jpg", "data/04161.txt"]
    for element, path in zip(files, paths, strict=True):
        record = by_path[path]
        assert element.get("CHECKSUMTYPE") == "SHA-256"
        assert element.get("CHECKSUM") == record.digests["sha256"]
        assert element.get("SIZE") == str(record.size)
        assert element.get("MIMETYPE") == record.format.mime
        assert element.get("CREATED") == "2023-11-02T14:00:05Z"
        assert element.find("mets:FLocat", NS).get("LOCTYPE") == "URL"
    assert [f.get("MIMETYPE") for f in files] == [
        "text/html",
        "image/png",
        "image/png",
        "text/plain; charset=utf-8",
    ]
    assert xp(mets, "mets:fileSec/mets:fileGrp/@USE") == ["original", "rendition"]
    # The rendition shares its source's GROUPID.
    assert files[0].get("GROUPID") == files[3].get("GROUPID") is not None
    assert xp(mets, "mets:structMap/mets:div/mets:fptr/@FILEID") == ["file-1", "file-2", "file-3", "file-4"]


def test_every_admid_resolves(mets: etree._Element) -> None:
    ids = set(xp(mets, "//@ID"))
    for file in xp(mets, "mets:fileSec//mets:file"):
        admids = file.get("ADMID").split()
        assert admids[0].startswith("techMD-") and set(admids) <= ids


def test_a_files_admid_names_its_object_then_every_event_about_it(mets: etree._Element) -> None:
    sections = xp(mets, "mets:amdSec/mets:digiprovMD")
    counts = []
    for file in xp(mets, "mets:fileSec//mets:file"):
        tech_id, *event_ids = file.get("ADMID").split()
        (value,) = xp(mets, f"mets:amdSec/mets:techMD[@ID='{tech_id}']//premis:objectIdentifierValue/text()")
        about = ".//premis:linkingObjectIdentifier/premis:linkingObjectIdentifierValue"
        assert event_ids == [s.get("ID") for s in sections if value in xp(s, f"{about}/text()")]
        counts.append(len(event_ids))
    # The source: its digests and identification, the rendition's creation, the reading of the release, the
    # package's creation; each attachment: digests, identification, package; the rendition: its creation,
    # digests, identification, package.
    assert counts == [5, 3, 3, 4]


def _object(mets: etree._Element, href: str) -> etree._Element:
    (file,) = xp(mets, f"mets:fileSec//mets:file[mets:FLocat/@xlink:href='{href}']")
    tech_id = file.get("ADMID").split()[0]
    (obj,) = xp(mets, f"mets:amdSec/mets:techMD[@ID='{tech_id}']//premis:object")
    return obj


def test_premis_objects(mets: etree._Element, package: Package) -> None:
    photo = _object(mets, "../data/Plan%20%C3%A4.jpg")
    record = next(f for f in package.payload if f.path == "data/Plan ä.jpg")
    assert xp(photo, "premis:objectIdentifier/premis:objectIdentifierValue/text()") == [
        file_identifier(package, record).value
    ]
    fixity = {
        fx.findtext("premis:messageDigestAlgorithm", namespaces=NS): fx.findtext(
            "premis:messageDigest", namespaces=NS
        )
        for fx in xp(photo, ".//premis:fixity")
    }
    assert fixity == {"SHA-256": record.digests["sha256"], "SHA-512": record.digests["sha512"]}
    assert xp(photo, ".//premis:size/text()") == [str(record.size)]
    # A PNG named .jpg, identified by content: PNG 1.1 because of its sRGB chunk.
    assert xp(
        photo, ".//premis:formatRegistry[premis:formatRegistryName='PRONOM']/premis:formatRegistryKey/text()"
    ) == ["fmt/12"]
    assert xp(photo, ".//premis:formatNote/text()") == ["MIME type: image/png"]
    assert xp(photo, "premis:originalName/text()") == ["Plan ä.jpg"]


def test_rendition_derived_from_source(mets: etree._Element, package: Package) -> None:
    source = _object(mets, "../data/04161.html")
    rendition = _object(mets, "../data/04161.txt")
    source_id = xp(source, "premis:objectIdentifier/premis:objectIdentifierValue/text()")[0]
    (relationship,) = xp(rendition, "premis:relationship")
    assert relationship.findtext("premis:relationshipType", namespaces=NS) == "derivation"
    # LoC's labels as spelled, each with its term's URI (id.loc.gov/vocabulary/preservation).
    assert relationship.findtext("premis:relationshipSubType", namespaces=NS) == "has Source"
    loc = "http://id.loc.gov/vocabulary/preservation"
    assert xp(relationship, "premis:relationshipType/@valueURI") == [f"{loc}/relationshipType/der"]
    assert xp(relationship, "premis:relationshipSubType/@valueURI") == [f"{loc}/relationshipSubType/hss"]
    assert xp(relationship, "premis:relationshipSubType/@authorityURI") == [f"{loc}/relationshipSubType"]
    assert xp(relationship, ".//premis:relatedObjectIdentifierValue/text()") == [source_id]
    event_id = xp(relationship, ".//premis:relatedEventIdentifierValue/text()")[0]
    (event,) = xp(mets, f"//premis:event[premis:eventIdentifier/premis:eventIdentifierValue='{event_id}']")
    assert event.findtext("premis:eventType", namespaces=NS) == "creation"
    assert xp(source, "premis:relationship/premis:relationshipSubType/text()") == ["is Source Of"]
    assert xp(source, "premis:relationship/premis:relationshipSubType/@valueURI") == [
        f"{loc}/relationshipSubType/iso"
    ]


def test_events_link_to_agents(mets: etree._Element) -> None:
    agents = {
        a.findtext(".//premis:agentIdentifierValue", namespaces=NS): a for a in xp(mets, "//premis:agent")
    }
    names = sorted(a.findtext("premis:agentName", namespaces=NS) for a in agents.values())
    assert names == ["Stadtverwaltung Kaiserslautern", "preservation", "siegfried"]
    events = xp(mets, "//premis:event")
    types = [e.findtext("premis:eventType", namespaces=NS) for e in events]
    assert types.count("message digest calculation") == 4
    assert types.count("format identification") == 4
    assert types.count("information package creation") == 1
    for event in events:
        linked = xp(event, "premis:linkingAgentIdentifier/premis:linkingAgentIdentifierValue/text()")
        assert linked and set(linked) <= set(agents)
    identification = [
        e for e in events if e.findtext("premis:eventType", namespaces=NS) == "format identification"
    ]
    by_siegfried = [
        e
        for e in identification
        if agents[xp(e, ".//premis:linkingAgentIdentifierValue/text()")[0]].findtext(
            "premis:agentName", namespaces=NS
        )
        == "siegfried"
    ]
    assert len(by_siegfried) == 3
    # The outcome detail is the identifier's basis.
    assert all("byte match" in xp(e, ".//premis:eventOutcomeDetailNote/text()")[0] for e in by_siegfried)


def test_byte_identical_rebuild(package: Package) -> None:
    first = build_mets(package)
    reordered = dataclasses.replace(package, payload=tuple(reversed(package.payload)))
    assert build_mets(reordered) == first == build_mets(package)


def test_mets_failing_its_schema_is_refused(package: Package, monkeypatch: pytest.MonkeyPatch) -> None:
    def bagit_spelling(pkg: Package) -> etree._Element:
        root = mets_element(pkg)
        xp(root, "mets:fileSec//mets:file")[0].set("CHECKSUMTYPE", "sha256")  # BagIt's name, not METS's
        return root

    monkeypatch.setattr("preservation.metadata.mets.mets_element", bagit_spelling)
    with pytest.raises(MetadataError, match="does not follow its schema.*CHECKSUMTYPE"):
        build_mets(package)


def test_validation_time(package: Package) -> None:
    xml = build_mets(package)
    runs = 50
    start = time.perf_counter()
    for _ in range(runs):
        validate_mets(xml)
    per_doc = (time.perf_counter() - start) / runs
    start = time.perf_counter()
    for _ in range(runs):
        etree.tostring(mets_element(package))
    per_build = (time.perf_counter() - start) / runs
    print(f"\nMETS ({len(xml)} bytes): validate {per_doc * 1000:.2f} ms, build {per_build * 1000:.2f} ms")
    assert per_doc < 0.1


def test_controlled_values_name_their_loc_terms(mets: etree._Element) -> None:
    # Codes by hand from id.loc.gov/vocabulary/preservation: eventType/ipc is "information package
    # creation", agentType/sof "software", eventRelatedAgentRole/exe "executing program", ….
    loc = "http://id.loc.gov/vocabulary/preservation"

    def uris(path: str) -> set[tuple[str, str | None, str | None]]:
        return {(e.text or "", e.get("authorityURI"), e.get("valueURI")) for e in xp(mets, path)}

    assert (
        "information package creation",
        f"{loc}/eventType",
        f"{loc}/eventType/ipc",
    ) in uris("//premis:eventType")
    assert ("metadata extraction", f"{loc}/eventType", f"{loc}/eventType/mee") in uris("//premis:eventType")
    assert uris("//premis:agentType") == {
        ("organization", f"{loc}/agentType", f"{loc}/agentType/org"),
        ("software", f"{loc}/agentType", f"{loc}/agentType/sof"),
    }
    assert ("executing program", f"{loc}/eventRelatedAgentRole", f"{loc}/eventRelatedAgentRole/exe") in uris(
        "//premis:linkingAgentRole"
    )
    assert ("source", f"{loc}/eventRelatedObjectRole", f"{loc}/eventRelatedObjectRole/sou") in uris(
        "//premis:linkingObjectRole"
    )
    assert uris("//premis:messageDigestAlgorithm") == {
        ("SHA-256", f"{loc}/cryptographicHashFunctions", f"{loc}/cryptographicHashFunctions/sha256"),
        ("SHA-512", f"{loc}/cryptographicHashFunctions", f"{loc}/cryptographicHashFunctions/sha512"),
    }
    # Every authority is the vocabulary its authorityURI names.
    for element in xp(mets, "//premis:*[@authority]"):
        assert element.get("authorityURI") == f"{loc}/{element.get('authority')}"
