from __future__ import annotations

import hashlib
from pathlib import Path

EPOCH = {"SOURCE_DATE_EPOCH": "1700000000"}


def tree_digest(root: Path) -> dict[str, tuple[str, int, int]]:
    """Every file and folder under root: content hash (files), mode and mtime."""
    found: dict[str, tuple[str, int, int]] = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        content = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
        found[path.relative_to(root).as_posix()] = (content, info.st_mode, info.st_mtime_ns)
    return found
