"""Bags for the validator tests: good ones from bagit-python's make_bag, then corrupted by the tests."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path

import bagit
import pytest

from tests.extract import extract_tar

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"


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


@pytest.fixture
def built_bag(built_bags: list[Path], tmp_path: Path) -> Path:
    """A private copy of a built bag with several payload files (source, rendition, attachments)."""
    source = next(b for b in built_bags if b.name.startswith("2022-04-02"))
    return Path(shutil.copytree(source, tmp_path / source.name, symlinks=True))


def reseal(bag: Path) -> None:
    """Rewrite the tag manifests after a test edited tag files, so only the edit's own findings remain."""
    tag_files = sorted(
        p.relative_to(bag).as_posix()
        for p in bag.rglob("*")
        if p.is_file() and not p.relative_to(bag).as_posix().startswith(("data/", "tagmanifest-"))
    )
    for manifest in bag.glob("tagmanifest-*.txt"):
        algorithm = manifest.name[len("tagmanifest-") : -len(".txt")]
        lines = [f"{hashlib.new(algorithm, (bag / t).read_bytes()).hexdigest()}  {t}\n" for t in tag_files]
        manifest.write_text("".join(lines), encoding="utf-8")


def edit_bag_info(bag: Path, edit: Callable[[list[str]], list[str]]) -> None:
    path = bag / "bag-info.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(edit(lines)) + "\n", encoding="utf-8")
    reseal(bag)


EARLIER_BAGS = Path(__file__).resolve().parent / "data"
"""Bags built by main at 7af62c0, before hrefs were relative to metadata/mets.xml, the DC root was qualifieddc
and charsets were checked (see data/README.md)."""


def unpack_earlier_bags(target: Path) -> list[Path]:
    """The earlier bags as folders under `target`."""
    for archive in sorted(EARLIER_BAGS.glob("*.tar.gz")):
        extract_tar(archive, target)
    return sorted(p for p in target.iterdir() if p.is_dir())
