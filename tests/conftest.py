"""Shared fixtures: the default profile, the bundled samples and their bags (built once per session), a folder
open to an unprivileged user."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from preservation.profile import Profile, load_profile

if TYPE_CHECKING:
    from preservation.build import BuildSummary

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SEEDS = ROOT.parent / "shared" / "seeds"
SAMPLES_EPOCH = {"SOURCE_DATE_EPOCH": "1700000000"}


@pytest.fixture(scope="session")
def profile() -> Profile:
    return load_profile(ROOT / "profiles" / "state-archive.yaml")


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def sample_bags(
    tmp_path_factory: pytest.TempPathFactory, profile: Profile
) -> Iterator[tuple[Path, BuildSummary]]:
    """The bundled samples built once per session, reproducibly: the output folder and the build's summary.
    Shared by every test that reads real bags; a test that changes one works on a copy (`bags`, `built_bag`),
    and the session fails at the end if the shared bags changed."""
    from preservation.build import build_bags  # here: a session that needs no bags loads no build

    out = tmp_path_factory.mktemp("samples") / "bags"
    summary = build_bags([SAMPLES], out, profile, jobs=2, environ=SAMPLES_EPOCH)
    assert summary.ok, [o.message for o in summary.outcomes if o.message]
    before = _snapshot(out)
    yield out, summary
    assert _snapshot(out) == before, "a test changed the shared sample bags; it must work on a copy"


@pytest.fixture(scope="session")
def built_bags(sample_bags: tuple[Path, BuildSummary]) -> list[Path]:
    """Every sample release's bag (see `sample_bags`), sorted by path; copy before editing."""
    return sorted(o.bag for o in sample_bags[1].outcomes if o.bag is not None)


def _snapshot(root: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every entry under `root`: content digest (files), mode and mtime."""
    found: dict[str, tuple[bytes, int, int]] = {}
    for parent, _, names in os.walk(root):
        for name in ["", *names]:
            path = os.path.join(parent, name)
            info = os.lstat(path)
            data = b"" if name == "" else hashlib.sha256(Path(path).read_bytes()).digest()
            found[path] = (data, info.st_mode, info.st_mtime_ns)
    return found


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
