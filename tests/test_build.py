"""build_bags end to end: valid bags, byte-identical rebuilds (serial = parallel), re-runs, duplicates."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import bagit
import pytest

from preservation.build import BuildSummary, build_bags
from preservation.metadata import validate_dc, validate_mets
from preservation.profile import Profile

EPOCH = {"SOURCE_DATE_EPOCH": "1700000000"}


def tree(root: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every file and folder under `root`: contents, mode and mtime (folders: empty contents)."""
    found = {}
    for path in sorted(root.rglob("*")):
        info = path.stat()
        data = path.read_bytes() if path.is_file() else b""
        found[str(path.relative_to(root))] = (data, info.st_mode, int(info.st_mtime))
    return found


def build(samples: Path, out: Path, profile: Profile, jobs: int) -> BuildSummary:
    summary = build_bags([samples], out, profile, jobs=jobs, environ=EPOCH)
    assert summary.ok, summary
    return summary


@pytest.fixture(scope="module")
def serial(tmp_path_factory: pytest.TempPathFactory, samples_dir: Path, profile: Profile) -> Path:
    out = tmp_path_factory.mktemp("serial")
    build(samples_dir, out, profile, jobs=1)
    return out


def test_every_bag_is_valid(serial: Path) -> None:
    bags = sorted(p for p in serial.iterdir())
    assert bags and not [p for p in bags if p.name.startswith(".")]
    for bag in bags:
        bagit.Bag(str(bag)).validate()
        assert validate_mets((bag / "metadata" / "mets.xml").read_bytes()) == []
        assert validate_dc((bag / "metadata" / "dc.xml").read_bytes()) == []


def test_parallel_build_is_byte_identical_to_serial(
    serial: Path, tmp_path: Path, samples_dir: Path, profile: Profile
) -> None:
    summary = build(samples_dir, tmp_path, profile, jobs=2)
    assert summary.count("built") == len(list(serial.iterdir()))
    assert tree(tmp_path) == tree(serial)


def test_rerun_is_up_to_date(tmp_path: Path, samples_dir: Path, profile: Profile) -> None:
    first = build(samples_dir, tmp_path, profile, jobs=2)
    before = tree(tmp_path)
    again = build(samples_dir, tmp_path, profile, jobs=2)
    assert again.count("up-to-date") == first.count("built") > 0
    assert tree(tmp_path) == before


def test_duplicate_identifier_is_a_conflict(tmp_path: Path, samples_dir: Path, profile: Profile) -> None:
    sample = samples_dir / "2020-10-05-laubsammlung.txt"
    copies = tmp_path / "copies"
    for name in ("a", "b"):
        (copies / name).mkdir(parents=True)
        shutil.copy(sample, copies / name / sample.name)
    summary = build_bags([copies / "a", copies / "b"], tmp_path / "out", profile, jobs=2, environ=EPOCH)
    assert [o.status for o in summary.outcomes] == ["built", "conflict"]
    assert "already taken" in (summary.outcomes[1].message or "")


def test_importing_the_build_does_not_load_pygfried() -> None:
    """The forkserver preloads preservation.build; had it loaded pygfried (the Go runtime), every worker
    forked from it would hang in its first identification."""
    check = "import sys, preservation.build; sys.exit('pygfried' in sys.modules)"
    root = Path(__file__).resolve().parent.parent  # `-c` imports from the working folder: this tree
    assert subprocess.run([sys.executable, "-c", check], cwd=root, check=False).returncode == 0
