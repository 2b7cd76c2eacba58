"""Real bags built with bagit-python, and a fixed clock, for the fixity tests."""

from __future__ import annotations

import hashlib
import shutil
import tarfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import bagit

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)

TarWriteMode = Literal["w", "w:gz"]


def make_bag(folder: Path, identity: str, files: dict[str, bytes] | None = None) -> Path:
    """A bag like a release bag: a text and a small 'photo', sha256 + sha512, with External-Identifier."""
    folder.mkdir(parents=True)
    for name, data in (
        files
        or {
            "release.txt": f"Pressemitteilung {identity}\n".encode(),
            "photo.jpg": b"\xff\xd8" + identity.encode() * 50,
        }
    ).items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    bagit.make_bag(str(folder), {"External-Identifier": identity}, checksums=["sha256", "sha512"])
    return folder


def make_bags(root: Path, count: int, prefix: str = "bag") -> list[Path]:
    return [make_bag(root / f"{prefix}{i:03d}", f"urn:ks:{prefix}:{i}") for i in range(count)]


def tar_bag(bag: Path, target: Path, mode: TarWriteMode = "w") -> Path:
    with tarfile.open(target, mode) as archive:
        archive.add(bag, arcname=bag.name)
    return target


def zip_bag(bag: Path, target_without_suffix: Path) -> Path:
    return Path(shutil.make_archive(str(target_without_suffix), "zip", bag.parent, bag.name))


def rewrite_consistently(bag: Path, name: str, data: bytes) -> None:
    """Change a payload file and recompute every manifest and tag manifest, as a careful forger would."""
    (bag / "data" / name).write_bytes(data)
    bagit.Bag(str(bag)).save(manifests=True)


class Clock:
    """A clock that moves on by `step` each time it is read."""

    def __init__(self, start: datetime = T0, step: timedelta = timedelta(seconds=1)) -> None:
        self.now = start
        self.step = step

    def __call__(self) -> datetime:
        self.now += self.step
        return self.now


def refresh_tag_manifests(bag: Path) -> None:
    """Recompute the tag manifests by hand (bagit-python refuses to load some of the bags we test)."""
    for algorithm in ("sha256", "sha512"):
        lines = [
            f"{hashlib.new(algorithm, tag.read_bytes()).hexdigest()}  {tag.name}\n"
            for tag in sorted(bag.iterdir())
            if tag.is_file() and not tag.name.startswith("tagmanifest-")
        ]
        (bag / f"tagmanifest-{algorithm}.txt").write_text("".join(lines))
