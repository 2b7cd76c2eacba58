"""`preservation validate`: the output contract and exit codes a script can rely on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree

from preservation.cli import main
from preservation.validate import hashpool

from .conftest import make_good_bag, reseal


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


def test_the_tag_file_limit_is_set_per_run_and_named_in_the_finding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bag-info of 2 MB is read by default (it was refused at 1 MiB); a lower limit names the file it
    stops and says the limit is ours; a tag file that is only hashed has no limit; a limit that is no
    size is a usage error."""
    bag = make_good_bag(tmp_path / "bag", {"a.txt": b"a"})
    (bag / "metadata").mkdir()
    (bag / "metadata" / "notes.xml").write_bytes(b"<x>" + b"y" * (3 << 20) + b"</x>")
    (bag / "bag-info.txt").write_bytes(
        (bag / "bag-info.txt").read_bytes() + b"Note: " + b"z" * (2 << 20) + b"\n"
    )
    reseal(bag)
    assert main(["validate", str(bag), "--format", "json"]) == 0
    capsys.readouterr()
    assert main(["validate", str(bag), "--format", "json", "--tag-file-limit", "1M"]) == 1
    findings = json.loads(capsys.readouterr().out)["bags"][0]["findings"]
    oversize = [f for f in findings if f["code"] == "tagfile.oversize"]
    assert [f["file"] for f in oversize] == ["bag-info.txt"]
    assert "1048576" in oversize[0]["message"] and "limit" in oversize[0]["message"]
    with pytest.raises(SystemExit) as exit_info:
        main(["validate", str(bag), "--tag-file-limit", "lots"])
    assert exit_info.value.code == 2
