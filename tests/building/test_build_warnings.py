"""The reader's warnings reach the user (summary, --verbose), fail with --strict, and stay in the bag."""

from __future__ import annotations

import shutil
from pathlib import Path

from lxml import etree

from preservation.build import build_bags
from preservation.cli import main
from preservation.metadata import validate_mets
from tests.building.helpers import EPOCH, tree_digest

PREMIS = {"premis": "http://www.loc.gov/premis/v3"}
SAMPLES = Path(__file__).resolve().parents[2] / "samples"
CLEAN = "2021-03-12-stadtbibliothek-samstag.txt"
WARNED = "2020-10-05-laubsammlung.txt"  # its two dates disagree
WARNED_BAG = "2020-10-05-laubsammlung-beginnt-mitte-oktober"


def two_releases(tmp_path: Path) -> Path:
    sources = tmp_path / "sources"
    sources.mkdir()
    for name in (CLEAN, WARNED):
        shutil.copy(SAMPLES / name, sources / name)
    return sources


def extraction_events(bag: Path) -> list[etree._Element]:
    tree = etree.parse(str(bag / "metadata" / "mets.xml"))
    return tree.xpath("//premis:event[premis:eventType='metadata extraction']", namespaces=PREMIS)


def test_summary_counts_warnings_and_verbose_lists_each_with_its_code(tmp_path, capsys):
    sources = two_releases(tmp_path)
    assert main(["build", str(sources), "--out", str(tmp_path / "bags"), "--quiet"]) == 0
    assert capsys.readouterr().out.strip() == (
        "2 built, 0 up to date, 0 conflicts, 0 failed; 1 warning (--verbose lists them)"
    )
    assert main(["build", str(sources), "--out", str(tmp_path / "again"), "--verbose"]) == 0
    out = capsys.readouterr().out.splitlines()
    at = next(i for i, line in enumerate(out) if line.startswith("built:") and WARNED_BAG in line)
    assert out[at + 1].startswith("  warning: release.dates-disagree: dates disagree: ")
    assert "06.10.2020" in out[at + 1]
    assert sum(line.startswith("  warning:") for line in out) == 1
    assert out[-1] == "2 built, 0 up to date, 0 conflicts, 0 failed; 1 warning"


def test_strict_fails_the_warned_release_and_builds_the_others(tmp_path, capsys):
    sources, out = two_releases(tmp_path), tmp_path / "bags"
    assert main(["build", str(sources), "--out", str(out), "--strict"]) == 1
    captured = capsys.readouterr()
    assert captured.out.strip().splitlines()[-1].startswith("1 built, 0 up to date, 0 conflicts, 1 failed")
    assert f"failed: {sources / WARNED}: " in captured.err and "--strict" in captured.err
    assert "release.dates-disagree" in captured.err
    assert [p.name for p in out.iterdir() if not p.name.startswith(".")] == [
        "2021-03-12-stadtbibliothek-oeffnet-kuenftig-auch-am-samstagvormittag"
    ]


def test_each_bag_records_the_reading_as_a_premis_event_listing_its_warnings(tmp_path, profile):
    sources = two_releases(tmp_path)
    out = tmp_path / "bags"
    summary = build_bags([sources], out, profile, environ=EPOCH)
    assert summary.ok and summary.warning_count == 1
    (warned,) = extraction_events(out / WARNED_BAG)
    assert (
        warned.findtext("premis:eventOutcomeInformation/premis:eventOutcome", namespaces=PREMIS) == "warning"
    )
    notes = warned.xpath(".//premis:eventOutcomeDetailNote/text()", namespaces=PREMIS)
    assert len(notes) == 1 and notes[0].startswith("release.dates-disagree: dates disagree: ")
    detail = warned.findtext("premis:eventDetailInformation/premis:eventDetail", namespaces=PREMIS)
    assert (
        "data/2020-10-05-laubsammlung.txt" in detail and "issued: the 'Pressemitteilung vom' line" in detail
    )
    assert warned.findtext("premis:eventDateTime", namespaces=PREMIS) == "2023-11-14T22:13:20Z"
    clean = out / "2021-03-12-stadtbibliothek-oeffnet-kuenftig-auch-am-samstagvormittag"
    (event,) = extraction_events(clean)
    assert (
        event.findtext("premis:eventOutcomeInformation/premis:eventOutcome", namespaces=PREMIS) == "success"
    )
    assert event.xpath(".//premis:eventOutcomeDetailNote", namespaces=PREMIS) == []
    for bag in (out / WARNED_BAG, clean):
        assert validate_mets((bag / "metadata" / "mets.xml").read_bytes()) == []
    # deterministic: the same sources and date give the same bytes
    again = tmp_path / "again"
    build_bags([sources], again, profile, environ=EPOCH)
    assert tree_digest(again) == tree_digest(out)
