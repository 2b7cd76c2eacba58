"""`preservation validate`: the output contract and exit codes a script can rely on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree

from preservation.cli import main
from preservation.validate import hashpool

from .conftest import make_good_bag


def test_exit_codes_and_json_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = make_good_bag(tmp_path / "good")
    bad = make_good_bag(tmp_path / "bad")
    (bad / "data" / "a.txt").unlink()
    assert main(["validate", str(good), "--format", "json"]) == 0
    capsys.readouterr()
    assert main(["validate", str(good), str(bad), "--format", "json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert [b["valid"] for b in document["bags"]] == [True, False]
    finding = next(f for f in document["bags"][1]["findings"] if f["code"] == "payload.missing")
    assert finding == {
        "code": "payload.missing",
        "severity": "error",
        "message": "listed in manifest-sha256.txt, manifest-sha512.txt but not in the bag",
        "file": "data/a.txt",
    }
    assert main(["validate", str(tmp_path / "nope")]) == 2


def test_strict_junit_and_atomic_output(tmp_path: Path) -> None:
    bag = make_good_bag(tmp_path / "bag", {"a.txt": b"a", ".DS_Store": b"x"})
    out = tmp_path / "report.xml"
    assert main(["validate", str(bag), "--format", "junit", "--output", str(out)]) == 0
    assert main(["validate", str(bag), "--format", "junit", "--output", str(out), "--strict"]) == 1
    suites = etree.fromstring(out.read_bytes())
    cases = suites.findall("testsuite/testcase")
    assert [c.get("name") for c in cases] == ["structure", "manifests", "warnings", "metadata"]
    failure = cases[2].find("failure")
    assert failure is not None and failure.get("type") == "name.os-junk"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_unreadable_payload_is_not_a_mismatch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bag = make_good_bag(tmp_path / "bag")

    def failing(rel, path, size_hint, algorithms):
        return rel, size_hint, None, "Permission denied"

    monkeypatch.setattr(hashpool, "hash_local", failing)
    from preservation.validate.api import validate_bag

    report = validate_bag(bag)
    assert {f.code for f in report.findings} == {"payload.unreadable"}
    assert {f.file for f in report.findings} == {"data/a.txt", "data/sub/b.txt"}
