"""Profile checks, YAML and BagIt Profile JSON alike: each rule fails on a built bag made to break it."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from preservation.bagit_profile import export_bagit_profile
from preservation.cli import main
from preservation.errors import ProfileError
from preservation.profile import Profile
from preservation.validate.api import BagReport, validate_bag
from preservation.validate.globs import matches
from preservation.validate.profile_rules import (
    ProfileRules,
    load_bagit_profile,
    rules_from_document,
    rules_from_profile,
)

from .conftest import edit_bag_info, reseal


def codes(report: BagReport) -> list[str]:
    return [f.code for f in report.findings]


@pytest.fixture
def rules(profile: Profile) -> ProfileRules:
    return rules_from_profile(profile)


@pytest.fixture
def document(profile: Profile) -> dict[str, Any]:
    return export_bagit_profile(profile)


def with_changes(document: dict[str, Any], **changes: Any) -> ProfileRules:
    # Keyword names stand for the profile's keys: `_` is `-`, `__` is `.` (Fetch__txt_Required).
    keys = {k.replace("__", ".").replace("_", "-"): v for k, v in changes.items()}
    return rules_from_document({**document, **keys}, "test")


def test_built_bags_pass_the_yaml_profile_and_its_exported_json(
    built_bags: list[Path], profile: Profile, tmp_path: Path
) -> None:
    exported = tmp_path / "state-archive.json"
    exported.write_text(json.dumps(export_bagit_profile(profile)), encoding="utf-8")
    from_json = load_bagit_profile(exported)
    from_yaml = rules_from_profile(profile)
    assert from_json.identifier == from_yaml.identifier == profile.identifier
    for bag in built_bags:
        for rules in (from_yaml, from_json):
            report = validate_bag(bag, profile=rules)
            assert report.findings == (), (bag.name, report.findings)
            assert "profile" in report.families


def test_no_profile_means_no_profile_checks(built_bag: Path) -> None:
    edit_bag_info(built_bag, lambda lines: [x for x in lines if not x.startswith("Contact-Name")])
    report = validate_bag(built_bag)
    assert report.findings == () and "profile" not in report.families


@pytest.mark.parametrize(
    ("edit", "code"),
    [
        (lambda lines: [x for x in lines if not x.startswith("Contact-Name")], "profile.bag-info.required"),
        (lambda lines: [x.replace("Language: de", "Language: en") for x in lines], "profile.bag-info.value"),
        (lambda lines: [*lines, "Language: de"], "profile.bag-info.repeated"),
        (
            lambda lines: [x for x in lines if not x.startswith("BagIt-Profile-Identifier")],
            "profile.identifier",
        ),
    ],
)
def test_bag_info_rules(built_bag: Path, rules: ProfileRules, edit: Any, code: str) -> None:
    edit_bag_info(built_bag, edit)
    found = set(codes(validate_bag(built_bag, profile=rules)))
    assert code in found and found <= {code, "profile.bag-info.required"}


def test_bagit_version_not_accepted(built_bag: Path, document: dict[str, Any]) -> None:
    rules = with_changes(document, Accept_BagIt_Version=["0.97"])
    assert codes(validate_bag(built_bag, profile=rules)) == ["profile.bagit-version"]


def _drop_tagmanifest_entry(bag: Path, name: str) -> None:
    (bag / name).unlink()
    reseal(bag)


def test_manifest_required_and_not_allowed(built_bag: Path, rules: ProfileRules) -> None:
    _drop_tagmanifest_entry(built_bag, "manifest-sha512.txt")
    (built_bag / "manifest-md5.txt").write_text(
        "".join(
            line.replace(line.split()[0], "0" * 32)
            for line in (built_bag / "manifest-sha256.txt").read_text(encoding="utf-8").splitlines(True)
        ),
        encoding="utf-8",
    )
    reseal(built_bag)
    found = [f for f in validate_bag(built_bag, profile=rules).findings if f.family == "profile"]
    assert {(f.code, f.file) for f in found} == {
        ("profile.manifest.required", "manifest-sha512.txt"),
        ("profile.manifest.not-allowed", "manifest-md5.txt"),
    }


def test_tagmanifest_required_and_not_allowed(built_bag: Path, rules: ProfileRules) -> None:
    (built_bag / "tagmanifest-sha512.txt").unlink()
    (built_bag / "tagmanifest-sha1.txt").write_text("", encoding="utf-8")
    reseal(built_bag)
    found = {f.code for f in validate_bag(built_bag, profile=rules).findings}
    assert found == {"profile.tagmanifest.required", "profile.tagmanifest.not-allowed"}


def test_tag_file_required_and_not_allowed(built_bag: Path, rules: ProfileRules) -> None:
    (built_bag / "metadata" / "dc.xml").unlink()
    (built_bag / "notes.txt").write_text("private notes\n", encoding="utf-8")
    reseal(built_bag)
    found = {
        (f.code, f.file) for f in validate_bag(built_bag, profile=rules).findings if f.family == "profile"
    }
    assert found == {
        ("profile.tag-file.required", "metadata/dc.xml"),
        ("profile.tag-file.not-allowed", "notes.txt"),
    }


def test_payload_files_required_and_allowed(built_bag: Path, document: dict[str, Any]) -> None:
    rules = with_changes(
        document, Payload_Files_Required=["data/LICENSE.txt"], Payload_Files_Allowed=["data/*.txt"]
    )
    payload = sorted(
        p.relative_to(built_bag).as_posix() for p in (built_bag / "data").rglob("*") if p.is_file()
    )
    not_txt = {p for p in payload if not p.endswith(".txt")}
    assert not_txt, payload
    found = {(f.code, f.file) for f in validate_bag(built_bag, profile=rules).findings}
    assert found == {("profile.payload-file.required", "data/LICENSE.txt")} | {
        ("profile.payload-file.not-allowed", p) for p in not_txt
    }


def test_fetch_not_allowed_and_required(
    built_bag: Path, document: dict[str, Any], rules: ProfileRules
) -> None:
    assert codes(validate_bag(built_bag, profile=with_changes(document, Fetch__txt_Required=True))) == [
        "profile.fetch.required"
    ]
    payload = next(p for p in (built_bag / "data").rglob("*") if p.is_file()).relative_to(built_bag)
    (built_bag / "fetch.txt").write_text(f"https://example.org/x - {payload.as_posix()}\n", encoding="utf-8")
    reseal(built_bag)
    assert codes(validate_bag(built_bag, profile=rules)) == ["profile.fetch.not-allowed"]


def test_data_empty(built_bag: Path, document: dict[str, Any], tmp_path: Path) -> None:
    rules = with_changes(document, Data_Empty=True, Tag_Files_Required=[])
    assert codes(validate_bag(built_bag, profile=rules)) == ["profile.data-empty"]
    from .conftest import make_good_bag

    empty = make_good_bag(tmp_path / "empty", {".keep": b""})
    found = {f.code for f in validate_bag(empty, profile=rules).findings}
    assert "profile.data-empty" not in found


def _tar(bag: Path, target: Path) -> Path:
    with tarfile.open(target, "w:gz" if target.name.endswith(".gz") else "w") as archive:
        archive.add(bag, arcname=bag.name)
    return target


def test_serialization(
    built_bag: Path, document: dict[str, Any], rules: ProfileRules, tmp_path: Path
) -> None:
    assert codes(validate_bag(built_bag, profile=with_changes(document, Serialization="required"))) == [
        "profile.serialization"
    ]
    tar = _tar(built_bag, tmp_path / "bag.tar")
    tgz = _tar(built_bag, tmp_path / "bag.tar.gz")
    assert validate_bag(tar, profile=rules).findings == ()
    assert validate_bag(tgz, profile=rules).findings == ()
    forbidden = with_changes(document, Serialization="forbidden")
    assert codes(validate_bag(tar, profile=forbidden)) == ["profile.serialization"]
    zip_only = with_changes(document, Accept_Serialization=["application/zip"])
    assert codes(validate_bag(tgz, profile=zip_only)) == ["profile.serialization.format"]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("{not json", "not valid JSON at line 1"),
        ('{"BagIt-Profile-Info": {}}', "not a BagIt Profile"),
        (
            '{"BagIt-Profile-Info": {"BagIt-Profile-Identifier": "x"}, "Accept-BagIt-Version": "1.0"}',
            "not a BagIt",
        ),
    ],
)
def test_bad_bagit_profile_is_one_clear_line(
    tmp_path: Path, built_bag: Path, capsys: pytest.CaptureFixture[str], text: str, fragment: str
) -> None:
    path = tmp_path / "profile.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError, match=fragment):
        load_bagit_profile(path)
    assert main(["validate", str(built_bag), "--bagit-profile", str(path)]) == 2
    error = capsys.readouterr().err
    assert str(path) in error and fragment in error and error.count("\n") == 1


def test_cli_profile_options(built_bag: Path, profile: Profile, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(built_bag), "--profile", str(profile.source), "--format", "json"]) == 0
    edit_bag_info(built_bag, lambda lines: [x for x in lines if not x.startswith("Contact-Name")])
    capsys.readouterr()
    assert main(["validate", str(built_bag), "--profile", str(profile.source), "--format", "json"]) == 1
    assert "profile.bag-info.required" in capsys.readouterr().out
    assert main(["validate", str(built_bag)]) == 0  # without a profile: RFC 8493 only
    with pytest.raises(SystemExit) as caught:
        main(["validate", str(built_bag), "--profile", "a.yaml", "--bagit-profile", "b.json"])
    assert caught.value.code == 2


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("metadata/*", "metadata/dc.xml", True),
        ("*", "metadata/dc.xml", True),
        ("*.txt", "metadata/dc.xml", False),
        ("data/*.txt", "data/sub/a.pdf", False),
        ("data/sub/", "data/sub/a.pdf", True),
        ("data/**", "data/a/b/c", True),
        ("meta/dir/[0-9]", "meta/dir/a", False),
        ("meta/*/*", "meta/a", False),
        ("data/file?.txt", "data/file1.txt", True),
    ],
)
def test_glob_patterns(pattern: str, path: str, expected: bool) -> None:
    assert matches(pattern, path) is expected


def test_a_bag_naming_the_profile_otherwise_is_validated_against_the_profile_named(
    built_bag: Path, rules: ProfileRules, tmp_path: Path, document: dict[str, Any]
) -> None:
    """The profile the user names applies; a bag that calls it by another identifier (an old URL) is told
    so in a warning, and --strict fails it."""
    old = "https://example.org/old-home/profile.json"
    edit_bag_info(
        built_bag,
        lambda lines: [
            f"BagIt-Profile-Identifier: {old}" if x.startswith("BagIt-Profile-Id") else x for x in lines
        ],
    )
    report = validate_bag(built_bag, profile=rules)
    assert report.valid and not report.passes(strict=True)
    (differs,) = report.findings
    assert differs.code == "profile.identifier-differs"
    assert old in differs.message and rules.identifier in differs.message
    profile_file = tmp_path / "profile.json"
    profile_file.write_text(json.dumps(document), encoding="utf-8")
    assert main(["validate", str(built_bag), "--bagit-profile", str(profile_file)]) == 0
    assert main(["validate", str(built_bag), "--bagit-profile", str(profile_file), "--strict"]) == 1
