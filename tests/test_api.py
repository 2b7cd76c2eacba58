"""The library's front door (`preservation.api`): str or Path, a profile by path or none, the results the
commands print, one family of errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from preservation import api
from preservation.build import BuildSummary, build_bags
from preservation.errors import PreservationError
from preservation.fixity.api import RunResult
from preservation.profile import load_profile
from preservation.release.model import Release
from preservation.validate.api import validate_bag

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "2019-06-04-museumsnacht.txt"
PROFILE = ROOT / "profiles" / "state-archive.yaml"
IDENTIFIER = "2019-06-04-lange-nacht-der-museen-lockt-mit-fuehrungen-bis-mitternacht"


def test_the_readme_script_runs_from_strings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### From Python") :]
    script = section[section.index("```python\n") + len("```python\n") : section.index("\n```\n")]
    shutil.copytree(ROOT / "samples", tmp_path / "samples")
    shutil.copytree(ROOT / "profiles", tmp_path / "profiles")
    monkeypatch.chdir(tmp_path)
    scope: dict[str, object] = {}
    exec(script, scope)  # the README's own lines, as a user pastes them
    summary, reports, result = scope["summary"], scope["reports"], scope["result"]
    assert isinstance(summary, BuildSummary) and isinstance(result, RunResult) and isinstance(reports, list)
    assert len(summary.outcomes) == len(reports) == result.counts()["pass"] >= 20
    assert sorted(p.name for p in (tmp_path / "transfer").iterdir() if p.suffix == ".tar") == sorted(
        Path(r.path).name + ".tar" for r in reports
    )


def test_inspect_gives_what_the_command_shows() -> None:
    (release,) = api.inspect([str(SAMPLE)])
    assert isinstance(release, Release) and release.identifier == IDENTIFIER


def test_the_underlying_functions_take_strings_and_our_profile_too(tmp_path: Path) -> None:
    summary = build_bags([str(SAMPLE)], str(tmp_path / "bags"), load_profile())
    assert summary.ok
    report = validate_bag(str(tmp_path / "bags" / IDENTIFIER), profile=load_profile())
    assert report.valid


def test_bad_input_is_one_family_of_errors(tmp_path: Path) -> None:
    with pytest.raises(PreservationError, match="profile not found"):
        api.build([str(SAMPLE)], tmp_path / "bags", tmp_path / "missing.yaml")
    with pytest.raises(PreservationError, match="no such file or folder"):
        api.validate([tmp_path / "nothing"])
    with pytest.raises(PreservationError, match="not both"):
        api.validate([tmp_path], profile=PROFILE, bagit_profile=PROFILE)


def test_inspect_tells_a_release_delivered_twice_apart_as_the_command_does(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        shutil.copy(SAMPLE, tmp_path / folder / SAMPLE.name)
    first, second = api.inspect([tmp_path / "a", str(tmp_path / "b")])
    assert isinstance(first, Release) and isinstance(second, Release)
    assert [w.code for w in first.warnings] == []
    assert [w.code for w in second.warnings] == ["release.duplicate"]


def test_the_commands_options_are_the_facades(tmp_path: Path) -> None:
    fixes = tmp_path / "fixes.csv"
    fixes.write_text(f"source;title\n{SAMPLE};Museumsnacht bis Mitternacht\n", encoding="utf-8")
    with pytest.raises(PreservationError, match="a name of one line"):
        api.build([SAMPLE], tmp_path / "bags", corrections=str(fixes), corrected_by="Erika\nMustermann")
    assert not (tmp_path / "bags").exists()  # refused before anything is built
    planned: list[int] = []
    summary = api.build([SAMPLE], str(tmp_path / "bags"), corrections=str(fixes), on_planned=planned.append)
    assert summary.ok and planned == [1]
    bag = tmp_path / "bags" / IDENTIFIER
    assert "Museumsnacht bis Mitternacht" in (bag / "bag-info.txt").read_text(encoding="utf-8")

    heard: list[Path] = []
    bags = str(tmp_path / "bags")
    (report,) = api.validate([bags], PROFILE, on_planned=planned.append, on_bag=heard.append)
    assert report.valid and planned == [1, 1] and heard == [bag]

    with pytest.raises(PreservationError):
        api.export([bag], tmp_path / "transfer", format="no-such-format", on_planned=planned.append)
    assert planned == [1, 1] and not (tmp_path / "transfer").exists()  # refused before planning
    result = api.export([str(bag)], str(tmp_path / "transfer"), on_planned=planned.append)
    assert result.ok and planned == [1, 1, 1]
    files: list[str] = []
    assert api.verify_transfer(str(tmp_path / "transfer"), on_file=files.append).ok
    assert f"{IDENTIFIER}.tar" in files

    ledger = str(tmp_path / "fixity.sqlite")
    assert api.fixity_run([str(tmp_path / "bags")], ledger).counts()["pass"] == 1
    assert api.fixity_attention(ledger) == ()
    (record,) = api.fixity_history(bag, ledger).bags
    assert api.fixity_repair(bag, ledger, dry_run=True).outcome == "not-needed"
