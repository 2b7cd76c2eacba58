from __future__ import annotations

import dataclasses
import json
from fnmatch import fnmatchcase
from pathlib import Path

import pytest
from bagit_utils import Bag
from bagit_utils.validator import BagItProfileValidator, BagValidator

from preservation.bagit_profile import export_bagit_profile
from preservation.build import build_bags
from preservation.cli import main
from preservation.profile import Profile
from preservation.validate.globs import matches


def test_export_states_what_the_profile_demands(profile):
    exported = export_bagit_profile(profile)
    info = exported["BagIt-Profile-Info"]
    assert info["BagIt-Profile-Identifier"] == profile.identifier
    assert info["BagIt-Profile-Version"] == "1.4.0"
    assert info["Source-Organization"] == "Stadtverwaltung Kaiserslautern"
    assert exported["Manifests-Required"] == ["sha256", "sha512"]
    assert exported["Tag-Manifests-Required"] == ["sha256", "sha512"]
    assert exported["Accept-BagIt-Version"] == ["1.0"]
    assert exported["Allow-Fetch.txt"] is False
    assert exported["Bag-Info"]["Language"]["values"] == ["de"]
    assert exported["Bag-Info"]["Payload-Oxum"]["required"] is True
    # bag-info order is part of the profile: JSON objects keep insertion order.
    assert list(exported["Bag-Info"]) == [
        f.name for f in profile.bag_info if f.name != "BagIt-Profile-Identifier"
    ]
    allowed = exported["Tag-Files-Allowed"]
    for required in exported["Tag-Files-Required"]:
        assert any(fnmatchcase(required, pattern) for pattern in allowed), required
    assert "tagmanifest-sha512.txt" in exported["Tag-Files-Allowed"]


def test_cli_prints_the_export_as_json(capsys, profile):
    assert main(["profile", "export", str(profile.source)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == export_bagit_profile(profile)


def test_cli_reports_a_missing_profile_in_one_line(capsys, tmp_path):
    assert main(["profile", "export", str(tmp_path / "none.yaml")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "none.yaml: profile not found" in err


def test_patterns_are_glob7_and_admit_sub_folders(profile: Profile) -> None:
    exported = export_bagit_profile(profile)
    patterns = [
        *exported["Tag-Files-Required"],
        *exported["Tag-Files-Allowed"],
        *exported["Payload-Files-Required"],
        *exported["Payload-Files-Allowed"],
    ]
    assert not [p for p in patterns if "**" in p]  # no glob(7) wildcard; bagit-utils refuses data/**
    assert exported["Payload-Files-Allowed"] == ["data/*"]
    # The spec's rule, as our validator reads it: a folder's pattern admits everything beneath it.
    assert matches("data/*", "data/bilder/Sammelstelle Gänsbrunnen.png")


def test_profile_identifier_is_no_bag_info_entry(profile: Profile) -> None:
    assert "BagIt-Profile-Identifier" in [f.name for f in profile.bag_info]
    exported = export_bagit_profile(profile)
    assert "BagIt-Profile-Identifier" not in exported["Bag-Info"]
    assert exported["BagIt-Profile-Info"]["BagIt-Profile-Identifier"] == profile.identifier


@pytest.mark.parametrize(("allow", "require"), [(False, False), (True, False), (True, True)])
def test_fetch_required_only_where_fetch_is_allowed(profile: Profile, allow: bool, require: bool) -> None:
    exported = export_bagit_profile(dataclasses.replace(profile, allow_fetch=allow, fetch_required=require))
    assert exported["Allow-Fetch.txt"] is allow
    assert exported.get("Fetch.txt-Required") == (require if allow else None)
    BagItProfileValidator.load_profile(exported, None)


def test_bagit_utils_accepts_the_profile_and_a_bag_with_a_sub_folder(
    tmp_path: Path, samples_dir: Path, profile: Profile
) -> None:
    """LZV.nrw's bagit-utils, an independent validator, on the exported profile and a bag with sub-folders."""
    summary = build_bags([samples_dir / "2022-04-02-fruehjahrsputz"], tmp_path, profile, environ={})
    (outcome,) = summary.outcomes
    assert outcome.bag is not None and (outcome.bag / "data" / "bilder").is_dir()
    report = BagValidator.validate_once(Bag(outcome.bag), export_bagit_profile(profile))
    assert report.valid, [issue.message for issue in report.issues]
    # Its warnings: it checks no serialization, and it wants every bag-info tag, even this one, in Bag-Info.
    assert not [i.message for i in report.issues if i.level == "error" or "Payload" in (i.origin or "")]
