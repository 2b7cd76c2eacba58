"""Identity across sources and runs: duplicates, releases sharing date and title, reruns."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from preservation.build import BuildOutcome, BuildSummary, build_bags
from preservation.cli import main
from tests.building.helpers import EPOCH, tree_digest

RELEASE = "Pressemitteilung vom 05.12.2024\n\n{title}\n\n{body}\n\nKaiserslautern, 05.12.2024\n"
BASE = "2024-12-05-baustelleninformation"


def release(
    folder: Path, body: str, name: str = "mitteilung.txt", title: str = "Baustelleninformation"
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(RELEASE.format(title=title, body=body), encoding="utf-8")
    return path


def identifiers(summary: BuildSummary) -> dict[str, str | None]:
    """Source folder name → identifier."""
    return {o.source.parent.name: o.identifier for o in summary.outcomes}


def test_different_releases_with_one_date_and_title_get_stable_content_suffixes(tmp_path, profile):
    a = release(tmp_path / "a", "Die Fahrbahn der Mainzer Straße wird erneuert.").parent
    b = release(tmp_path / "b", "Die Brücke am Bahnhof wird gesperrt.").parent
    c = release(tmp_path / "c", "Der Radweg am Stadtpark wird verbreitert.").parent
    forward = build_bags([a, b], tmp_path / "one", profile, environ=EPOCH)
    backward = build_bags([b, a], tmp_path / "two", profile, environ=EPOCH)
    three = build_bags([c, b, a], tmp_path / "three", profile, environ=EPOCH)
    assert forward.ok and backward.ok and three.ok
    ids = identifiers(forward)
    assert all(re.fullmatch(rf"{BASE}-[0-9a-f]{{8}}", i or "") for i in ids.values())
    assert ids["a"] != ids["b"]
    # Neither the order nor a third such release changes anyone's identifier.
    assert identifiers(backward) == ids
    assert {k: v for k, v in identifiers(three).items() if k != "c"} == ids
    assert identifiers(three)["c"] not in ids.values()
    assert tree_digest(tmp_path / "one") == tree_digest(tmp_path / "two")
    # Each is told apart out loud, naming the other.
    warning = said(next(o for o in forward.outcomes if o.source.parent == a), "release.same-date-and-title")
    assert str(b / "mitteilung.txt") in warning and ids["a"] in warning


def said(outcome: BuildOutcome, code: str) -> str:
    """The one warning with `code` among those the build gave for the release."""
    (message,) = [warning.message for warning in outcome.warnings if warning.code == code]
    return message


def test_reruns_with_more_or_fewer_sources_find_the_bags_they_made(tmp_path, profile):
    a = release(tmp_path / "a", "Die Fahrbahn der Mainzer Straße wird erneuert.").parent
    b = release(tmp_path / "b", "Die Brücke am Bahnhof wird gesperrt.").parent
    c = release(tmp_path / "c", "Der Radweg am Stadtpark wird verbreitert.").parent
    out = tmp_path / "bags"
    first = build_bags([a, b], out, profile, environ=EPOCH)
    before = tree_digest(out)
    alone = build_bags([a], out, profile, environ=EPOCH)
    assert [o.status for o in alone.outcomes] == ["up-to-date"] and alone.ok
    assert identifiers(alone)["a"] == identifiers(first)["a"]
    assert tree_digest(out) == before
    # A third release of that date and title, later and alone, is told apart too.
    later = build_bags([c], out, profile, environ=EPOCH)
    (outcome,) = later.outcomes
    assert outcome.status == "built" and outcome.identifier not in (None, BASE, *identifiers(first).values())
    warning = said(outcome, "release.same-date-and-title")
    assert identifiers(first)["a"] in warning and identifiers(first)["b"] in warning


def test_a_bag_under_the_plain_identifier_keeps_it_and_a_newcomer_is_told_apart(tmp_path, profile):
    a = release(tmp_path / "a", "Die Fahrbahn der Mainzer Straße wird erneuert.").parent
    b = release(tmp_path / "b", "Die Brücke am Bahnhof wird gesperrt.").parent
    out = tmp_path / "bags"
    assert identifiers(build_bags([a], out, profile, environ=EPOCH)) == {"a": BASE}
    both = build_bags([b, a], out, profile, environ=EPOCH)
    assert {o.source.parent.name: o.status for o in both.outcomes} == {"a": "up-to-date", "b": "built"}
    assert identifiers(both)["a"] == BASE and identifiers(both)["b"].startswith(BASE + "-")
    assert BASE in said(next(o for o in both.outcomes if o.source.parent == b), "release.same-date-and-title")
    # Later, b alone is not mistaken for a corrected a: it finds its own bag.
    (again,) = build_bags([b], out, profile, environ=EPOCH).outcomes
    assert (again.status, again.identifier) == ("up-to-date", identifiers(both)["b"])


def test_a_release_delivered_again_under_another_name_is_a_duplicate_of_its_bag(tmp_path, profile, capsys):
    first = release(tmp_path / "a", "Die Fahrbahn der Mainzer Straße wird erneuert.")
    (first.parent / "plan.pdf").write_bytes(b"%PDF-1.4 plan")
    again = tmp_path / "lieferung-2" / "pm-2024-12-05"
    again.mkdir(parents=True)
    shutil.copy(first, again / "index.txt")
    shutil.copy(first.parent / "plan.pdf", again / "plan.pdf")
    out = tmp_path / "bags"
    assert main(["build", str(first.parent), "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["build", str(again), "--out", str(out), "--verbose"]) == 0
    printed = capsys.readouterr().out
    assert f"duplicate: {again / 'index.txt'}: the same release as the bag {out / BASE}" in printed
    assert "data/mitteilung.txt" in printed
    assert "0 built, 0 up to date, 1 duplicate, 0 conflicts, 0 failed" in printed
    assert sorted(p.name for p in out.iterdir()) == [BASE]


def test_duplicates_in_one_run_are_reported_by_the_cli_and_exit_0(tmp_path, capsys):
    for name in ("a", "b", "c"):
        release(tmp_path / "src" / name, "Gleicher Text.")
    out = tmp_path / "bags"
    assert main(["build", str(tmp_path / "src"), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    lines = [line for line in captured.out.splitlines() if line.startswith("duplicate:")]
    assert len(lines) == 2 and all(str(tmp_path / "src" / "a" / "mitteilung.txt") in line for line in lines)
    assert lines[-1] != captured.out.splitlines()[-1]
    assert captured.out.splitlines()[-1] == "1 built, 0 up to date, 2 duplicates, 0 conflicts, 0 failed"


def test_a_bag_whose_derived_rendition_differs_is_still_up_to_date_with_its_source(
    tmp_path, samples_dir, profile
):
    """An earlier version of the tool may have rendered HTML to text differently; the source is the same."""
    source = samples_dir / "2023-05-15-freibad-saisonstart"
    out = tmp_path / "bags"
    (built,) = build_bags([source], out, profile, environ=EPOCH).outcomes
    manifest = built.bag / "manifest-sha256.txt"
    lines = manifest.read_text(encoding="utf-8").splitlines(keepends=True)
    manifest.write_text(
        "".join(
            "0" * 64 + line[64:] if line.endswith("data/pressemitteilung.txt\n") else line for line in lines
        ),
        encoding="utf-8",
    )
    (again,) = build_bags([source], out, profile, environ=EPOCH).outcomes
    assert again.status == "up-to-date", again.message


def test_a_release_that_later_gets_a_number_keeps_it_and_names_its_earlier_bag(tmp_path, profile, capsys):
    early = release(tmp_path / "export-2024" / "baustelle", "Die Fahrbahn der Mainzer Straße wird erneuert.")
    numbered = tmp_path / "archiv" / "pressemitteilungen" / "04300"
    numbered.mkdir(parents=True)
    shutil.copy(early, numbered / "index.txt")
    out = tmp_path / "bags"
    assert identifiers(build_bags([early.parent], out, profile, environ=EPOCH)) == {"baustelle": BASE}
    assert main(["build", str(numbered), "--out", str(out), "--verbose"]) == 0
    built, *warnings, summary = capsys.readouterr().out.splitlines()
    assert built == f"built: {out / '04300'}"
    (warning,) = [w for w in warnings if w.startswith("  warning: release.bagged-before-number: ")]
    assert f"bagged as {BASE}" in warning and "number 04300" in warning
    assert sorted(p.name for p in out.iterdir()) == ["04300", BASE]
