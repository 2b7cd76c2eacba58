"""Bags built by an earlier version stay valid: its hrefs, DC root and PREMIS labels are read as they are."""

from __future__ import annotations

from pathlib import Path

import pytest

from preservation.validate.api import validate_bag

from .conftest import EARLIER_BAGS, unpack_earlier_bags


@pytest.fixture(scope="module")
def earlier_folders(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return unpack_earlier_bags(tmp_path_factory.mktemp("earlier"))


def test_the_fixture_has_the_earlier_forms(earlier_folders: list[Path]) -> None:
    mets = {
        bag.name[:10]: (bag / "metadata" / "mets.xml").read_text(encoding="utf-8") for bag in earlier_folders
    }
    assert 'xlink:href="data/' in mets["2022-04-02"] and "../data/" not in mets["2022-04-02"]
    assert "has source" in mets["2023-05-15"]
    assert "charset=us-ascii" in mets["2017-05-22"]
    assert all(
        (b / "metadata" / "dc.xml").read_text(encoding="utf-8").count("<metadata ") == 1
        for b in earlier_folders
    )


@pytest.mark.parametrize("form", ["folder", "tar.gz"])
def test_earlier_bags_are_valid_with_one_warning(earlier_folders: list[Path], form: str) -> None:
    bags = earlier_folders if form == "folder" else sorted(EARLIER_BAGS.glob("*.tar.gz"))
    assert len(bags) == 3
    for bag in bags:
        report = validate_bag(bag)
        assert [(f.code, f.severity) for f in report.findings] == [("metadata.href-unresolved", "warning")], (
            bag
        )
