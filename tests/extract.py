"""Unpacking the tests' own tar archives on every Python the project supports."""

from __future__ import annotations

import tarfile
from pathlib import Path


def extract_tar(archive: Path, target: Path) -> None:
    """`archive` unpacked into `target`, with the "data" filter where Python has it: extraction filters
    came with 3.11.4, and Debian 12's system Python is 3.11.2 (these archives are the tests' own)."""
    with tarfile.open(archive) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(target, filter="data")
        else:
            tar.extractall(target)
