from __future__ import annotations

import json
from fnmatch import fnmatchcase

from preservation.bagit_profile import export_bagit_profile
from preservation.cli import main


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
    assert list(exported["Bag-Info"]) == [f.name for f in profile.bag_info]
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
