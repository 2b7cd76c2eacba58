from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture
def sources(tmp_path: Path, samples_dir: Path) -> Path:
    """A private copy of the bundled samples, so tests may change them."""
    target = tmp_path / "sources"
    shutil.copytree(samples_dir, target)
    return target
