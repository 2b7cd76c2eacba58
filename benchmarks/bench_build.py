"""Benchmark for issue 3: `build_bags` against copying each release and calling bagit-python's make_bag.

    PYTHONPATH=. python benchmarks/bench_build.py [-n 400] [--rounds 3] [--jobs 2]

N releases of a text export and a 150 KB photo each. Ours does everything a build does (read and parse
the release, copy+hash in one pass, identify formats, DC + METS/PREMIS checked against the XSDs, tag
manifests, durable publication); the peer copies the folder and bags it in place with sha256 + sha512,
without metadata and without any fsync. Rounds are interleaved and the best of each side counts, since
other work on the machine makes single runs noisy.
"""

from __future__ import annotations

import argparse
import os
import shutil
import struct
import tempfile
import time
import zlib
from pathlib import Path

import bagit

from preservation.build import build_bags
from preservation.profile import load_profile

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "2020-10-05-laubsammlung.txt"


def photo(size: int) -> bytes:
    """A real PNG header and IDAT of random bytes, ~`size` bytes, so format identification sees a PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = chunk(b"IHDR", struct.pack(">IIBBBBB", 200, 200, 8, 2, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + chunk(b"IDAT", os.urandom(size)) + chunk(b"IEND", b"")


def make_sources(root: Path, count: int) -> list[Path]:
    text = SAMPLE.read_text(encoding="utf-8")
    releases = []
    for n in range(count):
        folder = root / f"release-{n:05d}"
        folder.mkdir(parents=True)
        (folder / "mitteilung.txt").write_text(text.replace("Laubsammlung", f"Laubsammlung {n}"), "utf-8")
        (folder / "foto.png").write_bytes(photo(150_000))
        releases.append(folder)
    return releases


def ours(sources: Path, out: Path, jobs: int) -> float:
    start = time.perf_counter()
    summary = build_bags([sources], out, load_profile(), jobs=jobs)
    elapsed = time.perf_counter() - start
    assert summary.ok and summary.count("built") == len(list(sources.iterdir())), summary
    return elapsed


def peer(releases: list[Path], out: Path) -> float:
    start = time.perf_counter()
    for folder in releases:
        target = out / folder.name
        shutil.copytree(folder, target)
        bagit.make_bag(str(target), checksums=["sha256", "sha512"])
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=ROOT) as scratch:
        work = Path(scratch)
        releases = make_sources(work / "sources", args.n)
        times: dict[str, list[float]] = {"ours": [], "peer": []}
        for round_ in range(args.rounds):
            os.sync()
            times["peer"].append(peer(releases, work / f"peer-{round_}"))
            os.sync()
            times["ours"].append(ours(work / "sources", work / f"ours-{round_}", args.jobs))
        best = {side: min(values) for side, values in times.items()}
        for side, values in times.items():
            print(f"{side:5} best {best[side]:.2f} s  runs {', '.join(f'{v:.2f}' for v in values)}")
        print(f"{args.n} releases: ours is {best['peer'] / best['ours']:.2f}x faster than copy + make_bag")


if __name__ == "__main__":
    main()
