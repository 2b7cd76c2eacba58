"""Bags for the validator tests: good ones from bagit-python's make_bag, then corrupted by the tests."""

from __future__ import annotations

from pathlib import Path

import bagit
import pytest


def make_good_bag(folder: Path, files: dict[str, bytes] | None = None, **kwargs: object) -> Path:
    folder.mkdir(parents=True)
    for name, data in (files or {"a.txt": b"hello", "sub/b.txt": b"world"}).items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    bagit.make_bag(str(folder), checksums=["sha256", "sha512"], **kwargs)
    return folder


def bagit_python_valid(path: Path) -> bool:
    try:
        bagit.Bag(str(path)).validate()
    except (bagit.BagError, bagit.BagValidationError, OSError, UnicodeError):
        return False
    return True


@pytest.fixture
def good_bag(tmp_path: Path) -> Path:
    return make_good_bag(tmp_path / "bag")
