"""Benchmark: `fixity run --all` (ledger writes included) against a loop of `bagit.Bag(p).validate()`.

    PYTHONPATH=. python benchmarks/bench_fixity.py [--bags 2000] [--jobs 2] [--repeat 3]

Builds release-like bags (a text and a ~150 KB photo, sha256 + sha512) in a temporary folder, then times
both sides in the same run, interleaved, `--repeat` times each, and compares the best times (other load on
the machine only ever slows a side down). Each fixity run starts from an empty ledger, so registration is
included. Targets: ratio >= 3x, ledger share < 10 %.
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
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "bags"
        start = time.perf_counter()
        bags = build(root, args.bags)
        print(f"built {len(bags)} bags in {time.perf_counter() - start:.1f} s")

        baselines: list[float] = []
        runs: list[tuple[float, float]] = []
        for repeat in range(args.repeat):
            start = time.perf_counter()
            for bag in bags:
                bagit.Bag(str(bag)).validate()
            baselines.append(time.perf_counter() - start)

            start = time.perf_counter()
            ledger = Path(tmp) / f"ledger-{repeat}.sqlite"
            result = api.run_fixity([root], ledger, check_all=True, jobs=args.jobs)
            runs.append((time.perf_counter() - start, result.ledger_seconds))
            assert result.counts() == {"pass": len(bags)}, result.counts()
            print(f"  round {repeat + 1}: bagit {baselines[-1]:6.2f} s, fixity {runs[-1][0]:6.2f} s")

        baseline = min(baselines)
        ours, ledger_seconds = min(runs)
        print(f"bagit.Bag(p).validate() loop: {baseline:6.2f} s  (best of {args.repeat})")
        print(f"fixity run --all (jobs={args.jobs}):   {ours:6.2f} s  (best; registration included)")
        print(f"ratio:                        {baseline / ours:6.2f}x  (target >= 3x)")
        print(f"ledger share:                 {ledger_seconds / ours:6.1%}  ({ledger_seconds:.2f} s)")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
