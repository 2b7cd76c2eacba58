"""What an output folder already holds: bags by identifier, whether one holds a given release, and the
earlier versions of bags that `build --replace` keeps under ``BAGS_DIR/.superseded/<identifier>/``."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from lxml import etree

from preservation.bagit.parse import parse_manifest, parse_tag_values
from preservation.errors import ReleaseError
from preservation.package import SUPERSEDED
from preservation.package.model import Predecessor
from preservation.release.identity import SUFFIX, Content, content, holds
from preservation.release.model import Release
from preservation.xmlns import DC_NS, DCTERMS_NS, SAFE_OPTIONS, safe_parser

_VERSION = re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2}|undated)(?:\.(?P<n>[1-9]\d*))?$")

_SUFFIXED = re.compile(rf"^(?P<base>.+)-[0-9a-f]{{{SUFFIX}}}$")


def read_manifest(bag: Path, algorithm: str) -> dict[str, str]:
    """The bag's payload manifest for `algorithm`: path → digest. OSError when it cannot be read."""
    data = (bag / f"manifest-{algorithm}.txt").read_bytes()
    return dict(parse_manifest(data, algorithm, "utf-8", version_1_0=True).entries)


class BagsOnDisk:
    """The bags in an output folder, listed once; manifests read only when a release must be compared."""

    def __init__(self, out_dir: Path, algorithm: str) -> None:
        self._out = out_dir
        self._algorithm = algorithm
        try:
            names = [e.name for e in os.scandir(out_dir) if not e.name.startswith(".")]
        except OSError:
            names = []
        self._names = frozenset(names)
        self._suffixed: dict[str, list[str]] = {}
        for name in sorted(names):
            if match := _SUFFIXED.match(name):
                self._suffixed.setdefault(match["base"], []).append(name)
        self._contents: dict[Path, Content] = {}

    def exists(self, identifier: str) -> bool:
        return identifier in self._names

    def suffixed(self, identifier: str) -> Sequence[str]:
        return self._suffixed.get(identifier, ())

    def holds(self, identifier: str, release: Release) -> bool:
        try:
            manifest = read_manifest(self._out / identifier, self._algorithm)
            if release.source not in self._contents:
                self._contents[release.source] = content(release, self._algorithm)
        except (OSError, ReleaseError):
            return False  # the build compares again and names the problem
        renditions = 1 if release.source_format == "html" else 0
        return holds(manifest, self._contents[release.source], renditions) is not None


def kept_versions(out_dir: Path, identifier: str) -> list[str]:
    """Names of the kept versions of a bag, oldest first: ``<bagging-date>``, then ``<bagging-date>.2``…"""
    try:
        names = [
            e.name for e in os.scandir(out_dir / SUPERSEDED / identifier) if e.is_dir(follow_symlinks=False)
        ]
    except OSError:
        return []
    matches = [(m["date"], int(m["n"] or 1), m.string) for m in map(_VERSION.match, names) if m]
    return [name for _, _, name in sorted(matches)]


def keep_as(out_dir: Path, identifier: str, bagging_date: str | None) -> Path:
    """A free place to keep the bag now at ``out_dir/identifier``: never one already taken, so that a
    second replacement on the same day keeps both earlier versions."""
    folder = out_dir / SUPERSEDED / identifier
    label = bagging_date or "undated"
    taken = set(kept_versions(out_dir, identifier))
    n = 1
    while (name := label if n == 1 else f"{label}.{n}") in taken or os.path.lexists(folder / name):
        n += 1
    return folder / name


def predecessor(bag: Path, kept_as: Path, out_dir: Path) -> Predecessor:
    """What a new bag records of the bag it replaces, read from that bag's METS and bag-info."""
    return Predecessor(_object_id(bag), kept_as.relative_to(out_dir).as_posix(), bagging_date(bag))


def latest_kept(out_dir: Path, identifier: str) -> Predecessor | None:
    """The newest kept version, for a bag built where none is live (e.g. after a replacement was killed
    between keeping the old bag and publishing the new one)."""
    versions = kept_versions(out_dir, identifier)
    if not versions:
        return None
    kept = out_dir / SUPERSEDED / identifier / versions[-1]
    return predecessor(kept, kept, out_dir)


def bagging_date(bag: Path) -> str | None:
    try:
        value = parse_tag_values((bag / "bag-info.txt").read_bytes(), "utf-8").get("Bagging-Date")
        return date.fromisoformat(value or "").isoformat()
    except (OSError, ValueError):
        return None


def _object_id(bag: Path) -> str | None:
    try:
        for _, element in etree.iterparse(
            str(bag / "metadata" / "mets.xml"), events=("start",), **SAFE_OPTIONS
        ):
            return element.get("OBJID") or None
    except (OSError, ValueError, etree.LxmlError):
        pass  # unreadable or no XML: the replacement then names the bag by where it is kept
    return None


_DESCRIBED = {
    f"{{{DC_NS}}}title": "title",
    f"{{{DCTERMS_NS}}}issued": "issued",
    f"{{{DC_NS}}}creator": "author",
    f"{{{DCTERMS_NS}}}spatial": "place",
}
"""The DC elements that hold the release fields an archivist can correct (preservation.metadata.dc)."""


def described(bag: Path) -> dict[str, str]:
    """The correctable release fields as the bag's ``metadata/dc.xml`` records them (those it has).
    OSError when it cannot be read; an empty mapping when it is not XML."""
    data = (bag / "metadata" / "dc.xml").read_bytes()
    try:
        root = etree.fromstring(data, safe_parser())
    except etree.LxmlError:
        return {}
    return {_DESCRIBED[child.tag]: child.text or "" for child in root if child.tag in _DESCRIBED}
