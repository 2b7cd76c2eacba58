"""`--jobs`: hashing a bag folder's payload in worker processes finds exactly what one process finds."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from preservation.validate import hashpool, scan
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


@pytest.mark.parametrize("early_files", [1, 4, 100])
def test_files_hashed_before_the_manifests_are_read_are_compared_with_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, early_files: int
) -> None:
    """A long manifest starts the pool early and the workers hash the first files while the manifests are
    parsed: every finding is still the one a single process makes, in the same order, whether the
    manifests are read after one file, midway or after the last."""
    monkeypatch.setattr(scan, "EARLY_POOL_BYTES", 1)
    monkeypatch.setattr(scan, "EARLY_FILES", early_files)
    monkeypatch.setattr(hashpool, "BATCH", 3)
    files = {f"f{n:02d}.txt": f"file {n}".encode() for n in range(20)}
    bag = make_good_bag(tmp_path / "bag", files)
    lines = [f"{hashlib.md5(data).hexdigest()}  data/{name}\n" for name, data in files.items()]
    (bag / "manifest-md5.txt").write_text("".join(lines))
    (bag / "data" / "f03.txt").write_bytes(b"changed")
    (bag / "data" / "f11.txt").unlink()
    (bag / "data" / "extra.txt").write_bytes(b"extra")
    (bag / "data" / "f0\u0308.txt").write_bytes(b"twin")
    one = validate_bag(bag, jobs=1)
    two = validate_bag(bag, jobs=2)
    assert [(f.code, f.file, f.params) for f in two.findings] == [
        (f.code, f.file, f.params) for f in one.findings
    ]
    codes = {(f.code, f.file) for f in two.findings}
    assert {("manifest.checksum-mismatch", "data/f03.txt"), ("payload.missing", "data/f11.txt")} <= codes
    assert ("payload.extra", "data/extra.txt") in codes
    mismatched = [f for f in two.findings if f.code == "manifest.checksum-mismatch"]
    assert sorted(dict(f.params)["algorithm"] for f in mismatched) == ["md5", "sha256", "sha512"]
