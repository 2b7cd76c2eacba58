"""Benchmark: `fixity run --all` of two checkouts side by side, against the same bags and the same
`bagit.Bag(p).validate()` loop, in one run.

    PYTHONPATH=. python benchmarks/compare_fixity.py BEFORE_CHECKOUT AFTER_CHECKOUT [--bags 2000] [--jobs 2]

`bench_fixity.py` measures one checkout against bagit-python; two of its runs build two sets of bags under
whatever load the machine has at the time, which on a shared machine moves the figures more than a change
does. Here the bags are built once (as `bench_fixity.build` builds them), and each round times the bagit
loop, then each checkout in a child process (a first run on an empty ledger and a re-check, as
`bench_fixity.py` does), alternating which checkout goes first. The best of 3 rounds counts.
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.bench_fixity import bagit_loop, build

CHILD = """
import gc, sys, tempfile, time
from pathlib import Path
from preservation.fixity import api
root, jobs = Path(sys.argv[1]), int(sys.argv[2])
with tempfile.TemporaryDirectory() as folder:
    ledger, times = Path(folder) / "ledger.sqlite", []
    for _ in range(2):
        gc.collect()
        start = time.perf_counter()
        result = api.run_fixity([root], ledger, check_all=True, jobs=jobs)
        times.append(time.perf_counter() - start)
        assert set(result.counts()) == {"pass"}, result.counts()
print(*times)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--bags", type=int, default=2000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    checkouts = {"before": args.before.resolve(), "after": args.after.resolve()}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "bags"
        bags = build(root, args.bags)
        baselines: list[float] = []
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in checkouts}
        for round_ in range(args.rounds):
            gc.collect()
            baselines.append(bagit_loop(bags))
            order = list(checkouts.items())
            for name, checkout in order if round_ % 2 == 0 else reversed(order):
                child = subprocess.run(
                    [sys.executable, "-c", CHILD, str(root), str(args.jobs)],
                    env={**os.environ, "PYTHONPATH": str(checkout)},
                    capture_output=True,
                    text=True,
                    check=True,
                )
                first, again = map(float, child.stdout.split())
                runs[name].append((first, again))
            print(
                f"round {round_ + 1} (load {os.getloadavg()[0]:.2f}): bagit {baselines[-1]:.2f} s; "
                + "; ".join(f"{n} first {r[-1][0]:.2f} s, re-check {r[-1][1]:.2f} s" for n, r in runs.items())
            )
        baseline = min(baselines)
        for name, timings in runs.items():
            first = min(t[0] for t in timings)
            again = min(t[1] for t in timings)
            print(
                f"{name} ({checkouts[name]}): first run {first:.2f} s ({baseline / first:.2f}x), "
                f"re-check {again:.2f} s ({baseline / again:.2f}x); bagit loop {baseline:.2f} s"
            )


if __name__ == "__main__":
    main()
