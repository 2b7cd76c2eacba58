"""Building bags from the samples: standards, reproducibility, safety."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from urllib.request import url2pathname

import bagit
import pytest
from lxml import etree

from preservation.build import build_bags
from preservation.cli import main
from preservation.metadata import validate_dc, validate_mets
from preservation.validate.api import validate_bag
from tests.building.helpers import EPOCH, tree_digest

NS = {
    "mets": "http://www.loc.gov/METS/",
    "premis": "http://www.loc.gov/premis/v3",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "xlink": "http://www.w3.org/1999/xlink",
}
SAMPLES = Path(__file__).resolve().parents[2] / "samples"
RELEASE = "Pressemitteilung vom 05.12.2024\n\n{title}\n\n{body}\n\nKaiserslautern, 05.12.2024\n"


def bags_in(out: Path) -> list[Path]:
    return sorted(p for p in out.iterdir() if p.is_dir())


def test_every_sample_becomes_a_bag_that_bagit_python_accepts(sample_bags):
    out, summary = sample_bags
    assert summary.ok
    assert summary.count("built") == 20
    assert {o.identifier for o in summary.outcomes} == {p.name for p in bags_in(out)}
    for bag in bags_in(out):
        bagit.Bag(str(bag)).validate()


def test_every_sample_bag_is_valid_to_our_validator_without_warnings(sample_bags):
    out, _ = sample_bags
    for bag in bags_in(out):
        report = validate_bag(bag)
        assert report.findings == (), (bag.name, report.findings)


def test_bag_layout_and_tag_files(sample_bags, profile):
    out, _ = sample_bags
    bag = out / "04161"
    assert sorted(p.name for p in bag.iterdir()) == [
        "archival-notice.txt",
        "bag-info.txt",
        "bagit.txt",
        "data",
        "manifest-sha256.txt",
        "manifest-sha512.txt",
        "metadata",
        "tagmanifest-sha256.txt",
        "tagmanifest-sha512.txt",
    ]
    assert (bag / "bagit.txt").read_bytes() == b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    assert (bag / "archival-notice.txt").read_text(encoding="utf-8") == profile.notice + "\n"
    info = bagit.Bag(str(bag)).info
    assert info["External-Identifier"] == "04161"
    assert info["Bagging-Date"] == "2023-11-14"  # SOURCE_DATE_EPOCH 1700000000 is 2023-11-14T22:13:20Z
    assert info["Archival-Notice"] == profile.notice_first_sentence
    assert info["BagIt-Profile-Identifier"] == profile.identifier
    labels = [
        line.split(":", 1)[0] for line in (bag / "bag-info.txt").read_text(encoding="utf-8").splitlines()
    ]
    assert labels == [f.name for f in profile.bag_info]
    # The HTML source byte for byte, plus its plain-text rendition.
    source = (
        Path(__file__).resolve().parents[2] / "samples" / "pressemitteilungen" / "04161" / "index.html.de"
    )
    assert (bag / "data" / "index.html.de").read_bytes() == source.read_bytes()
    assert (bag / "data" / "index.txt").read_text(encoding="utf-8").startswith(info["External-Description"])


def test_metadata_passes_the_official_schemas_and_matches_the_manifests(sample_bags):
    out, _ = sample_bags
    for bag in bags_in(out):
        mets = (bag / "metadata" / "mets.xml").read_bytes()
        dc = (bag / "metadata" / "dc.xml").read_bytes()
        assert validate_mets(mets) == [] and validate_dc(dc) == []
        manifest = dict(
            reversed(line.split("  ", 1))
            for line in (bag / "manifest-sha256.txt").read_text(encoding="utf-8").splitlines()
        )
        tree = etree.fromstring(mets)
        files = tree.findall(".//mets:fileSec//mets:file", NS)
        assert len(files) == len(manifest)
        mets_uri = (bag / "metadata" / "mets.xml").resolve().as_uri()
        for file in files:
            assert file.get("CHECKSUMTYPE") == "SHA-256"
            href = file.find("mets:FLocat", NS).get(f"{{{NS['xlink']}}}href")
            # As any consumer of the METS finds the file: the href resolved against the METS file's URI.
            target = urlsplit(urljoin(mets_uri, href))
            assert target.scheme == "file"
            path = Path(url2pathname(target.path))
            assert path.is_file(), href
            assert manifest[path.relative_to(bag.resolve()).as_posix()] == file.get("CHECKSUM")
            assert int(file.get("SIZE")) == path.stat().st_size
            # A charset declared is the one the bytes are in (Windows-1252 text has none).
            charset = file.get("MIMETYPE").partition("; charset=")[2]
            if charset:
                path.read_bytes().decode(charset)


def test_html_rendition_is_linked_to_its_source_as_a_derivation(sample_bags):
    tree = etree.parse(str(sample_bags[0] / "04161" / "metadata" / "mets.xml"))
    names = tree.xpath("//premis:object[premis:relationship]/premis:originalName/text()", namespaces=NS)
    assert sorted(names) == ["index.html.de", "index.txt"]
    kinds = tree.xpath("//premis:relationship/premis:relationshipType/text()", namespaces=NS)
    assert set(kinds) == {"derivation"}


def test_a_png_attachment_is_identified_by_its_content(sample_bags):
    bag = sample_bags[0] / "2023-05-15-freibad-waschmuehle-startet-in-die-saison"
    tree = etree.parse(str(bag / "metadata" / "mets.xml"))
    mimetypes = {
        f.find("mets:FLocat", NS).get(f"{{{NS['xlink']}}}href"): f.get("MIMETYPE")
        for f in tree.findall(".//mets:file", NS)
    }
    assert mimetypes["../data/%C3%BCbersichtsplan.png"] == "image/png"
    assert mimetypes["../data/Preisliste%202023.pdf"] == "application/pdf"


def test_rebuilding_with_source_date_epoch_is_byte_identical(sources, tmp_path, profile):
    first, second = tmp_path / "one", tmp_path / "two"
    build_bags([sources], first, profile, jobs=2, environ=EPOCH)
    build_bags([sources], second, profile, jobs=1, environ=EPOCH)
    assert tree_digest(first) == tree_digest(second)


def test_sources_are_left_exactly_as_they_were(sources, tmp_path, profile):
    before = tree_digest(sources)
    build_bags([sources], tmp_path / "bags", profile, environ=EPOCH)
    assert tree_digest(sources) == before


def test_a_rerun_skips_bags_that_are_up_to_date(sources, tmp_path, profile):
    out = tmp_path / "bags"
    build_bags([sources], out, profile, environ=EPOCH)
    before = tree_digest(out)
    again = build_bags([sources], out, profile, environ={"SOURCE_DATE_EPOCH": "1800000000"})
    assert again.count("up-to-date") == 20 and again.ok
    assert tree_digest(out) == before


def test_a_changed_source_is_a_conflict_that_leaves_the_old_bag_alone(sources, tmp_path, profile):
    out = tmp_path / "bags"
    build_bags([sources], out, profile, environ=EPOCH)
    before = tree_digest(out)
    photo = sources / "2022-04-02-fruehjahrsputz" / "Foto Aktionstag.jpg"
    photo.write_bytes(photo.read_bytes() + b"\x00")
    again = build_bags([sources], out, profile, environ=EPOCH)
    conflicts = [o for o in again.outcomes if o.status == "conflict"]
    assert len(conflicts) == 1 and not again.ok
    assert "changed: data/Foto Aktionstag.jpg" in conflicts[0].message
    assert tree_digest(out) == before


def test_bad_sources_fail_alone_and_the_rest_is_built(sources, tmp_path, profile):
    (sources / "kaputt.txt").write_bytes(b"\x00\x01\x02binary")
    summary = build_bags([sources], tmp_path / "bags", profile, environ=EPOCH)
    failed = [o for o in summary.outcomes if o.status == "failed"]
    assert [o.source.name for o in failed] == ["kaputt.txt"]
    assert summary.count("built") == 20


def test_tricky_attachment_names_are_bagged_and_encoded(tmp_path, samples_dir, profile):
    release = tmp_path / "release"
    release.mkdir()
    (release / "mitteilung.txt").write_bytes((samples_dir / "2020-10-05-laubsammlung.txt").read_bytes())
    nfd = unicodedata.normalize("NFD", "Grünfläche.csv")
    for name in ("Plan mit Leerzeichen.csv", "100% Ökostrom.csv", nfd, "Anhang "):
        (release / name).write_text(f"Anhang {name}\n", encoding="utf-8")
    summary = build_bags([release], tmp_path / "bags", profile, environ=EPOCH)
    (outcome,) = summary.outcomes
    assert outcome.status == "built", outcome.message
    manifest = (outcome.bag / "manifest-sha256.txt").read_text(encoding="utf-8")
    assert "data/100%25 Ökostrom.csv\n" in manifest
    assert "data/Plan mit Leerzeichen.csv\n" in manifest
    assert "data/Grünfläche.csv\n" in manifest and unicodedata.is_normalized("NFC", manifest)
    assert "data/Anhang \n" in manifest
    assert (outcome.bag / "data" / "Grünfläche.csv").exists()
    assert validate_bag(outcome.bag).findings == ()


def test_cli_build_summarises_and_sets_the_exit_code(sources, tmp_path, capsys):
    out = tmp_path / "bags"
    assert main(["build", str(sources), "--out", str(out), "--quiet"]) == 0
    # the samples' eight warnings: no date line, chrome (2), dates that disagree, a photo caption, a
    # notice in part (2), mixed encodings
    summary = "20 built, 0 up to date, 0 conflicts, 0 failed; 8 warnings (--verbose lists them)"
    assert capsys.readouterr().out.strip() == summary
    (sources / "leer.txt").write_bytes(b"")
    assert main(["build", str(sources), "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert (
        captured.out.strip()
        == "0 built, 20 up to date, 0 conflicts, 1 failed; 8 warnings (--verbose lists them)"
    )
    assert "failed:" in captured.err and "leer.txt" in captured.err


def test_cli_build_usage_errors_exit_2(tmp_path, capsys):
    assert main(["build", str(tmp_path / "missing"), "--out", str(tmp_path / "bags")]) == 2
    assert "no such source" in capsys.readouterr().err
    with pytest.raises(SystemExit) as caught:
        main(["build", str(tmp_path)])
    assert caught.value.code == 2


def test_cli_build_refuses_an_output_path_that_is_a_file(sources, tmp_path, capsys):
    in_the_way = tmp_path / "bags"
    in_the_way.write_text("notes")
    assert main(["build", str(sources), "--out", str(in_the_way)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"preservation: {in_the_way}: cannot be the output folder: a file of that name is in the way"
    ]
    assert in_the_way.read_text() == "notes"


def test_profile_export_is_consistent_with_the_built_bags(sample_bags, profile, capsys):
    assert main(["profile", "export", str(profile.source)]) == 0
    exported = json.loads(capsys.readouterr().out)
    for bag in bags_in(sample_bags[0]):
        info = bagit.Bag(str(bag)).info
        for name, rule in exported["Bag-Info"].items():
            if rule["required"]:
                assert name in info, (bag.name, name)
            if "values" in rule and name in info:
                assert info[name] in rule["values"]
        for algorithm in exported["Manifests-Required"]:
            assert (bag / f"manifest-{algorithm}.txt").is_file()
        for required in exported["Tag-Files-Required"]:
            assert (bag / required).is_file()
    assert os.environ.get("SOURCE_DATE_EPOCH") is None


def test_a_release_delivered_twice_is_built_once_and_the_copy_is_a_duplicate(tmp_path, samples_dir, profile):
    sample = samples_dir / "2020-10-05-laubsammlung.txt"
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        shutil.copy(sample, tmp_path / name / sample.name)
    summary = build_bags([tmp_path / "a", tmp_path / "b"], tmp_path / "out", profile, jobs=2, environ=EPOCH)
    assert [o.status for o in summary.outcomes] == ["built", "duplicate"] and summary.ok
    message = summary.outcomes[1].message or ""
    assert str(tmp_path / "a" / sample.name) in message and "byte-identical" in message
    assert [p.name for p in bags_in(tmp_path / "out")] == [summary.outcomes[0].identifier]


def test_two_different_sources_with_one_release_number_build_once_and_conflict_once(tmp_path, profile):
    for name, body in (("a", "Erster Text."), ("b", "Anderer Text.")):
        folder = tmp_path / name / "pressemitteilungen" / "04200"
        folder.mkdir(parents=True)
        (folder / "m.txt").write_text(RELEASE.format(title="Titel", body=body), encoding="utf-8")
    summary = build_bags([tmp_path / "a", tmp_path / "b"], tmp_path / "out", profile, environ=EPOCH)
    assert [(o.status, o.identifier) for o in summary.outcomes] == [("built", "04200"), ("conflict", "04200")]
    assert str(tmp_path / "a") in (summary.outcomes[1].message or "") and not summary.ok


def test_the_worker_preload_does_not_load_pygfried():
    """The forkserver preloads these modules; had they loaded pygfried (the Go runtime), every worker
    forked from it would hang in its first identification."""
    check = (
        "import sys, importlib; from preservation.workers import PRELOAD; "
        "[importlib.import_module(m) for m in PRELOAD]; sys.exit('pygfried' in sys.modules)"
    )
    root = Path(__file__).resolve().parents[2]
    assert subprocess.run([sys.executable, "-c", check], cwd=root, check=False).returncode == 0


def test_a_release_whose_title_holds_a_form_feed_builds_with_a_warning(tmp_path, profile, samples_dir):
    source = tmp_path / "src" / "release.txt"
    source.parent.mkdir()
    text = (samples_dir / "2018-11-28-weihnachtsmarkt.txt").read_text(encoding="utf-8")
    source.write_text(text.replace("Weihnachtsmarkt", "Weihnachts\x0cmarkt", 1), encoding="utf-8")
    summary = build_bags([source], tmp_path / "bags", profile)
    (outcome,) = summary.outcomes
    assert outcome.status == "built", outcome
    dc = etree.parse(str(outcome.bag / "metadata" / "dc.xml"))
    title = dc.findtext("{http://purl.org/dc/elements/1.1/}title")
    assert title is not None and "Weihnachts markt" in title
    assert (outcome.bag / "data" / "release.txt").read_bytes() == source.read_bytes()  # kept as it was


def test_build_dot_out_bags_can_be_run_again_and_again(sources, monkeypatch, capsys):
    """The output folder inside the sources, and the bags in it, are never read as releases."""
    monkeypatch.chdir(sources)
    assert main(["build", ".", "--out", "bags", "--quiet"]) == 0
    first = capsys.readouterr().out
    count = int(first.split()[0])
    assert count >= 20 and first.startswith(f"{count} built, 0 up to date, 0 conflicts, 0 failed")
    before = tree_digest(sources / "bags")
    assert main(["build", ".", "--out", "bags", "--quiet"]) == 0
    assert capsys.readouterr().out.startswith(f"0 built, {count} up to date, 0 conflicts, 0 failed")
    assert tree_digest(sources / "bags") == before


def test_bags_below_a_source_and_the_output_inside_a_release_folder_are_not_read(
    tmp_path, samples_dir, profile
):
    release = tmp_path / "release"
    release.mkdir()
    shutil.copy(samples_dir / "2020-10-05-laubsammlung.txt", release / "mitteilung.txt")
    (release / "plan.csv").write_text("Ort;Tag\n", encoding="utf-8")
    out = release / "bags"
    first = build_bags([release], out, profile, environ=EPOCH)
    assert first.count("built") == 1
    copied = tmp_path / "collection"
    shutil.copytree(out, copied / "earlier-output")  # a bag below a collection: not a release
    shutil.copy(samples_dir / "2019-06-04-museumsnacht.txt", copied / "museumsnacht.txt")
    again = build_bags([release, copied], out, profile, environ=EPOCH)
    assert [o.status for o in again.outcomes] == ["built", "up-to-date"]
    assert (out / first.outcomes[0].identifier / "data" / "plan.csv").is_file()
    assert not (out / first.outcomes[0].identifier / "data" / "bags").exists()


def test_with_several_workers_each_outcome_names_the_release_its_bag_holds(sample_bags):
    # The workers send back only bags; the coordinator pairs them with the releases it sent.
    out, summary = sample_bags
    built = [outcome for outcome in summary.outcomes if outcome.status == "built"]
    assert len(built) > 2 * 4  # more releases than two workers' first chunks
    for outcome in built:
        assert outcome.bag is not None and outcome.bag.parent == out
        document = outcome.source.read_bytes()
        held = [f for f in (outcome.bag / "data").rglob("*") if f.is_file() and f.read_bytes() == document]
        assert held, f"{outcome.bag.name} does not hold {outcome.source.name}"
