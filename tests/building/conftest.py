from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from preservation.build import BuildSummary, build_bags
from tests.building.helpers import EPOCH


@pytest.fixture
def sources(tmp_path: Path, samples_dir: Path) -> Path:
    """A private copy of the bundled samples, so tests may change them."""
    target = tmp_path / "sources"
    shutil.copytree(samples_dir, target)
    return target


@pytest.fixture(scope="session")
def sample_bags(
    tmp_path_factory: pytest.TempPathFactory, samples_dir: Path, profile
) -> tuple[Path, BuildSummary]:
    """The samples built once, reproducibly, for the tests that only read bags."""
    out = tmp_path_factory.mktemp("bags")
    summary = build_bags([samples_dir], out, profile, jobs=2, environ=EPOCH)
    return out, summary
