"""Validate a bag of 20,000 files of 1-8 KiB: preservation vs bagit.Bag(p).validate(processes=2), same run.

Run from the checkout: `PYTHONPATH=. python benchmarks/bench_validate.py [COUNT]`.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

import bagit

from preservation.validate.api import validate_bag


def build(root: Path, count: int) -> Path:
    rng = random.Random(4)
    folder = root / "bag"
    for index in range(count):
        target = folder / f"d{index // 500:03d}" / f"f{index:05d}.bin"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(rng.randbytes(rng.randint(1024, 8192)))
    bagit.make_bag(str(folder), checksums=["sha256", "sha512"], processes=4)
    return folder


def main(count: int = 20_000) -> None:
    with tempfile.TemporaryDirectory() as temp:
        bag = build(Path(temp), count)
        start = time.perf_counter()
        report = validate_bag(bag)
        ours = time.perf_counter() - start
        assert report.valid, report.findings[:3]
        start = time.perf_counter()
        bagit.Bag(str(bag)).validate(processes=2)
        theirs = time.perf_counter() - start
    print(
        f"{count} files: preservation {ours:.2f} s, bagit-python (2 processes) {theirs:.2f} s, "
        f"ratio {theirs / ours:.1f}x"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
