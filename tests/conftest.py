"""Shared fixtures: the default profile, the bundled samples, a folder open to an unprivileged user."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from preservation.profile import Profile, load_profile

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SEEDS = ROOT.parent / "shared" / "seeds"


@pytest.fixture(scope="session")
def profile() -> Profile:
    return load_profile(ROOT / "profiles" / "state-archive.yaml")


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return SAMPLES


@pytest.fixture
def open_tmp() -> Iterator[Path]:
    """A folder an unprivileged user can traverse and write (pytest's own tmp folders are private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="preservation-unprivileged-"))
    folder.chmod(0o777)
    yield folder
    for parent, folders, _ in os.walk(folder):  # top-down: each folder is opened before it is listed
        for name in folders:
            os.chmod(os.path.join(parent, name), 0o777)
    shutil.rmtree(folder)
