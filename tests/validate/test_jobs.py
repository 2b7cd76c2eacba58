"""`--jobs`: hashing a bag folder's payload in worker processes finds exactly what one process finds."""

from __future__ import annotations

from pathlib import Path

import pytest

from preservation.validate import hashpool
from preservation.validate.api import validate_bag

from .conftest import make_good_bag


def test_worker_processes_agree_with_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hashpool, "INLINE_FILES", 2)  # start the pool after two files
    monkeypatch.setattr(hashpool, "BATCH", 3)
    bag = make_good_bag(tmp_path / "bag", {f"f{n:02d}.txt": f"file {n}".encode() for n in range(20)})
    (bag / "data" / "f07.txt").write_bytes(b"file X")
    (bag / "data" / "f13.txt").unlink()
    (bag / "data" / "f13.txt").symlink_to("/etc/passwd")
    one = validate_bag(bag, jobs=1)
    two = validate_bag(bag, jobs=2)
    assert sorted((f.code, f.file) for f in two.findings) == sorted((f.code, f.file) for f in one.findings)
    assert ("manifest.checksum-mismatch", "data/f07.txt") in {(f.code, f.file) for f in two.findings}
    assert ("path.symlink", "data/f13.txt") in {(f.code, f.file) for f in two.findings}
