"""Two checkouts side by side: does a change make validation or the build slower?

    PYTHONPATH=. python benchmarks/bench_versions.py OLD_CHECKOUT [--new .] [--rounds 3] [-n 200]

For a restructuring that must not cost speed (issue 17): the same 20,000-file bag as `bench_validate.py
small` is validated (`--jobs 2`) by each checkout, with bagit-python (`processes=2`) as the named peer,
and N releases as in `bench_build.py` are built (`--jobs 2`) by each. Every run is a fresh process with
the checkout on PYTHONPATH; rounds are interleaved and the best counts. Each figure is printed with the
load average, since the machine is shared: on a loaded machine, run it twice, the second time with the
checkouts' order swapped (`--swap`), before reading a difference as the code's.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_build import make_sources  # noqa: E402
from bench_validate import build_small  # noqa: E402

VALIDATE = """
import sys, time
from pathlib import Path
from preservation.validate.api import validate_bag
start = time.perf_counter()
report = validate_bag(Path(sys.argv[1]), "full", None, False, 2)
assert report.valid, report.findings[:3]
print(time.perf_counter() - start)
"""
PEER = """
import sys, time, bagit
start = time.perf_counter()
bagit.Bag(sys.argv[1]).validate(processes=2)
print(time.perf_counter() - start)
"""
BUILD = """
import shutil, sys, time
from pathlib import Path
from preservation.build import build_bags
from preservation.profile import load_profile
out = Path(sys.argv[2])
shutil.rmtree(out, ignore_errors=True)
profile = load_profile(None)
start = time.perf_counter()
summary = build_bags([Path(sys.argv[1])], out, profile, jobs=2)
print(time.perf_counter() - start)
assert summary.ok
"""


def timed(code: str, checkout: Path | None, *args: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(checkout) if checkout else ""}
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=True
    )
    return float(done.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("old", type=Path)
    parser.add_argument("--new", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--swap", action="store_true", help="run the new checkout first in each round")
    args = parser.parse_args()
    checkouts = {"old": args.old.resolve(), "new": args.new.resolve()}
    if args.swap:
        checkouts = dict(reversed(checkouts.items()))
    work = Path(tempfile.mkdtemp(prefix="bench-versions-"))
    bag = build_small(work / "validate", 20_000)
    make_sources(work / "sources", args.n)
    times: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        for name, checkout in checkouts.items():
            times.setdefault(f"validate {name}", []).append(timed(VALIDATE, checkout, str(bag)))
        times.setdefault("validate bagit-python", []).append(timed(PEER, None, str(bag)))
        for name, checkout in checkouts.items():
            out = str(work / "bags")
            times.setdefault(f"build {name}", []).append(timed(BUILD, checkout, str(work / "sources"), out))
        print(f"round done, load average {os.getloadavg()[0]:.1f}", flush=True)
    for key, values in times.items():
        rounds = " / ".join(f"{value:.2f}" for value in values)
        print(f"{key}: best {min(values):.2f} s ({rounds})")
    peer = min(times["validate bagit-python"])
    for task in ("validate", "build"):
        old, new = min(times[f"{task} old"]), min(times[f"{task} new"])
        print(f"{task}: new takes {new / old:.2f}x the old one's time")
    for name in ("old", "new"):
        print(f"validate {name}: {peer / min(times[f'validate {name}']):.2f}x bagit-python")
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
