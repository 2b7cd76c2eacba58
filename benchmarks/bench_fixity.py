"""Benchmark: `fixity run --all` (ledger writes included) against a loop of `bagit.Bag(p).validate()`.

    PYTHONPATH=. python benchmarks/bench_fixity.py [--bags 2000] [--jobs 2] [--repeat 3]

Builds release-like bags (a text and a ~150 KB photo, sha256 + sha512) in a temporary folder, then times
both sides in the same run, interleaved, `--repeat` times each, and compares the best times (other load on
the machine only ever slows a side down). Each round runs fixity twice: a first run on an empty ledger,
registration included, and a re-check of every bag on that ledger, as a scheduled job does. The ledger
file is created before the first run and timed apart. The ledger share is the wall time spent inside
ledger calls (opening, claims, commits, registration, the final checkpoint, waits for the ledger's writer
thread) over the run's; the writer thread's own time, spent while the workers hash, is printed beside it.
Targets: ratio >= 3x, ledger share < 5 % in every round.
"""

from __future__ import annotations

import argparse
import gc
import os
import tempfile
import time
from pathlib import Path

import bagit

from preservation.fixity import api
from preservation.fixity.ledger import Ledger


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


def bagit_loop(bags: list[Path]) -> float:
    """Seconds for the peer: bagit-python validating each bag in turn."""
    start = time.perf_counter()
    for bag in bags:
        bagit.Bag(str(bag)).validate()
    return time.perf_counter() - start


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
        runs: dict[str, list[tuple[float, float, float]]] = {"first run": [], "re-check": []}
        creations: list[float] = []
        for repeat in range(args.repeat):
            # Each side starts without the other's garbage: a full collection set off by the objects of
            # the bagit loop was otherwise billed to whatever ledger call came first (100-160 ms).
            gc.collect()
            baselines.append(bagit_loop(bags))

            # Created apart, and timed apart: making the file costs fsyncs whose latency depends on what
            # else the filesystem is writing, once in a ledger's life.
            ledger = Path(tmp) / f"ledger-{repeat}.sqlite"
            start = time.perf_counter()
            Ledger(ledger).close()
            creations.append(time.perf_counter() - start)
            for timings in runs.values():
                gc.collect()
                start = time.perf_counter()
                result = api.run_fixity([root], ledger, check_all=True, jobs=args.jobs)
                timings.append(
                    (time.perf_counter() - start, result.ledger_seconds, result.ledger_behind_seconds)
                )
                assert result.counts() == {"pass": len(bags)}, result.counts()
            print(
                f"  round {repeat + 1}: bagit {baselines[-1]:6.2f} s, "
                + ", ".join(
                    f"{kind} {timings[-1][0]:6.2f} s (ledger {timings[-1][1] / timings[-1][0]:.1%},"
                    f" writer thread {timings[-1][2] * 1000:.0f} ms)"
                    for kind, timings in runs.items()
                )
                + f", creating the ledger {creations[-1] * 1000:.0f} ms"
                + f" (load average {' '.join(f'{x:.2f}' for x in os.getloadavg())})"
            )

        baseline = min(baselines)
        print(f"bagit.Bag(p).validate() loop: {baseline:6.2f} s  (best of {args.repeat})")
        for kind, timings in runs.items():
            ours, ledger_seconds, _ = min(timings)
            shares = sorted(ledger / total for total, ledger, _ in timings)
            print(f"fixity run --all, {kind} (jobs={args.jobs}): {ours:6.2f} s  (best)")
            print(f"  ratio:        {baseline / ours:6.2f}x  (target >= 3x)")
            print(
                f"  ledger share: {ledger_seconds / ours:6.1%}  ({ledger_seconds:.3f} s) in the best run;"
                f" {', '.join(f'{share:.1%}' for share in shares)} in all  (target < 5 % in every round)"
            )
        print(
            f"creating the ledger file (before the first run, once per ledger): "
            f"{', '.join(f'{c * 1000:.0f}' for c in sorted(creations))} ms"
        )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
