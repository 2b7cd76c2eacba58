"""What an output folder already holds: bags by identifier, and whether one holds a given release."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from preservation.bagit.parse import parse_manifest
from preservation.errors import ReleaseError
from preservation.release.identity import SUFFIX, Content, content, holds
from preservation.release.model import Release

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
