"""A real `python -m preservation export` killed with SIGKILL partway, then re-run to completion."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from preservation.export import verify_transfer
from preservation.export.transfer import JOURNAL, MANIFEST
from preservation.profile import Profile

from .conftest import ENV, build

ROOT = Path(__file__).resolve().parents[2]
LARGE = 64 << 20


@pytest.fixture(scope="module")
def bags_with_a_large_one(
    tmp_path_factory: pytest.TempPathFactory, samples_dir: Path, profile: Profile
) -> list[Path]:
    sources = tmp_path_factory.mktemp("sources")
    release = sources / "2022-04-02-fruehjahrsputz"
    shutil.copytree(samples_dir / "2022-04-02-fruehjahrsputz", release)
    with open(release / "Aufzeichnung.bin", "wb") as out:
        out.truncate(LARGE)  # sparse: quick to make, as long to copy and hash as real bytes
    others = [
        samples_dir / name for name in ("2016-08-30-schulbeginn-crlf.txt", "2023-07-20-sommerbuehne.txt")
    ]
    return build([release, *others], tmp_path_factory.mktemp("bags") / "bags", profile)


def _export(bags: list[Path], out: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, **ENV, "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable,
        "-m",
        "preservation",
        "export",
        *map(str, bags),
        "--out",
        str(out),
        "--jobs",
        "1",
    ]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _complete_tar(path: Path) -> bool:
    with tarfile.open(path) as archive:
        for member in archive:
            if member.isfile():
                archive.extractfile(member).read()  # type: ignore[union-attr]
    return True


def test_killed_export_leaves_nothing_half_written_and_resumes(
    tmp_path: Path, bags_with_a_large_one: list[Path], profile: Profile
) -> None:
    bags = bags_with_a_large_one
    large = next(b for b in bags if b.name.startswith("2022-04-02"))
    out = tmp_path / "transfer"
    process = _export(bags, out)
    deadline = time.monotonic() + 30
    temp = None
    while temp is None and time.monotonic() < deadline and process.poll() is None:
        temp = (
            next((p for p in out.glob(f".tmp-{large.name}.tar-*") if p.stat().st_size > 0), None)
            if out.exists()
            else None
        )
        assert not (out / f"{large.name}.tar").exists() or temp is None
        time.sleep(0.002)
    assert temp is not None, "the export finished before it could be killed; make the large bag larger"
    process.send_signal(signal.SIGKILL)
    process.wait()

    names = {p.name for p in out.iterdir()}
    assert MANIFEST not in names and JOURNAL in names
    assert f"{large.name}.tar" not in names
    finished = [out / n for n in names if n.endswith(".tar")]
    assert finished, "no bag was finished before the large one"
    assert all(_complete_tar(p) for p in finished)  # under a final name only when complete

    rerun = _export(bags, out)
    stdout, stderr = rerun.communicate(timeout=60)
    assert rerun.returncode == 0, stderr.decode()
    assert f"({len(finished)} kept from the interrupted run)" in stdout.decode()
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []
    report = verify_transfer(out, profile)
    assert report.ok, report.problems
    assert len(report.files) == len(bags)
