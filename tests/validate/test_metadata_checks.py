"""Metadata checks on built bags, edited: schema, METS files vs manifests, DC vs bag-info, the notice,
and hostile XML (external entities, entity bombs) as findings, never a hang or a leak."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from preservation.build import build_bags
from preservation.profile import Profile
from preservation.release.corrections import CorrectionRow, Corrections
from preservation.validate.api import BagReport, validate_bag
from preservation.validate.profile_rules import rules_from_profile

from .conftest import edit_bag_info, reseal

METS = "metadata/mets.xml"
DC = "metadata/dc.xml"


def found(report: BagReport) -> set[tuple[str, str | None]]:
    return {(f.code, f.file) for f in report.findings}


def replace_in(bag: Path, name: str, old: str, new: str, count: int = 1) -> None:
    path = bag / name
    text = path.read_text(encoding="utf-8")
    assert old in text, (name, old)
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    reseal(bag)


def test_built_bags_have_consistent_metadata(built_bags: list[Path], profile: Profile) -> None:
    for bag in built_bags:
        assert validate_bag(bag, profile=rules_from_profile(profile)).findings == ()


def test_mets_checksum_size_and_unlisted_file(built_bag: Path) -> None:
    mets = (built_bag / METS).read_text(encoding="utf-8")
    checksum = mets.split('CHECKSUM="', 1)[1].split('"', 1)[0]
    size = mets.split('SIZE="', 1)[1].split('"', 1)[0]
    href = mets.split('xlink:href="', 1)[1].split('"', 1)[0]
    replace_in(built_bag, METS, f'CHECKSUM="{checksum}"', f'CHECKSUM="{"0" * len(checksum)}"')
    replace_in(built_bag, METS, f'SIZE="{size}"', f'SIZE="{int(size) + 1}"')
    second = mets.split('xlink:href="')[2].split('"', 1)[0]
    replace_in(built_bag, METS, f'xlink:href="{second}"', 'xlink:href="data/not-there.txt"')
    report = validate_bag(built_bag)
    assert found(report) == {
        ("metadata.checksum-mismatch", METS),
        ("metadata.size-mismatch", METS),
        ("metadata.file-unlisted", METS),
    }
    messages = " ".join(f.message for f in report.findings)
    assert href.removeprefix("../") in messages
    # Resolved from metadata/mets.xml, as a resolver does: that is where such an href leads.
    assert "'metadata/data/not-there.txt'" in messages


def _hrefs(bag: Path) -> list[str]:
    return re.findall(r'xlink:href="([^"]*)"', (bag / METS).read_text(encoding="utf-8"))


def test_hrefs_relative_to_the_bag_root_are_read_with_a_warning(built_bag: Path) -> None:
    """The form earlier builds wrote: each href names its file still, one warning says how they are read."""
    hrefs = _hrefs(built_bag)
    assert len(hrefs) > 1 and all(h.startswith("../data/") for h in hrefs)
    replace_in(built_bag, METS, 'xlink:href="../data/', 'xlink:href="data/', count=len(hrefs))
    report = validate_bag(built_bag)
    assert found(report) == {("metadata.href-unresolved", METS)}
    (warning,) = report.findings
    assert warning.severity == "warning"
    assert dict(warning.params)["count"] == str(len(hrefs))
    assert f"'metadata/{hrefs[0].removeprefix('../')}'" in warning.message  # where a resolver looks
    # Still checked against the manifests in that form: a wrong checksum is found.
    checksum = (built_bag / METS).read_text(encoding="utf-8").split('CHECKSUM="', 1)[1].split('"', 1)[0]
    replace_in(built_bag, METS, f'CHECKSUM="{checksum}"', f'CHECKSUM="{"0" * len(checksum)}"')
    assert ("metadata.checksum-mismatch", METS) in found(validate_bag(built_bag))


def test_hrefs_resolve_through_xml_base(built_bag: Path) -> None:
    hrefs = _hrefs(built_bag)
    replace_in(built_bag, METS, 'xlink:href="../data/', 'xlink:href="', count=len(hrefs))
    replace_in(
        built_bag, METS, '<mets:fileSec ID="fileSec-1">', '<mets:fileSec ID="fileSec-1" xml:base="../data/">'
    )
    assert validate_bag(built_bag).findings == ()


@pytest.mark.parametrize(
    "href", ["../../data/x.txt", "/data/x.txt", "file:///etc/passwd", "http://example.org/x"]
)
def test_hrefs_out_of_the_bag_describe_no_listed_file(built_bag: Path, href: str) -> None:
    replace_in(built_bag, METS, f'xlink:href="{_hrefs(built_bag)[0]}"', f'xlink:href="{href}"')
    assert found(validate_bag(built_bag)) == {("metadata.file-unlisted", METS)}


def test_dc_title_identifier_and_date_against_bag_info(built_bag: Path) -> None:
    dc = (built_bag / DC).read_text(encoding="utf-8")
    title = dc.split("<dc:title", 1)[1].split(">", 1)[1].split("<", 1)[0]
    replace_in(built_bag, DC, f">{title}<", ">Ein anderer Titel<")
    issued = dc.split('W3CDTF">', 1)[1].split("<", 1)[0]
    replace_in(built_bag, DC, f'W3CDTF">{issued}<', 'W3CDTF">1999-01-01<')
    report = validate_bag(built_bag)
    assert found(report) == {("metadata.bag-info-mismatch", DC)}
    assert {dict(f.params)["element"] for f in report.findings} == {"title", "issued"}


def test_schema_invalid_dc(built_bag: Path) -> None:
    replace_in(built_bag, DC, "<dc:publisher>", "<dc:verleger>")
    replace_in(built_bag, DC, "</dc:publisher>", "</dc:verleger>")
    assert found(validate_bag(built_bag)) == {("metadata.schema", DC)}


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE mets [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<mets xmlns="http://www.loc.gov/METS/"><metsHdr>&secret;</metsHdr></mets>
"""
BOMB = (
    b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
"""
    + b"".join(
        f' <!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">\n'.encode()
        for n in range(1, 10)
    )
    + b"""]>
<mets xmlns="http://www.loc.gov/METS/">&lol9;</mets>
"""
)


@pytest.mark.parametrize("document", [XXE, BOMB], ids=["external-entity", "entity-bomb"])
def test_hostile_mets_is_an_invalid_bag_not_a_hang_or_leak(built_bag: Path, document: bytes) -> None:
    (built_bag / METS).write_bytes(document)
    reseal(built_bag)
    start = time.perf_counter()
    report = validate_bag(built_bag)
    assert time.perf_counter() - start < 5
    # The tiny hostile record also makes Bag-Size (a warning) wrong; that is all besides the schema finding.
    assert found(report) - {("bagsize.mismatch", "bag-info.txt")} == {("metadata.schema", METS)}
    assert not report.valid
    text = " ".join(f.message for f in report.findings)
    assert "root:" not in text and "lollol" not in text


def test_notice_missing_and_changed(built_bag: Path, profile: Profile, tmp_path: Path) -> None:
    rules = rules_from_profile(profile)
    replace_in(built_bag, "archival-notice.txt", "Pressearchiv", "Archiv", count=-1)
    edit_bag_info(built_bag, lambda lines: [x.replace("Achtung!", "Hinweis:") for x in lines])
    assert found(validate_bag(built_bag, profile=rules)) == {
        ("metadata.notice-mismatch", "archival-notice.txt"),
        ("metadata.notice-mismatch", "bag-info.txt"),
    }
    assert validate_bag(built_bag).findings == ()  # the notice is the profile's: no profile, no check
    (built_bag / "archival-notice.txt").unlink()
    reseal(built_bag)
    codes = {code for code, _ in found(validate_bag(built_bag, profile=rules))}
    assert {"metadata.notice-missing", "profile.tag-file.required"} <= codes


def test_an_identifier_dated_as_read_is_consistent_only_with_the_correction_the_mets_records(
    tmp_path: Path, samples_dir: Path, profile: Profile
) -> None:
    source = samples_dir / "2018-11-28-weihnachtsmarkt.txt"
    row = CorrectionRow(source, 2, {"issued": "2018-11-29"}, "Erika Mustermann")
    out = tmp_path / "bags"
    summary = build_bags(
        [source],
        out,
        profile,
        environ={"SOURCE_DATE_EPOCH": "1700000000"},
        corrections=Corrections(tmp_path / "fixes.csv", (row,)),
    )
    (outcome,) = summary.outcomes
    assert outcome.status == "built" and outcome.bag is not None
    assert outcome.bag.name.startswith("2018-11-28-")  # the identifier stays as read
    assert validate_bag(outcome.bag).findings == ()
    # A METS that records another correction does not excuse the date.
    replace_in(outcome.bag, METS, "issued was: 2018-11-28", "issued was: 2018-11-27")
    assert {(f.code, dict(f.params)["element"]) for f in validate_bag(outcome.bag).findings} == {
        ("metadata.bag-info-mismatch", "issued")
    }
