"""Find bags under roots and reconcile them with the ledger: new bags, moved bags, unreadable ones."""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from preservation.bagit.locate import Found, bags_at
from preservation.bagit.parse import payload_oxum
from preservation.bagit.reader import open_bag
from preservation.errors import BagError
from preservation.fixity.anchor import compute_anchor
from preservation.fixity.ledger import NewBag
from preservation.fixity.model import Anchor, BagKind, BagRecord, FixityError, Identity, NotABag
from preservation.package import SUPERSEDED
from preservation.validate.scan import BagContext, build_context


def find_bags(roots: Iterable[Path]) -> list[Found]:
    """The bags at or below each root (see `locate`), sorted by path; a bag folder is not searched."""
    found = {item.path: item for root in roots for item in _bags_at(root)}
    return [found[path] for path in sorted(found)]


def _bags_at(root: Path) -> list[Found]:
    try:
        # Bags kept by `build --replace` are preserved bags too; other hidden folders are temporaries.
        return bags_at(root, recursive=True, hidden=frozenset({SUPERSEDED}))
    except BagError as exc:  # the roots were checked; this one changed since
        raise FixityError(exc.source, exc.message) from None


def is_under(path: str, roots: Iterable[Path]) -> bool:
    return any(path == str(root) or path.startswith(str(root).rstrip(os.sep) + os.sep) for root in roots)


def identify(found: Found) -> Identity | NotABag | str:
    """What registration records, from the tag files (for bags beyond this run's budget): the payload is
    listed, not read."""
    try:
        before = os.lstat(found.path)
        reader = open_bag(Path(found.path))
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    except ValueError as exc:  # replaced since it was found, by something of another kind
        return str(exc).partition(": ")[2] or str(exc)
    return registration(found.path, found.kind, build_context(reader, "fast"), before=before)


def registration(
    path: str,
    kind: BagKind,
    context: BagContext,
    *,
    before: os.stat_result,
    anchor: dict[str, str] | None = None,
) -> Identity | NotABag | str:
    """What registration records, from the scan of a bag; why not (str) when the bag cannot be read,
    `NotABag` when the location holds no bag. `before`: the path's status taken before the scan.
    `anchor`: when the caller has it already."""
    scan = context.scan
    trouble = [f"{name}: {tag.error}" for name, tag in scan.tags.items() if tag.error is not None]
    trouble += [f"{name}: {why}" for name, why in scan.unreadable.items()]
    trouble += [
        f"archive unreadable: {dict(item.params).get('reason')}"
        for item in context.reader_problems
        if item.code == "serialization.unreadable"
    ]
    if trouble:
        return "; ".join(trouble)
    if "bagit.txt" not in scan.tags and "bagit.txt" in scan.kinds:  # a link, FIFO or folder: a broken bag
        return f"bagit.txt is a {scan.kinds['bagit.txt']}, not a regular file"
    if "bagit.txt" not in scan.tags:
        where = "in its top-level folder" if kind != "directory" else "in the folder"
        return NotABag(before.st_size, before.st_mtime_ns, f"no bagit.txt {where}")
    # A bag-info.txt in an encoding we cannot read still gives its ASCII labels; the check reports it.
    info = context.info if context.info_file == "bag-info.txt" else None
    oxum = payload_oxum((info.get("Payload-Oxum") if info else None) or "")
    size = os.path.getsize(path) if kind != "directory" else oxum[0] if oxum else None
    anchor = compute_anchor(scan) if anchor is None else anchor
    identity = info.get("External-Identifier") if info else None
    return Identity(identity or None, Anchor.of(anchor), size)


def kept_replaced(found: Sequence[Found], known: Sequence[BagRecord]) -> list[tuple[int, str]]:
    """(bag id, new path) of known bags that `build --replace` moved, whole, from ``BAGS_DIR/<identifier>``
    to ``BAGS_DIR/.superseded/<identifier>/<version>``: their records follow them there, and the new bag
    in their old place is registered as new, rather than taken for the old bag rewritten."""
    by_path = {bag.path: bag for bag in known}
    moves: list[tuple[int, str]] = []
    for item in found:
        kept = Path(item.path)
        if item.path in by_path or item.kind != "directory" or kept.parent.parent.name != SUPERSEDED:
            continue
        live = by_path.get(str(kept.parent.parent.parent / kept.parent.name))
        if live is None or live.anchor is None:
            continue
        identity = identify(item)  # rare: only bags newly kept are read, and only their tag files
        if isinstance(identity, Identity) and (identity.identity, identity.anchor) == (
            live.identity,
            live.anchor,
        ):
            moves.append((live.id, item.path))
    return moves


def identify_all(found: Sequence[Found]) -> tuple[Identity | NotABag | str, ...]:
    """`identify` each; runs in worker processes."""
    return tuple(identify(item) for item in found)


@dataclass(frozen=True)
class Registration:
    new: tuple[NewBag, ...]
    moved: tuple[tuple[int, str], ...]
    """(bag id, new path)."""
    unreadable: tuple[tuple[str, str], ...]
    """(path, reason): bags found but not readable enough to register."""
    not_bags: tuple[tuple[str, NotABag], ...]
    """Archives (or folders) found that hold no bag."""


def unknown(
    found: Sequence[Found], known: Sequence[BagRecord], not_bags: Mapping[str, tuple[int, int]]
) -> list[Found]:
    """The found paths the ledger does not know, leaving out those remembered as holding no bag (by
    size and modification time) that have not changed since."""
    paths = {bag.path for bag in known}
    return [item for item in found if item.path not in paths and not _unchanged(item.path, not_bags)]


def _unchanged(path: str, not_bags: Mapping[str, tuple[int, int]]) -> bool:
    if path not in not_bags:
        return False
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return (info.st_size, info.st_mtime_ns) == not_bags[path]


class Registrar:
    """Decides, bag by bag, whether a bag found at an unknown path is new or a known bag that moved.

    A bag at an unknown path whose identity and anchor equal those of a known bag whose path is gone has
    moved. Two live copies with the same identity (replicas) stay two bags.
    """

    def __init__(self, found_paths: Collection[str], known: Sequence[BagRecord]) -> None:
        self._movable: dict[tuple[str | None, Anchor], list[BagRecord]] = {}
        for bag in known:
            if bag.anchor is not None and bag.path not in found_paths:
                self._movable.setdefault((bag.identity, bag.anchor), []).append(bag)

    def resolve(self, path: str, kind: BagKind, identity: Identity) -> NewBag | tuple[int, str]:
        """A `NewBag` to register, or (id of the known bag, `path`) for a move."""
        movable = self._movable.get((identity.identity, identity.anchor), [])
        for bag in movable:
            if is_gone(bag.path):
                movable.remove(bag)
                return bag.id, path
        return NewBag(identity.identity, path, kind, identity.anchor, identity.size)


def is_gone(path: str) -> bool:
    """Nothing at `path`; a path that cannot be reached (a folder that may not be entered) is not gone."""
    try:
        os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return True
    except OSError:
        return False
    return False


def plan_registration(
    bags: Sequence[BagRecord], identities: Sequence[Identity | NotABag | str], registrar: Registrar
) -> Registration:
    """Which of the unanchored `bags` are new, which are known bags that moved and which are no bags,
    given their `identities` (see `registration`)."""
    new: list[NewBag] = []
    moved: list[tuple[int, str]] = []
    unreadable: list[tuple[str, str]] = []
    not_bags: list[tuple[str, NotABag]] = []
    for bag, identity in zip(bags, identities, strict=True):
        if isinstance(identity, str):
            unreadable.append((bag.path, identity))
        elif isinstance(identity, NotABag):
            not_bags.append((bag.path, identity))
        else:
            decision = registrar.resolve(bag.path, bag.kind, identity)
            if isinstance(decision, NewBag):
                new.append(decision)
            else:
                moved.append(decision)
    return Registration(tuple(new), tuple(moved), tuple(unreadable), tuple(not_bags))
