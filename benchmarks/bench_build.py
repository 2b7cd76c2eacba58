"""Benchmark for issue 3: `build_bags` against copying each release and calling bagit-python's make_bag.

    PYTHONPATH=. python benchmarks/bench_build.py [-n 400] [--rounds 3] [--jobs 2] [--phases]

N releases of a text export and a 150 KB photo each. Ours does everything a build does (read and parse
the release, copy+hash in one pass, identify formats, DC + METS/PREMIS checked against the XSDs, tag
manifests, durable publication); the peer copies the folder and bags it in place with sha256 + sha512,
without metadata and without any fsync. Rounds are interleaved and the best of each side counts, since
other work on the machine makes single runs noisy.

--phases first builds the releases in this process alone and prints the CPU time per release of each
phase (reading, format identification, metadata, writing the bag, publication) beside the peer's, so
that the next change can aim at the biggest one. CPU time rather than wall time: it is what two cores
share, and it is less disturbed by other work on the machine than wall time.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import struct
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import bagit

import preservation.build
import preservation.formats
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


def _timed(spent: dict[str, float], phase: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[phase] += time.process_time() - start

    return timed


@contextlib.contextmanager
def _phase_clock() -> Iterator[dict[str, float]]:
    """CPU seconds per phase of an in-process build; `writing` still includes the two phases it calls."""
    spent = dict.fromkeys(("reading", "identification", "metadata", "writing", "publication"), 0.0)
    patches = [
        (preservation.build, "read_sources", "reading"),
        (preservation.formats, "identify_format", "identification"),
        (preservation.build, "build_dc", "metadata"),
        (preservation.build, "build_mets", "metadata"),
        (preservation.build, "stage_bag", "writing"),
        (preservation.build, "publish", "publication"),
    ]
    originals = [(module, name, getattr(module, name)) for module, name, _ in patches]
    for module, name, phase in patches:
        # A generator's work happens while it is iterated, so reading is timed per item drawn.
        original = getattr(module, name)
        if name == "read_sources":
            setattr(module, name, lambda *a, _f=original, **k: _timed_iter(spent, "reading", _f(*a, **k)))
        else:
            setattr(module, name, _timed(spent, phase, original))
    try:
        yield spent
    finally:
        for module, name, original in originals:
            setattr(module, name, original)


def _timed_iter(spent: dict[str, float], phase: str, items: Iterator[Any]) -> Iterator[Any]:
    while True:
        start = time.process_time()
        item = next(items, None)
        spent[phase] += time.process_time() - start
        if item is None:
            return
        yield item


def phases(work: Path, count: int) -> None:
    profile = load_profile()
    # Imports, schemas, signatures; on other files, as identify_known would remember these ones.
    build_bags([ROOT / "samples"], work / "phases-warm", profile)
    start = time.process_time()
    with _phase_clock() as spent:
        build_bags([work / "sources"], work / "phases", profile)
    total = time.process_time() - start
    spent["writing"] -= spent["identification"] + spent["metadata"]
    spent["other"] = total - sum(spent.values())
    start = time.process_time()
    peer(sorted((work / "sources").iterdir()), work / "phases-peer")
    peer_cpu = time.process_time() - start
    print(f"CPU per release, one process ({count} releases):")
    for phase, seconds in spent.items():
        print(f"  {phase:15} {seconds / count * 1000:6.2f} ms")
    print(f"  {'total':15} {total / count * 1000:6.2f} ms   peer {peer_cpu / count * 1000:.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--phases", action="store_true", help="print CPU time per phase first")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=ROOT) as scratch:
        work = Path(scratch)
        releases = make_sources(work / "sources", args.n)
        if args.phases:
            phases(work, args.n)
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
