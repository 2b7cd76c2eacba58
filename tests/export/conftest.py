"""Real bags for the export tests: private copies of the samples' bags, built once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import bagit
import pytest

from preservation.build import build_bags
from preservation.profile import Profile

EPOCH = "1700000000"
ENV = {"SOURCE_DATE_EPOCH": EPOCH}


def build(sources: list[Path], out: Path, profile: Profile) -> list[Path]:
    summary = build_bags(sources, out, profile, environ=ENV)
    assert summary.ok, [o.message for o in summary.outcomes if o.message]
    return sorted(o.bag for o in summary.outcomes if o.bag is not None)


@pytest.fixture
def bags(tmp_path: Path, built_bags: list[Path]) -> list[Path]:
    """A private copy, so a test may corrupt a bag."""
    target = tmp_path / "bags"
    shutil.copytree(built_bags[0].parent, target)
    return sorted(p for p in target.iterdir())


def bagit_python_valid(path: Path) -> bool:
    try:
        bagit.Bag(str(path)).validate()
    except (bagit.BagError, bagit.BagValidationError) as exc:
        pytest.fail(f"{path}: {exc}")
    return True
