"""`--cross-check`: bagit-python as a second opinion; disagreements are findings, agreement is silence."""

from __future__ import annotations

import hashlib
import json
import tarfile
from pathlib import Path

import pytest

from preservation.cli import main
from preservation.validate.api import validate_bag

from .conftest import make_good_bag, reseal


def test_good_bags_agree(built_bag: Path, tmp_path: Path) -> None:
    for bag in (built_bag, make_good_bag(tmp_path / "plain")):
        report = validate_bag(bag, cross_check=True)
        assert report.findings == () and report.families[-1] == "crosscheck"


def test_sibling_prefix_path_is_a_disagreement(tmp_path: Path) -> None:
    bag = make_good_bag(tmp_path / "bagA")
    (tmp_path / "bagAB").mkdir()
    (tmp_path / "bagAB" / "x").write_bytes(b"secret")
    for algorithm in ("sha256", "sha512"):
        with open(bag / f"manifest-{algorithm}.txt", "a", encoding="utf-8") as stream:
            stream.write(f"{hashlib.new(algorithm, b'secret').hexdigest()}  ../bagAB/x\n")
    reseal(bag)
    report = validate_bag(bag, cross_check=True)
    disagreement = [f for f in report.findings if f.code == "crosscheck.disagreement"]
    assert len(disagreement) == 1 and disagreement[0].severity == "info"
    assert "path.unsafe" in disagreement[0].message and not report.valid


def test_bagit_python_rejecting_what_we_accept_is_a_warning(
    good_bag: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bagit

    def refuse(self: bagit.Bag, **kwargs: object) -> None:
        raise bagit.BagValidationError("Payload-Oxum validation failed")

    monkeypatch.setattr(bagit.Bag, "validate", refuse)
    report = validate_bag(good_bag, cross_check=True)
    assert [(f.code, f.severity) for f in report.findings] == [("crosscheck.disagreement-invalid", "warning")]
    assert "Payload-Oxum validation failed" in report.findings[0].message


def test_serialized_bags_are_not_cross_checked(good_bag: Path, tmp_path: Path, capsys) -> None:
    target = tmp_path / "bag.tar"
    with tarfile.open(target, "w") as archive:
        archive.add(good_bag, arcname="bag")
    assert main(["validate", str(target), "--cross-check", "--format", "json"]) == 0
    findings = json.loads(capsys.readouterr().out)["bags"][0]["findings"]
    assert [f["code"] for f in findings] == ["crosscheck.skipped"]
