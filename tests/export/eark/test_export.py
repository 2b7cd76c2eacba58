"""export --format eark-sip: one E-ARK SIP per bag, checked requirement by requirement against CSIP 2.1
and SIP 2.1 (the IDs in the comments), with the DILCIS Board's vocabularies and schemas read from
shared/reference/e-ark rather than from the package."""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from preservation import __version__
from preservation.cli import main
from preservation.export.formats import export
from preservation.profile import Profile
from tests.export.conftest import ENV
from tests.export.eark.conftest import EARK_REFERENCE, export_eark, unpack

M = "{http://www.loc.gov/METS/}"
CSIP = "{https://DILCIS.eu/XML/METS/CSIPExtensionMETS}"
XLINK = "{http://www.w3.org/1999/xlink}"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
PREMIS = "{http://www.loc.gov/premis/v3}"
VOCABULARY_NS = "{https://DILCIS.eu/XML/Vocabularies/IP}"
DIGESTS = {"SHA-256": "sha256", "SHA-512": "sha512"}

needs_reference = pytest.mark.skipif(not EARK_REFERENCE.is_dir(), reason=f"no {EARK_REFERENCE}")


def vocabulary(name: str) -> set[str]:
    root = etree.parse(EARK_REFERENCE / "csip" / "schema" / name).getroot()
    return {(t.text or "").strip() for t in root.iter(f"{VOCABULARY_NS}Term")}


def mets_of(sip: Path) -> etree._Element:
    return etree.parse(sip / "METS.xml").getroot()


def all_mets(sip: Path) -> list[Path]:
    return sorted(sip.rglob("METS.xml"))


def bag_of(sip: Path, bags: list[Path]) -> Path:
    """The bag a SIP was made from: the one whose dc.xml it carries."""
    dc = (sip / "metadata" / "descriptive" / "dc.xml").read_bytes()
    return next(b for b in bags if (b / "metadata" / "dc.xml").read_bytes() == dc)


def test_one_sip_per_bag_in_one_folder_named_by_its_objid(eark_dir: Path, built_bags: list[Path]) -> None:
    packages = sorted(eark_dir.glob("*.zip"))
    assert len(packages) == len(built_bags)
    for package in packages:
        root = package.name.removesuffix(".zip")
        with zipfile.ZipFile(package) as archive:
            assert all(n.startswith(f"{root}/") for n in archive.namelist())
            assert etree.fromstring(archive.read(f"{root}/METS.xml")).get("OBJID") == root  # CSIP1


@needs_reference
def test_package_mets_declares_what_csip_and_sip_require(sips: list[Path]) -> None:
    categories = vocabulary("CSIPVocabularyContentCategory.xml")
    information_types = vocabulary("CSIPVocabularyContentInformationType.xml")
    for sip in sips:
        for path in all_mets(sip):
            mets = etree.parse(path).getroot()
            assert mets.get("PROFILE") == "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml"  # CSIP6, SIP2
            assert mets.get("TYPE") in categories  # CSIP2
            assert mets.get(f"{CSIP}CONTENTINFORMATIONTYPE") in information_types  # CSIP4
            if mets.get(f"{CSIP}CONTENTINFORMATIONTYPE") == "OTHER":
                assert mets.get(f"{CSIP}OTHERCONTENTINFORMATIONTYPE")  # CSIP5
            header = mets.find(f"{M}metsHdr")
            assert header is not None and header.get("CREATEDATE")  # CSIP117, CSIP7
            assert header.get(f"{CSIP}OAISPACKAGETYPE") == "SIP"  # CSIP9, SIP4
            software = [
                a
                for a in header.iter(f"{M}agent")
                if (a.get("ROLE"), a.get("TYPE"), a.get("OTHERTYPE")) == ("CREATOR", "OTHER", "SOFTWARE")
            ]
            assert len(software) == 1  # CSIP10-13
            assert software[0].findtext(f"{M}name") == "preservation"  # CSIP14
            note = software[0].find(f"{M}note")
            assert note is not None and note.text == __version__  # CSIP15
            assert note.get(f"{CSIP}NOTETYPE") == "SOFTWARE VERSION"  # CSIP16
            # SIP15-17: the submitting agent, an organisation
            assert any(
                (a.get("ROLE"), a.get("TYPE")) == ("CREATOR", "ORGANIZATION") and a.findtext(f"{M}name")
                for a in header.iter(f"{M}agent")
            )


def test_every_file_and_metadata_reference_matches_its_bytes(sips: list[Path]) -> None:
    """CSIP22-30, 36-44, 66-72, 76-79: location, MIME type, size, creation time and checksum of every
    file, and every file of the SIP but the package METS referenced by some METS."""
    for sip in sips:
        referenced = set()
        ids: list[str] = []
        for path in all_mets(sip):
            mets = etree.parse(path).getroot()
            ids += [e.get("ID") or "" for e in mets.iter() if e.get("ID")]
            for element in mets.iter(f"{M}file", f"{M}mdRef"):
                locator = element if element.tag == f"{M}mdRef" else element.find(f"{M}FLocat")
                assert locator is not None and locator.get("LOCTYPE") == "URL"
                assert locator.get(f"{XLINK}type") == "simple"
                from urllib.parse import unquote

                target = (path.parent / unquote(locator.get(f"{XLINK}href") or "")).resolve()
                assert target.is_file() and target.is_relative_to(sip.resolve()), target
                data = target.read_bytes()
                referenced.add(target)
                assert element.get("SIZE") == str(len(data))
                algorithm = DIGESTS[element.get("CHECKSUMTYPE") or ""]
                assert element.get("CHECKSUM") == hashlib.new(algorithm, data).hexdigest()
                mime = element.get("MIMETYPE") or ""
                assert "/" in mime and ";" not in mime  # an IANA media type, no parameters
                assert element.get("CREATED")
        assert len(ids) == len(set(ids))  # unique within the package
        files = {p.resolve() for p in sip.rglob("*") if p.is_file()}
        assert files - referenced == {(sip / "METS.xml").resolve()}


def test_metadata_is_the_bags_dc_and_premis(sips: list[Path], built_bags: list[Path]) -> None:
    for sip in sips:
        bag = bag_of(sip, built_bags)
        mets = mets_of(sip)
        dmd = mets.find(f"{M}dmdSec/{M}mdRef")
        assert dmd is not None and dmd.get("MDTYPE") == "DC"
        assert dmd.get(f"{XLINK}href") == "metadata/descriptive/dc.xml"
        premis_ref = mets.find(f"{M}amdSec/{M}digiprovMD/{M}mdRef")
        assert premis_ref is not None and premis_ref.get("MDTYPE") == "PREMIS"
        assert premis_ref.get(f"{XLINK}href") == "metadata/preservation/premis.xml"
        premis = etree.parse(sip / "metadata" / "preservation" / "premis.xml").getroot()
        bag_mets = etree.parse(bag / "metadata" / "mets.xml").getroot()
        for kind in ("object", "event", "agent"):
            ours = [
                etree.tostring(e, method="c14n", exclusive=True) for e in premis.findall(f"{PREMIS}{kind}")
            ]
            theirs = [
                etree.tostring(e, method="c14n", exclusive=True) for e in bag_mets.iter(f"{PREMIS}{kind}")
            ]
            assert ours == theirs and (kind == "agent" or ours)


def test_the_representation_holds_the_payload_byte_for_byte(sips: list[Path], built_bags: list[Path]) -> None:
    for sip in sips:
        bag = bag_of(sip, built_bags)
        ours = {p.relative_to(sip / "representations" / "rep1"): p.read_bytes()
                for p in (sip / "representations" / "rep1" / "data").rglob("*") if p.is_file()}  # fmt: skip
        theirs = {p.relative_to(bag): p.read_bytes() for p in (bag / "data").rglob("*") if p.is_file()}
        assert ours == theirs


def test_documentation_holds_the_archival_notice(sips: list[Path], built_bags: list[Path]) -> None:
    for sip in sips:
        bag = bag_of(sip, built_bags)
        notice = (sip / "documentation" / "archival-notice.txt").read_bytes()
        assert notice == (bag / "archival-notice.txt").read_bytes()


def test_struct_maps_are_labelled_as_csip_requires(sips: list[Path]) -> None:
    for sip in sips:
        mets = mets_of(sip)
        groups = {g.get("ID"): g.get("USE") for g in mets.iter(f"{M}fileGrp")}
        assert {"Documentation", "Schemas", "Representations/rep1"} <= set(
            groups.values()
        )  # CSIP60, 113, 114
        (struct,) = mets.findall(f"{M}structMap")
        assert (struct.get("TYPE"), struct.get("LABEL")) == ("PHYSICAL", "CSIP") and struct.get("ID")  # 81-83
        (top,) = struct.findall(f"{M}div")  # CSIP84
        divs = {d.get("LABEL"): d for d in top.findall(f"{M}div")}
        assert set(divs) == {"Metadata", "Documentation", "Schemas", "Representations"}
        assert all(d.get("ID") for d in divs.values())  # CSIP85, 89, 94, 98, 102
        ids = {e.get("ID") for e in mets.iter() if e.get("ID")}
        metadata = divs["Metadata"]
        assert set((metadata.get("DMDID") or "").split()) | set((metadata.get("ADMID") or "").split()) <= ids
        for label in ("Documentation", "Schemas"):  # CSIP96, 100, 116, 118
            assert [groups[f.get("FILEID")] for f in divs[label].findall(f"{M}fptr")] == [label]
        representation = divs["Representations"].find(f"{M}div")  # CSIP105-107
        assert representation is not None and representation.get("LABEL") == "Representations/rep1"
        pointer = representation.find(f"{M}mptr")  # CSIP108-112
        assert pointer is not None and pointer.get(f"{XLINK}href") == "representations/rep1/METS.xml"
        assert groups[pointer.get(f"{XLINK}title")] == "Representations/rep1"
        rep = etree.parse(sip / "representations" / "rep1" / "METS.xml").getroot()
        (rep_struct,) = rep.findall(f"{M}structMap")
        assert (rep_struct.get("TYPE"), rep_struct.get("LABEL")) == ("PHYSICAL", "CSIP")


def test_schemas_holds_a_schema_for_every_namespace_used(sips: list[Path]) -> None:
    for sip in sips:
        declared = {etree.parse(p).getroot().get("targetNamespace") for p in (sip / "schemas").glob("*.xsd")}
        for path in sip.rglob("*.xml"):
            root = etree.parse(path).getroot()
            used = {etree.QName(e).namespace for e in root.iter()}
            used |= {etree.QName(a).namespace for e in root.iter() for a in e.attrib}
            assert used - {None, XSI} <= declared, path


@needs_reference
def test_mets_is_valid_against_the_dilcis_schemas(sips: list[Path]) -> None:
    """The METS schema and the CSIP extension as the DILCIS Board publishes them; xlink (which METS
    imports from the LoC's site) from the SIP's own schemas/."""
    reference = EARK_REFERENCE / "csip" / "schema"
    xlink = sips[0] / "schemas" / "xlink.xsd"

    class Offline(etree.Resolver):
        def resolve(self, url, pubid, context):  # type: ignore[no-untyped-def, override]
            if url.startswith("file:"):
                return None
            if url.endswith("/xlink.xsd"):
                return self.resolve_filename(str(xlink), context)  # type: ignore[attr-defined]
            raise AssertionError(f"would fetch {url}")

    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(Offline())
    driver = f"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
      <xs:import namespace="http://www.loc.gov/METS/" schemaLocation="{(reference / "mets.xsd").as_uri()}"/>
      <xs:import namespace="https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
                 schemaLocation="{(reference / "DILCISExtensionMETS.xsd").as_uri()}"/>
    </xs:schema>"""
    schema = etree.XMLSchema(etree.fromstring(driver.encode(), parser))
    for sip in sips:
        for path in all_mets(sip):
            assert schema.validate(etree.parse(path)), (path, schema.error_log)


def test_exporting_twice_gives_the_same_bytes(
    tmp_path: Path, built_bags: list[Path], profile: Profile
) -> None:
    """With SOURCE_DATE_EPOCH, and without it (the bags' own creation times then)."""
    for environ, bags in ((ENV, built_bags), ({}, built_bags[:3])):
        first = export_eark(bags, tmp_path / f"a{len(bags)}", profile, environ)
        second = export_eark(bags, tmp_path / f"b{len(bags)}", profile, environ)
        names = sorted(p.name for p in first.iterdir())
        assert names == sorted(p.name for p in second.iterdir())
        assert all((first / n).read_bytes() == (second / n).read_bytes() for n in names)


def test_invalid_bag_is_not_exported_and_the_others_are(
    tmp_path: Path, bags: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    (bags[0] / "bag-info.txt").write_text("Broken\n")
    out = tmp_path / "t"
    assert (
        main(["export", *map(str, bags[:3]), "--out", str(out), "--format", "eark-sip", "--jobs", "1"]) == 1
    )
    assert f"not exported: {bags[0]}" in capsys.readouterr().err
    assert len(list(out.glob("*.zip"))) == 2
    assert main(["verify-transfer", str(out)]) == 0


def test_an_invalid_mets_is_never_published(
    tmp_path: Path, built_bags: list[Path], profile: Profile, monkeypatch: pytest.MonkeyPatch
) -> None:
    from preservation.export.eark import mapping

    real = mapping.render_mets
    monkeypatch.setattr(
        mapping, "render_mets", lambda m, s: real(m, s).replace(b'"PHYSICAL"', b'"PHYSICAL" X="1"')
    )
    result = export("eark-sip", built_bags[:2], tmp_path / "t", profile, environ=ENV)
    assert len(result.rejected) == 2 and not result.exported
    assert result.rejected[0].reasons[0].code == "eark.mets-invalid"
    assert list((tmp_path / "t").iterdir()) == []


def test_eark_sip_takes_no_format_options(tmp_path: Path, built_bags: list[Path]) -> None:
    bag, out = str(built_bags[0]), str(tmp_path / "t")
    assert main(["export", bag, "--out", out, "--format", "eark-sip", "--serialization", "zip"]) == 2
    assert main(["export", bag, "--out", out, "--format", "eark-sip", "--xdomea-version", "3.0.0"]) == 2


def test_unpacked_sips_are_what_the_zips_hold(tmp_path: Path, eark_dir: Path) -> None:
    assert [p.name + ".zip" for p in unpack(eark_dir, tmp_path)] == sorted(
        p.name for p in eark_dir.glob("*.zip")
    )


def test_a_copy_of_a_bag_is_exported_once(tmp_path: Path, bags: list[Path], profile: Profile) -> None:
    copy = tmp_path / "bags" / "zz-copy"
    shutil.copytree(bags[0], copy)
    result = export("eark-sip", [bags[0], copy], tmp_path / "t", profile, environ=ENV)
    assert [r.bag for r in result.rejected] == [copy]
    assert result.rejected[0].reasons[0].code == "eark.sip-repeated"
    assert len(list((tmp_path / "t").glob("*.zip"))) == 1
    assert main(["verify-transfer", str(tmp_path / "t")]) == 0


def test_an_interrupted_export_is_resumed_and_a_foreign_folder_refused(
    tmp_path: Path, built_bags: list[Path], profile: Profile
) -> None:
    out = export_eark(built_bags[:3], tmp_path / "t", profile)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    for name in ("manifest-sha512.txt", "transfer-list.csv"):  # killed before the last files
        (out / name).unlink()
    export_eark(built_bags[:3], out, profile)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("x")
    assert main(["export", str(built_bags[0]), "--out", str(tmp_path / "other"), "--format", "eark-sip"]) == 2
