"""Find bags under roots and reconcile them with the ledger: new bags, moved bags, unreadable ones."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from preservation.bagit.parse import parse_tag_values
from preservation.bagit.reader import is_serialized_bag_name, open_bag
from preservation.fixity.anchor import compute_anchor
from preservation.fixity.bagpass import read_bag
from preservation.fixity.expect import declared_encoding
from preservation.fixity.ledger import NewBag
from preservation.fixity.model import BagKind, BagRecord


@dataclass(frozen=True)
class Found:
    path: str
    """Absolute, resolved."""
    kind: BagKind


def find_bags(roots: Iterable[Path]) -> list[Found]:
    """Folders holding bagit.txt (not descended into) and .tar/.tar.gz/.tgz/.zip files, sorted by path."""
    found: dict[str, Found] = {}
    for root in roots:
        for folder, dirs, files in os.walk(root.resolve()):
            if "bagit.txt" in files:
                found[folder] = Found(folder, "directory")
                dirs.clear()
                continue
            dirs.sort()
            for name in files:
                kind = _archive_kind(name)
                if kind is not None:
                    path = os.path.join(folder, name)
                    found[path] = Found(path, kind)
    return sorted(found.values(), key=lambda f: f.path)


def _archive_kind(name: str) -> BagKind | None:
    if name.startswith(".") or not is_serialized_bag_name(Path(name)):
        return None
    return "zip" if name.lower().endswith(".zip") else "tar"


def is_under(path: str, roots: Iterable[Path]) -> bool:
    return any(path == str(root) or path.startswith(str(root).rstrip(os.sep) + os.sep) for root in roots)


@dataclass(frozen=True)
class Identity:
    identity: str | None
    anchor: dict[str, str]
    size: int | None


def identify(found: Found) -> Identity | str | None:
    """What registration records, read from the tag files only; a reason (str) when the bag cannot be
    read, None when the location holds no bag."""
    try:
        reader = open_bag(Path(found.path))
    except ValueError:
        return None
    tags = read_bag(reader, lambda _: None, payload=False)
    trouble = [f"{name}: {why}" for name, why in (tags.unreadable | tags.damaged).items()]
    trouble += [
        f"archive unreadable: {dict(item.params).get('reason')}"
        for item in tags.reader_problems
        if item.code == "serialization.unreadable"
    ]
    if trouble:
        return f"cannot be registered: {'; '.join(trouble)}"
    if "bagit.txt" not in tags.tags:
        return None
    # A bag-info.txt in an encoding we cannot read still gives its ASCII labels; the check reports it.
    encoding = declared_encoding(tags.tags) or "utf-8"
    info = parse_tag_values(tags.tags.get("bag-info.txt", b""), encoding)
    oxum = (info.get("Payload-Oxum") or "").partition(".")[0]
    size = os.path.getsize(found.path) if found.kind != "directory" else int(oxum) if oxum.isdigit() else None
    return Identity(info.get("External-Identifier") or None, compute_anchor(tags.tags), size)


def identify_all(found: Sequence[Found]) -> tuple[Identity | str | None, ...]:
    """`identify` each; runs in worker processes."""
    return tuple(identify(item) for item in found)


@dataclass(frozen=True)
class Registration:
    new: tuple[NewBag, ...]
    moved: tuple[tuple[int, str], ...]
    """(bag id, new path)."""
    unreadable: tuple[tuple[str, str], ...]
    """(path, reason): bags found but not readable enough to register."""


def unknown(found: Sequence[Found], known: Sequence[BagRecord]) -> list[Found]:
    paths = {bag.path for bag in known}
    return [item for item in found if item.path not in paths]


def plan_registration(
    found: Sequence[Found],
    known: Sequence[BagRecord],
    identities: Mapping[str, Identity | str | None],
    *,
    exists: Callable[[str], bool] = os.path.lexists,
) -> Registration:
    """Which found bags are new and which known bags moved, given the `identities` of the found bags at
    unknown paths (an `Identity`, a reason why it is unreadable, or None for no bag).

    A bag at an unknown path whose identity and anchor equal those of a known bag whose path is gone has
    moved. Two live copies with the same identity (replicas) stay two bags.
    """
    by_path = {bag.path for bag in known}
    found_paths = {f.path for f in found}
    movable: dict[tuple[str | None, str], list[BagRecord]] = {}
    for bag in known:
        if bag.path not in found_paths:
            movable.setdefault(_key(bag.identity, bag.anchor), []).append(bag)
    new: list[NewBag] = []
    moved: list[tuple[int, str]] = []
    unreadable: list[tuple[str, str]] = []
    for item in found:
        if item.path in by_path:
            continue
        identity = identities.get(item.path)
        if isinstance(identity, str):
            unreadable.append((item.path, identity))
            continue
        if identity is None:
            continue
        candidates = [
            b for b in movable.get(_key(identity.identity, identity.anchor), []) if not exists(b.path)
        ]
        if candidates:
            moved.append((candidates[0].id, item.path))
            movable[_key(identity.identity, identity.anchor)].remove(candidates[0])
        else:
            new.append(NewBag(identity.identity, item.path, item.kind, identity.anchor, identity.size))
    return Registration(tuple(new), tuple(moved), tuple(unreadable))


def _key(identity: str | None, anchor: Mapping[str, str]) -> tuple[str | None, str]:
    return identity, repr(sorted(anchor.items()))
