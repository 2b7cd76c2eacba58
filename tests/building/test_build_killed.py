"""A build killed with SIGKILL leaves no half bag under a final name, and a re-run completes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import bagit

from tests.building.helpers import EPOCH

ROOT = Path(__file__).resolve().parents[2]
RELEASES = 40


def make_releases(root: Path, samples_dir: Path) -> None:
    text = (samples_dir / "2020-10-05-laubsammlung.txt").read_text(encoding="utf-8")
    for n in range(RELEASES):
        folder = root / f"release-{n:02d}"
        folder.mkdir(parents=True)
        # A distinct title per release gives each its own identifier.
        (folder / "mitteilung.txt").write_text(
            text.replace("Laubsammlung", f"Laubsammlung {n}"), encoding="utf-8"
        )
        (folder / "foto.png").write_bytes(os.urandom(2_000_000))


def final_bags(out: Path) -> list[Path]:
    return [p for p in out.iterdir() if not p.name.startswith(".")] if out.exists() else []


def temporaries(out: Path) -> list[Path]:
    return [p for p in out.iterdir() if p.name.startswith(".tmp-")] if out.exists() else []


def build(sources: Path, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "preservation", "build", str(sources), "--out", str(out), "--jobs", "1", "-q"],
        cwd=ROOT,
        env={**os.environ, **EPOCH, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_killed_build_leaves_only_complete_bags_and_a_rerun_finishes(tmp_path, samples_dir):
    sources, out = tmp_path / "sources", tmp_path / "bags"
    make_releases(sources, samples_dir)
    process = build(sources, out)
    deadline = time.monotonic() + 60
    # Kill while a bag is being staged, preferably after a first batch was published.
    while time.monotonic() < deadline and process.poll() is None:
        if temporaries(out) and (final_bags(out) or time.monotonic() > deadline - 50):
            break
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the build finished before it could be killed"
    published = final_bags(out)
    # Usually a bag was being staged when the signal landed; its folder must be cleaned up by the re-run.
    unfinished = temporaries(out)
    for bag in published:
        bagit.Bag(str(bag)).validate()

    rerun = build(sources, out)
    stdout, stderr = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, stderr.decode()
    published_before = len(published)
    assert f"{RELEASES - published_before} built, {published_before} up to date".encode() in stdout
    assert len(final_bags(out)) == RELEASES
    assert temporaries(out) == []
    if unfinished:
        assert f"removed {len(unfinished)} unfinished".encode() in stdout
    for bag in final_bags(out):
        bagit.Bag(str(bag)).validate()
