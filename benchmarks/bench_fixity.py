"""Benchmark: `fixity run --all` (ledger writes included) against a loop of `bagit.Bag(p).validate()`.

    PYTHONPATH=. python benchmarks/bench_fixity.py [--bags 2000] [--jobs 2]

Builds release-like bags (a text and a ~150 KB photo, sha256 + sha512) in a temporary folder, then times
both in the same run. Targets: ratio >= 3x, ledger share < 10 %.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import bagit

from preservation.fixity import api


def build(root: Path, count: int) -> list[Path]:
    photo = os.urandom(150 * 1024)
    bags = []
    for index in range(count):
        folder = root / f"release-{index:05d}"
        folder.mkdir(parents=True)
        (folder / "release.txt").write_text(f"Pressemitteilung Nr. {index}\nKaiserslautern\n" * 40)
        (folder / "photo.jpg").write_bytes(photo[:-8] + index.to_bytes(8, "big"))
        bagit.make_bag(
            str(folder), {"External-Identifier": f"urn:ks:release:{index}"}, checksums=["sha256", "sha512"]
        )
        bags.append(folder)
    return bags


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bags", type=int, default=2000)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "bags"
        start = time.perf_counter()
        bags = build(root, args.bags)
        print(f"built {len(bags)} bags in {time.perf_counter() - start:.1f} s")

        start = time.perf_counter()
        for bag in bags:
            bagit.Bag(str(bag)).validate()
        baseline = time.perf_counter() - start

        start = time.perf_counter()
        result = api.run_fixity([root], Path(tmp) / "ledger.sqlite", check_all=True, jobs=args.jobs)
        ours = time.perf_counter() - start
        assert result.counts() == {"pass": len(bags)}, result.counts()

        print(f"bagit.Bag(p).validate() loop: {baseline:6.2f} s")
        print(f"fixity run --all (jobs={args.jobs}):   {ours:6.2f} s  (first run: registration included)")
        print(f"ratio:                        {baseline / ours:6.2f}x  (target >= 3x)")
        share = result.ledger_seconds / ours
        print(f"ledger share:                 {share:6.1%}  ({result.ledger_seconds:.2f} s)")


if __name__ == "__main__":
    main()
