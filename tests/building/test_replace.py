"""`build --replace`: a corrected source gets a new bag; the old one is kept, whole, and named by the new."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from lxml import etree

import preservation.bagit.writer as writer
from preservation.build import build_bags
from preservation.cli import main
from preservation.export.api import bag_folders
from preservation.fixity import api
from preservation.validate.api import validate_bag, validate_paths
from tests.building.helpers import EPOCH, tree_digest

NS = {"mets": "http://www.loc.gov/METS/", "premis": "http://www.loc.gov/premis/v3"}
BAGGED = "2023-11-14"  # the Bagging-Date of SOURCE_DATE_EPOCH 1700000000


@pytest.fixture
def source(tmp_path: Path, samples_dir: Path) -> Path:
    folder = tmp_path / "src" / "laubsammlung"
    folder.mkdir(parents=True)
    shutil.copy(samples_dir / "2020-10-05-laubsammlung.txt", folder / "pressemitteilung.txt")
    (folder / "plan.csv").write_text("Stadtteil;Tag\nInnenstadt;12.10.\n", encoding="utf-8")
    return folder


def correct(source: Path, day: str) -> None:
    """A corrected body: the collection starts on another day (the title, hence the identifier, stays)."""
    document = source / "pressemitteilung.txt"
    text = document.read_text(encoding="utf-8")
    document.write_text(re.sub(r"ab dem \d+\. Oktober", f"ab dem {day}", text), encoding="utf-8")


def mets(bag: Path) -> etree._Element:
    return etree.parse(str(bag / "metadata" / "mets.xml")).getroot()


def test_a_corrected_source_is_a_conflict_that_says_the_way_out_and_replace_takes_it(
    source, tmp_path, capsys
):
    out = tmp_path / "bags"
    assert main(["build", str(source), "--out", str(out), "--quiet"]) == 0
    before = tree_digest(out)
    correct(source, "19. Oktober")
    assert main(["build", str(source), "--out", str(out), "--quiet"]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("conflict: ") and str(source / "pressemitteilung.txt") in line
    assert "changed: data/pressemitteilung.txt" in line and "--replace" in line and "--corrections" in line
    assert tree_digest(out) == before
    assert main(["build", str(source), "--out", str(out), "--replace"]) == 0
    replaced, summary = capsys.readouterr().out.splitlines()
    assert replaced.startswith("replaced: ") and ".superseded" in replaced
    # The sample's closing line is dated a day after its date line: the reader says so.
    assert (
        summary
        == "0 built, 1 replaced, 0 up to date, 0 conflicts, 0 failed; 1 warning (--verbose lists them)"
    )


def test_replace_keeps_the_old_bag_whole_and_the_new_mets_names_it(source, tmp_path, profile):
    out = tmp_path / "bags"
    (first,) = build_bags([source], out, profile, environ=EPOCH).outcomes
    old = tree_digest(first.bag)
    old_id = mets(first.bag).get("OBJID")
    correct(source, "19. Oktober")
    (outcome,) = build_bags([source], out, profile, environ=EPOCH, replace=True).outcomes
    kept = out / ".superseded" / first.identifier / BAGGED
    assert (outcome.status, outcome.bag) == ("replaced", first.bag)
    assert str(kept) in (outcome.message or "")
    assert tree_digest(kept) == old  # moved whole: bytes, modes and times
    assert validate_bag(outcome.bag).findings == ()  # METS and DC pass the schemas, manifests agree
    assert "19. Oktober" in (outcome.bag / "data" / "pressemitteilung.txt").read_text(encoding="utf-8")
    root = mets(outcome.bag)
    assert root.get("OBJID") not in (None, old_id)
    header = root.find("mets:metsHdr", NS)
    assert header.get("RECORDSTATUS") == "REPLACEMENT"
    assert header.findtext("mets:altRecordID[@TYPE='REPLACES']", namespaces=NS) == old_id
    creation = "//premis:event[premis:eventType='information package creation']"
    notes = root.xpath(f"{creation}//premis:eventOutcomeDetailNote/text()", namespaces=NS)
    assert notes == [
        f"replaces the bag {old_id} of {BAGGED}, kept as .superseded/{first.identifier}/{BAGGED}"
    ]
    # No PREMIS identifier of the new bag repeats one of the old bag's.
    ids = set(
        root.xpath(
            "//premis:objectIdentifierValue/text() | //premis:eventIdentifierValue/text()", namespaces=NS
        )
    )
    old_ids = mets(kept).xpath(
        "//premis:objectIdentifierValue/text() | //premis:eventIdentifierValue/text()", namespaces=NS
    )
    assert ids and not ids & set(old_ids)


def test_a_second_replacement_on_the_same_day_keeps_both_and_rebuilds_are_identical(
    source, tmp_path, profile
):
    def history(out: Path) -> dict[str, tuple[str, int, int]]:
        copy = shutil.copytree(source, tmp_path / f"src-{out.name}")
        build_bags([copy], out, profile, environ=EPOCH)
        for text in ("19. Oktober", "26. Oktober"):
            correct(copy, text)
            (outcome,) = build_bags([copy], out, profile, environ=EPOCH, replace=True).outcomes
            assert outcome.status == "replaced"
        # Bags only: the folders that hold kept bags get the time they were made, like BAGS_DIR itself.
        containers = {".superseded", *(f".superseded/{p.name}" for p in (out / ".superseded").iterdir())}
        return {path: entry for path, entry in tree_digest(out).items() if path not in containers}

    one = history(tmp_path / "one")
    (identifier,) = [p.name for p in (tmp_path / "one").iterdir() if not p.name.startswith(".")]
    kept = tmp_path / "one" / ".superseded" / identifier
    assert sorted(p.name for p in kept.iterdir()) == [BAGGED, f"{BAGGED}.2"]
    assert "12. Oktober" in (kept / BAGGED / "data" / "pressemitteilung.txt").read_text(encoding="utf-8")
    assert "19. Oktober" in (kept / f"{BAGGED}.2" / "data" / "pressemitteilung.txt").read_text(
        encoding="utf-8"
    )
    newest = mets(tmp_path / "one" / identifier).find("mets:metsHdr/mets:altRecordID", NS).text
    assert newest == mets(kept / f"{BAGGED}.2").get("OBJID")
    # The same history in another folder gives the same bytes: every identifier is derived, none random.
    assert history(tmp_path / "two") == one


def test_a_replacement_killed_between_keeping_and_publishing_loses_nothing(
    source, tmp_path, profile, monkeypatch
):
    out = tmp_path / "bags"
    (first,) = build_bags([source], out, profile, environ=EPOCH).outcomes
    old = tree_digest(first.bag)
    correct(source, "19. Oktober")

    def killed(bag: writer.StagedBag) -> None:
        raise KeyboardInterrupt  # as if the process died right after the old bag was moved

    monkeypatch.setattr(writer, "_rename_into_place", killed)
    with pytest.raises(KeyboardInterrupt):
        build_bags([source], out, profile, environ=EPOCH, replace=True)
    monkeypatch.undo()
    kept = out / ".superseded" / first.identifier / BAGGED
    assert tree_digest(kept) == old and not first.bag.exists()
    # The next run builds the corrected bag, which still names the bag it replaces.
    (again,) = build_bags([source], out, profile, environ=EPOCH).outcomes
    assert again.status == "built"
    assert mets(again.bag).find("mets:metsHdr/mets:altRecordID", NS).text == mets(kept).get("OBJID")
    assert tree_digest(kept) == old
    assert sorted(p.name for p in out.iterdir()) == [".superseded", first.identifier]


def test_replace_never_moves_what_is_not_a_bag(source, tmp_path, profile):
    out = tmp_path / "bags"
    (first,) = build_bags([source], out, profile, environ=EPOCH).outcomes
    shutil.rmtree(first.bag)
    first.bag.write_text("notes", encoding="utf-8")
    (outcome,) = build_bags([source], out, profile, environ=EPOCH, replace=True).outcomes
    assert outcome.status == "conflict" and first.bag.read_text(encoding="utf-8") == "notes"
    assert not (out / ".superseded").exists()


def test_kept_bags_are_not_live_bags_to_validate_or_export(source, tmp_path, profile):
    out = tmp_path / "bags"
    build_bags([source], out, profile, environ=EPOCH)
    correct(source, "19. Oktober")
    (outcome,) = build_bags([source], out, profile, environ=EPOCH, replace=True).outcomes
    assert [Path(report.path) for report in validate_paths([out])] == [outcome.bag]
    assert bag_folders([out]) == [outcome.bag]


def test_fixity_follows_a_replaced_bag_to_where_it_is_kept(source, tmp_path, profile):
    """Without this, the ledger would take the new bag for the old one rewritten: a false alarm."""
    out, ledger = tmp_path / "bags", tmp_path / "fixity.sqlite"
    (first,) = build_bags([source], out, profile, environ=EPOCH).outcomes
    assert api.run_fixity([out], ledger, jobs=1).counts()["pass"] == 1
    correct(source, "19. Oktober")
    build_bags([source], out, profile, environ=EPOCH, replace=True)
    kept = out / ".superseded" / first.identifier / BAGGED
    result = api.run_fixity([out], ledger, jobs=1, check_all=True)
    assert {Path(c.bag): c.outcome for c in result.checked} == {first.bag: "pass", kept: "pass"}
    assert result.moved == ((str(first.bag), str(kept)),) and result.registered == 1
    (old,) = api.history(str(kept), ledger).bags
    assert (
        old.anchor is not None
        and old.registered_at < api.history(str(first.bag), ledger).bags[0].registered_at
    )
