"""export --format xdomea on the sample bags: containers, mapping, determinism, what is refused."""

from __future__ import annotations

import hashlib
import re
import shutil
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from lxml import etree

from preservation.bagit.parse import parse_manifest
from preservation.cli import main
from preservation.export.api import ExportError
from preservation.export.formats import export
from preservation.profile import Profile, XdomeaProfile
from tests.export.conftest import ENV
from tests.export.xdomea.conftest import NS, containers, export_xdomea, message_of

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _manifest(bag: Path) -> dict[str, str]:
    parsed = parse_manifest((bag / "manifest-sha256.txt").read_bytes(), "sha256", "utf-8", version_1_0=True)
    return dict(parsed.entries)


def test_one_container_per_year_named_by_its_process(xdomea_dir: Path, built_bags: list[Path]) -> None:
    found = containers(xdomea_dir)
    years = {re.match(r"\d{4}", dc_issued(bag)).group() for bag in built_bags}  # type: ignore[union-attr]
    assert len(found) == len(years)
    for container in found:
        process = message_of(container).findtext(f"{NS}Kopf/{NS}ProzessID")
        assert container.name == f"{process}_Aussonderung.Aussonderung.0503.zip"
        assert re.fullmatch(UUID, process or "")


def dc_issued(bag: Path) -> str:
    root = etree.parse(str(bag / "metadata" / "dc.xml")).getroot()
    return root.findtext("{http://purl.org/dc/terms/}issued") or ""


def test_every_payload_file_is_one_primary_document_with_its_bytes(
    xdomea_dir: Path, built_bags: list[Path]
) -> None:
    """Each bag file is in exactly one container, under <UUID>.<ext>, byte for byte (its manifest's
    SHA-256), and each container holds exactly its message and the files it references."""
    expected = sorted(digest for bag in built_bags for digest in _manifest(bag).values())
    seen = []
    for container in containers(xdomea_dir):
        message = message_of(container)
        referenced = [e.text for e in message.iter(f"{NS}Dateiname")]
        with zipfile.ZipFile(container) as archive:
            names = archive.namelist()
            assert names[0] == container.name.removesuffix(".zip") + ".xml"
            assert sorted(names[1:]) == sorted(referenced)
            for name in referenced:
                assert re.fullmatch(UUID + r"(\.[a-z0-9]+)?", name or "")
                seen.append(hashlib.sha256(archive.read(name or "")).hexdigest())
    assert sorted(seen) == expected


def _document(xdomea_dir: Path, identifier: str) -> etree._Element:
    for container in containers(xdomea_dir):
        for document in message_of(container).iter(f"{NS}Dokument"):
            if document.findtext(f"{NS}AllgemeineMetadaten/{NS}Kennzeichen") == identifier:
                return document
    raise AssertionError(identifier)


def test_a_release_with_attachments_and_a_rendition(xdomea_dir: Path, profile: Profile) -> None:
    """The 2023 Freibad release (samples/2023-05-15-freibad-saisonstart/): HTML source, its text
    rendition, a PDF and a PNG attachment."""
    document = _document(xdomea_dir, "2023-05-15-freibad-waschmuehle-startet-in-die-saison")
    general = document.find(f"{NS}AllgemeineMetadaten")
    assert general is not None
    assert general.findtext(f"{NS}Betreff") == "Freibad Waschmühle startet in die Saison"
    assert general.findtext(f"{NS}Bemerkung") == profile.notice
    assert document.findtext(f"{NS}DatumDesSchreibens") == "2023-05-15"
    assert document.findtext(f"{NS}Bearbeiter") == "Pressestelle"
    formats = document.findall(f"{NS}Version/{NS}Format")
    assert [f.findtext(f"{NS}Name/code") for f in formats] == ["008", "045"]  # html, Unicode text
    assert [f.findtext(f"{NS}Primaerdokument/{NS}DateinameOriginal") for f in formats] == [
        "pressemitteilung.html",
        "pressemitteilung.txt",
    ]
    attachments = document.findall(f"{NS}Anlage")
    assert [
        (a.findtext(f"{NS}AllgemeineMetadaten/{NS}Betreff"), a.findtext(f".//{NS}Name/code"))
        for a in attachments
    ] == [
        ("Preisliste 2023.pdf", "018"),
        ("übersichtsplan.png", "019"),
    ]
    assert [a.findtext(f"{NS}Identifikation/{NS}NummerImUebergeordnetenContainer") for a in attachments] == [
        "1",
        "2",
    ]


def test_text_is_unicode_text_only_when_its_bytes_are(xdomea_dir: Path) -> None:
    """Every sample's text (UTF-8 with and without BOM, Windows-1252, mixed): code 045 "Unicode Text File"
    exactly when the bytes decode as UTF-8 (ASCII included), whatever charset the bag's METS claims."""
    seen = set()
    for container in containers(xdomea_dir):
        with zipfile.ZipFile(container) as archive:
            for fmt in message_of(container).iter(f"{NS}Format"):
                name = fmt.findtext(f"{NS}Primaerdokument/{NS}Dateiname") or ""
                if not name.endswith(".txt"):
                    continue
                try:
                    archive.read(name).decode("utf-8")
                    unicode = True
                except UnicodeDecodeError:
                    unicode = False
                assert fmt.findtext(f"{NS}Name/code") == ("045" if unicode else "100"), name
                assert unicode or fmt.findtext(f"{NS}SonstigerName")
                seen.add(unicode)
    assert seen == {True, False}


def test_head_and_code_lists_come_from_the_profile(
    tmp_path: Path, built_bags: list[Path], profile: Profile
) -> None:
    custom = replace(
        profile,
        xdomea=XdomeaProfile(
            sender_unit="Referat 13",
            recipient="Landesarchiv NRW",
            recipient_unit="Abteilung Rheinland",
            receipt_confirmation=True,
            dateiformat_list_version="2.1",
        ),
    )
    out = export_xdomea(built_bags[:1], tmp_path / "t", custom)
    head = message_of(containers(out)[0]).find(f"{NS}Kopf")
    assert head is not None
    assert head.findtext(f"{NS}Absender/{NS}Institution/{NS}Name") == profile.organization.name
    assert head.findtext(f"{NS}Absender/{NS}Organisationseinheit/{NS}Name") == "Referat 13"
    assert head.findtext(f"{NS}Empfaenger/{NS}Institution/{NS}Name") == "Landesarchiv NRW"
    assert head.findtext(f"{NS}Empfaenger/{NS}Organisationseinheit/{NS}Name") == "Abteilung Rheinland"
    assert head.findtext(f"{NS}Empfangsbestaetigung") == "1"
    names = message_of(containers(out)[0]).iter(f"{NS}Name")
    assert {n.get("listVersionID") for n in names if n.get("listURI", "").endswith("dateiformat")} == {"2.1"}


def test_two_exports_are_byte_identical(
    tmp_path: Path, built_bags: list[Path], profile: Profile, xdomea_dir: Path
) -> None:
    again = export_xdomea(built_bags, tmp_path / "again", profile)
    assert _files(again) == _files(xdomea_dir)


def test_without_source_date_epoch_the_bags_decide_the_time(
    tmp_path: Path, built_bags: list[Path], profile: Profile
) -> None:
    first = export("xdomea", built_bags[:3], tmp_path / "a", profile, environ={})
    second = export("xdomea", built_bags[:3], tmp_path / "b", profile, environ={})
    assert first.ok and second.ok
    assert _files(tmp_path / "a") == _files(tmp_path / "b")


def test_ids_are_stable_and_the_process_changes_with_its_bags(
    tmp_path: Path, built_bags: list[Path], profile: Profile, xdomea_dir: Path
) -> None:
    """A release keeps its Dokument ID in another transfer; a transfer of other bags is another process."""
    one = next(b for b in built_bags if b.name.startswith("2024-07-01"))
    out = export_xdomea([one], tmp_path / "one", profile)
    alone = message_of(containers(out)[0])
    identifier = one.name
    assert _document(out, identifier).findtext(f"{NS}Identifikation/{NS}ID") == _document(
        xdomea_dir, identifier
    ).findtext(f"{NS}Identifikation/{NS}ID")
    processes = {message_of(c).findtext(f"{NS}Kopf/{NS}ProzessID") for c in containers(xdomea_dir)}
    assert alone.findtext(f"{NS}Kopf/{NS}ProzessID") not in processes


def test_version_3_1_0(tmp_path: Path, built_bags: list[Path], profile: Profile) -> None:
    out = export_xdomea(built_bags[:2], tmp_path / "t", profile, "3.1.0")
    assert all(
        etree.QName(message_of(c)).namespace == "urn:xoev-de:xdomea:schema:3.1.0" for c in containers(out)
    )
    assert main(["verify-transfer", str(out)]) == 0


def test_invalid_bag_is_not_exported_and_the_others_are(
    tmp_path: Path, bags: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    (bags[0] / "bag-info.txt").write_text("Broken\n")
    out = tmp_path / "t"
    assert main(["export", *map(str, bags), "--out", str(out), "--format", "xdomea", "--jobs", "1"]) == 1
    assert f"not exported: {bags[0]}" in capsys.readouterr().err
    primary = (out / "primary-documents.csv").read_text(encoding="utf-8-sig")
    assert bags[0].name not in primary and bags[1].name in primary
    assert main(["verify-transfer", str(out)]) == 0


def test_a_payload_file_changed_after_validation_drops_only_its_release(
    tmp_path: Path, bags: list[Path], profile: Profile
) -> None:
    """A same-size change passes the completeness check; its checksum is caught while the container is
    written, and the year's container is written again without that release."""
    bag = next(b for b in bags if b.name.startswith("2023-05-15"))
    pdf = bag / "data" / "Preisliste 2023.pdf"
    data = bytearray(pdf.read_bytes())
    data[-2] ^= 1
    pdf.write_bytes(bytes(data))
    result = export("xdomea", bags, tmp_path / "t", profile, environ=ENV)
    assert [r.bag for r in result.rejected] == [bag]
    assert result.rejected[0].reasons[0].code == "manifest.checksum-mismatch"
    assert len(result.exported) == len(bags) - 1
    assert not list((tmp_path / "t").glob(".*"))  # no temporary left
    assert main(["verify-transfer", str(tmp_path / "t")]) == 0


def test_an_invalid_message_is_never_published(
    tmp_path: Path, built_bags: list[Path], profile: Profile, monkeypatch: pytest.MonkeyPatch
) -> None:
    from preservation.export.xdomea import api

    real = api.render_message
    monkeypatch.setattr(
        api, "render_message", lambda m: real(m).replace(b"<code>0503</code>", b"<code>9999</code>")
    )
    result = export("xdomea", built_bags[:2], tmp_path / "t", profile, environ=ENV)
    assert len(result.rejected) == 2 and not result.exported
    assert result.rejected[0].reasons[0].code == "xdomea.message-invalid"
    assert list((tmp_path / "t").iterdir()) == []


def test_usage_errors(tmp_path: Path, built_bags: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    bag = str(built_bags[0])
    out = str(tmp_path / "t")
    assert main(["export", bag, "--out", out, "--format", "eark"]) == 2
    assert main(["export", bag, "--out", out, "--format", "xdomea", "--serialization", "zip"]) == 2
    assert main(["export", bag, "--out", out, "--format", "xdomea", "--xdomea-version", "2.4.0"]) == 2
    assert main(["export", bag, "--out", out, "--xdomea-version", "3.0.0"]) == 2
    err = capsys.readouterr().err
    assert "unknown export format 'eark'" in err and "does not apply to --format xdomea" in err
    assert (
        "unknown xdomea version '2.4.0'" in err and "--xdomea-version does not apply to --format bagit" in err
    )
    assert not (tmp_path / "t").exists()


def test_an_interrupted_export_is_resumed_and_a_complete_one_refused(
    tmp_path: Path, built_bags: list[Path], profile: Profile, xdomea_dir: Path
) -> None:
    out = tmp_path / "t"
    out.mkdir()
    first = containers(xdomea_dir)[0]
    shutil.copy(first, out / first.name)  # what a killed run had published
    export_xdomea(built_bags, out, profile)
    assert _files(out) == _files(xdomea_dir)
    with pytest.raises(ExportError, match="complete transfer"):
        export_xdomea(built_bags, out, profile)


def test_a_container_of_another_export_is_not_taken_into_this_one(
    tmp_path: Path, built_bags: list[Path], profile: Profile, xdomea_dir: Path
) -> None:
    out = tmp_path / "t"
    out.mkdir()
    other = containers(xdomea_dir)[0]
    shutil.copy(other, out / other.name)
    mine = next(b for b in built_bags if b.name.startswith("2024-07-01"))
    with pytest.raises(ExportError, match="containers of another export"):
        export_xdomea([mine], out, profile)
    assert not (out / "manifest-sha512.txt").exists()


def test_the_record_reads_dc_from_dc_xml_when_mets_wraps_none() -> None:
    """A bag whose METS refers to its DC rather than wrapping it (and whose DC has another root)."""
    from preservation.export.xdomea.mapping import read_record

    mets = b'<mets:mets xmlns:mets="http://www.loc.gov/METS/" OBJID="urn:uuid:1"/>'
    dc = (
        b'<q:qualifieddc xmlns:q="http://example.org/q" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        b' xmlns:dcterms="http://purl.org/dc/terms/"><dc:title>Titel</dc:title>'
        b"<dcterms:issued>2020-02-03</dcterms:issued><dc:creator>Autorin</dc:creator></q:qualifieddc>"
    )
    tags = {"metadata/mets.xml": mets, "metadata/dc.xml": dc, "bag-info.txt": b"External-Identifier: x\n"}
    record = read_record("x", tags, ["data/a.txt"])
    assert (record.title, record.issued, record.author, record.identifier) == (
        "Titel",
        "2020-02-03",
        "Autorin",
        "x",
    )


@pytest.mark.parametrize("href", ["data/a%20b.txt", "../data/a%20b.txt"])
def test_file_locations_relative_to_the_bag_or_to_metadata(href: str) -> None:
    """METS hrefs as the bags have them (relative to the bag root) and as a resolver wants them
    (relative to metadata/, where mets.xml sits) name the same payload file."""
    from preservation.export.xdomea.mapping import read_record

    mets = (
        '<mets:mets xmlns:mets="http://www.loc.gov/METS/" xmlns:xlink="http://www.w3.org/1999/xlink">'
        '<mets:fileSec><mets:fileGrp><mets:file ID="f" USE="source" MIMETYPE="text/plain; charset=utf-8">'
        f'<mets:FLocat LOCTYPE="URL" xlink:href="{href}"/></mets:file>'
        "</mets:fileGrp></mets:fileSec></mets:mets>"
    ).encode()
    record = read_record("x", {"metadata/mets.xml": mets}, ["data/a b.txt"])
    assert [(f.path, f.use, f.mime) for f in record.files] == [
        ("data/a b.txt", "source", "text/plain; charset=utf-8")
    ]
