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
