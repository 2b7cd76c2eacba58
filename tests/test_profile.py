from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from preservation.errors import ProfileError
from preservation.profile import load_profile

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "profiles" / "state-archive.yaml"


def write_variant(tmp_path: Path, change) -> Path:
    data = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))
    change(data)
    target = tmp_path / "variant.yaml"
    target.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return target


def test_default_profile_carries_the_organisation_and_the_notice():
    profile = load_profile(DEFAULT)
    assert profile.organization.name == "Stadtverwaltung Kaiserslautern"
    assert profile.notice_first_sentence == (
        "Achtung! Diese archivierte Pressemitteilung könnte inhaltlich veraltet sein"
    )
    assert profile.manifest_algorithms == ("sha256", "sha512")
    names = [f.name for f in profile.bag_info]
    assert (
        names.index("Source-Organization") < names.index("External-Identifier") < names.index("Payload-Oxum")
    )


def test_loading_without_a_path_gives_the_profile_users_read_in_profiles():
    assert load_profile().source.read_bytes() == DEFAULT.read_bytes()
    assert dataclasses.replace(load_profile(), source=DEFAULT) == load_profile(DEFAULT)


@pytest.mark.parametrize(
    ("change", "key", "reason"),
    [
        (lambda d: d["checksums"].update(manifest=["md6"]), "checksums.manifest[0]", "'md6' is not one of"),
        (lambda d: d["organization"].pop("name"), "organization", "'name' is a required property"),
        (lambda d: d["organization"].update(contact_email="nobody"), "organization.contact_email", "match"),
        (lambda d: d.update(colour="blue"), "(top level)", "'colour' was unexpected"),
        (lambda d: d["bag_info"].append({"name": "Bag Size"}), "bag_info[14].name", "does not match"),
        (lambda d: d["serialization"].update(mode="sometimes"), "serialization.mode", "is not one of"),
    ],
)
def test_a_bad_profile_names_the_key_and_the_reason(tmp_path, change, key, reason):
    with pytest.raises(ProfileError) as caught:
        load_profile(write_variant(tmp_path, change))
    message = str(caught.value)
    assert f"key '{key}'" in message
    assert reason in message
    assert "variant.yaml" in message


def test_a_default_outside_its_values_is_refused(tmp_path):
    def change(data):
        data["bag_info"][-1]["default"] = "en"

    with pytest.raises(ProfileError, match=r"bag_info\[13\]\.default.*'en' is not one of its values"):
        load_profile(write_variant(tmp_path, change))


def test_a_field_listed_twice_is_refused(tmp_path):
    with pytest.raises(ProfileError, match="listed twice"):
        load_profile(write_variant(tmp_path, lambda d: d["bag_info"].append({"name": "contact-name"})))


def test_a_required_tag_file_must_be_allowed(tmp_path):
    def change(data):
        data["tag_files"]["allowed"] = ["archival-notice.txt"]

    with pytest.raises(ProfileError, match="metadata/dc.xml' is required but not in tag_files.allowed"):
        load_profile(write_variant(tmp_path, change))


def test_missing_and_malformed_profiles_are_clear_errors(tmp_path):
    with pytest.raises(ProfileError, match="profile not found"):
        load_profile(tmp_path / "nope.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("profile: [unclosed\n", encoding="utf-8")
    with pytest.raises(ProfileError, match="not valid YAML at line"):
        load_profile(broken)
