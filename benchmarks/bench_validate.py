"""Validation speed and memory against bagit-python and the machine, measured in the same run.

- small: 20,000 files of 1-8 KiB, whole processes as archivists and CI run them: `preservation validate
  BAG --jobs 2` vs `bagit.Bag(p).validate(processes=2)` in a fresh interpreter, each with a bytecode cache
  as an installed package has (start-up, imports and pool start-up count); target 6x.
- large: one 1 GiB file, ours in this process (`--jobs 2`) vs bagit-python (target 1.3x) and vs the
  physical limit: sha256 and sha512 of the same bytes on two threads, read from the page cache in 4 MiB
  blocks (each algorithm on its own core, no parsing, no checks); target >= 0.92 of the limit's speed.
- memory: validating a 200,000-file bag (`--jobs 2`) in a fresh process, sampled from /proc every 20 ms:
  the main process's peak RSS (VmHWM), each worker's, and the peak of the whole tree's summed RSS and summed
  PSS; target < 150 MiB. Summed RSS counts the interpreter pages that forked workers share copy-on-write
  with the parent once per process; PSS splits them between the sharers, so its sum is the memory the
  validation really takes. (`RUSAGE_CHILDREN` is no help: it reports the largest waited-for child only.)

Each side runs 3 times, interleaved (the machine may be shared), and the best time counts.
Run from the checkout: `PYTHONPATH=. python benchmarks/bench_validate.py [small|large|memory|all] [--old
CHECKOUT]`. With `--old`, small also times that checkout's `preservation validate` in the same rounds (a
change against the code before it, side by side; e.g. `git worktree add /tmp/old main`).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import queue
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bagit

from preservation.validate.api import validate_bag

ROUNDS = 3
JOBS = 2


def build_small(root: Path, count: int) -> Path:
    rng = random.Random(4)
    folder = root / "bag"
    for index in range(count):
        target = folder / f"d{index // 500:03d}" / f"f{index:05d}.bin"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(rng.randbytes(rng.randint(1024, 8192)))
    bagit.make_bag(str(folder), checksums=["sha256", "sha512"], processes=4)
    return folder


def build_large(root: Path, size: int = 1 << 30) -> Path:
    folder = root / "bag"
    folder.mkdir(parents=True)
    with open(folder / "big.bin", "wb") as stream:
        for _ in range(size // (64 << 20)):
            stream.write(os.urandom(64 << 20))
    bagit.make_bag(str(folder), checksums=["sha256", "sha512"])
    return folder


def build_many(root: Path, count: int) -> Path:
    """A valid bag of `count` tiny files, its tag files written directly (make_bag would take minutes)."""
    folder = root / "bag"
    digests: dict[str, list[str]] = {"sha256": [], "sha512": []}
    total = 0
    for index in range(count):
        rel = f"data/d{index // 1000:03d}/f{index:06d}.txt"
        content = f"file {index}\n".encode()
        target = folder / rel
        if index % 1000 == 0:
            target.parent.mkdir(parents=True)
        target.write_bytes(content)
        total += len(content)
        for algorithm, lines in digests.items():
            lines.append(f"{hashlib.new(algorithm, content).hexdigest()}  {rel}\n")
    (folder / "bagit.txt").write_text("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    (folder / "bag-info.txt").write_text(f"Payload-Oxum: {total}.{count}\n")
    for algorithm, lines in digests.items():
        (folder / f"manifest-{algorithm}.txt").write_text("".join(lines))
    for algorithm in digests:
        tags = ["bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt"]
        lines = [f"{hashlib.new(algorithm, (folder / t).read_bytes()).hexdigest()}  {t}\n" for t in tags]
        (folder / f"tagmanifest-{algorithm}.txt").write_text("".join(lines))
    return folder


def best_of(sides: dict[str, Callable[[], None]]) -> dict[str, float]:
    """Each side's best time of `ROUNDS`, the sides taking turns in each round; each round is printed."""
    times: dict[str, list[float]] = {name: [] for name in sides}
    for number in range(ROUNDS):
        for name, run in sides.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
        shown = ", ".join(f"{name} {runs[-1]:.2f} s" for name, runs in times.items())
        print(f"  round {number + 1}: {shown} ({_load()})", flush=True)
    return {name: min(runs) for name, runs in times.items()}


def _environment(cache: Path, checkout: Path | None = None) -> dict[str, str]:
    """For a fresh interpreter: `checkout` (default: this one) importable, and bytecode cached under `cache`
    as pip's install would have it, whatever PYTHONDONTWRITEBYTECODE says in the shell (without it our
    modules compile anew on every run)."""
    env = dict(os.environ, PYTHONPATH=str(checkout or Path(__file__).resolve().parents[1]))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env


def compare_processes(label: str, bag: Path, cache: Path, old: Path | None = None) -> None:
    env = _environment(cache)
    python = sys.executable
    ours_command = [python, "-m", "preservation", "validate", str(bag), "--jobs", str(JOBS)]
    theirs_command = [
        python,
        "-c",
        "import bagit, sys; bagit.Bag(sys.argv[1]).validate(processes=2)",
        str(bag),
    ]

    def ours() -> None:
        subprocess.run(ours_command, env=env, stdout=subprocess.DEVNULL, check=True)

    def theirs() -> None:
        subprocess.run(theirs_command, env=env, check=True)

    sides = {"ours": ours, "theirs": theirs}
    if old is not None:
        old_env = _environment(cache / "old", old.resolve())

        def before() -> None:
            subprocess.run(ours_command, env=old_env, stdout=subprocess.DEVNULL, check=True)

        sides = {"old": before, **sides}
    for run in sides.values():  # the bytecode caches written once, as at install
        run()
    best = best_of(sides)
    mine, other = best["ours"], best["theirs"]
    print(
        f"{label}, whole processes: preservation validate --jobs {JOBS} {mine:.2f} s, bagit-python "
        f"(2 processes) {other:.2f} s, ratio {other / mine:.2f}x (best of {ROUNDS}, interleaved; {_load()})",
        flush=True,
    )
    if old is not None:
        print(
            f"  the old checkout {best['old']:.2f} s, ratio {other / best['old']:.2f}x; this one takes "
            f"{mine / best['old']:.2f}x its time",
            flush=True,
        )


def physical_limit(path: Path) -> None:
    """sha256 and sha512 of the file's bytes, each on a thread of its own (hashlib releases the GIL), fed
    the same 4 MiB blocks read once from the page cache, a few blocks ahead: the slower one bounds it."""
    block = 4 << 20
    hashers = [hashlib.sha256(), hashlib.sha512()]
    feeds: list[queue.Queue[bytes]] = [queue.Queue(maxsize=4) for _ in hashers]

    def work(hasher: Any, feed: queue.Queue[bytes]) -> None:
        while chunk := feed.get():
            hasher.update(chunk)

    threads = [threading.Thread(target=work, args=pair) for pair in zip(hashers, feeds, strict=True)]
    for thread in threads:
        thread.start()
    with open(path, "rb", buffering=0) as stream:
        while True:
            chunk = stream.read(block)
            for feed in feeds:
                feed.put(chunk)
            if not chunk:
                break
    for thread in threads:
        thread.join()


def compare_large(label: str, bag: Path) -> None:
    """Ours, bagit-python and the physical limit, interleaved in each round."""
    payload = bag / "data" / "big.bin"

    def ours() -> None:
        report = validate_bag(bag, jobs=JOBS)
        assert report.valid, report.findings[:3]

    def theirs() -> None:
        bagit.Bag(str(bag)).validate(processes=2)

    physical_limit(payload)  # the file in the page cache, as for every side below
    best = best_of({"ours": ours, "theirs": theirs, "limit": lambda: physical_limit(payload)})
    mine, other, limit = best["ours"], best["theirs"], best["limit"]
    print(
        f"{label}: preservation (--jobs {JOBS}) {mine:.2f} s, bagit-python (2 processes) {other:.2f} s, "
        f"ratio {other / mine:.2f}x; the physical limit (sha256 + sha512 on two threads) {limit:.2f} s, "
        f"{limit / mine:.2f} of the limit (best of {ROUNDS}, interleaved; {_load()})",
        flush=True,
    )


def _load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def _tree(pid: int) -> list[int]:
    """`pid` and its descendants."""
    found = [pid]
    for parent in found:
        try:
            for task in os.listdir(f"/proc/{parent}/task"):
                with open(f"/proc/{parent}/task/{task}/children") as stream:
                    found += [int(child) for child in stream.read().split()]
        except OSError:
            pass  # gone meanwhile
    return found


def _kib(pid: int, name: str, fields: tuple[str, ...]) -> dict[str, int]:
    try:
        with open(f"/proc/{pid}/{name}") as stream:
            text = stream.read()
    except OSError:
        return {}
    return {f: int(m.group(1)) for f in fields if (m := re.search(rf"^{f}:\s+(\d+) kB", text, re.M))}


def memory(bag: Path) -> None:
    # Through the command line, as archivists and CI run it (its imports count too).
    command = [sys.executable, "-m", "preservation", "validate", str(bag), "--jobs", str(JOBS)]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    peaks: dict[int, int] = {}
    rss_sum = pss_sum = 0
    while process.poll() is None:
        rss = pss = 0
        for pid in _tree(process.pid):
            status = _kib(pid, "status", ("VmHWM", "VmRSS"))
            peaks[pid] = max(peaks.get(pid, 0), status.get("VmHWM", 0))
            rss += status.get("VmRSS", 0)
            pss += _kib(pid, "smaps_rollup", ("Pss",)).get("Pss", 0)
        rss_sum, pss_sum = max(rss_sum, rss), max(pss_sum, pss)
        time.sleep(0.02)
    seconds = time.perf_counter() - start
    assert process.returncode == 0, process.returncode
    main = peaks.pop(process.pid, 0)
    workers = ", ".join(f"{kib / 1024:.0f}" for kib in peaks.values()) or "none"
    print(
        f"200,000 files: main process peak RSS {main / 1024:.0f} MiB, workers {workers} MiB; peak sums: "
        f"RSS {rss_sum / 1024:.0f} MiB, PSS {pss_sum / 1024:.0f} MiB (target < 150 MiB; {seconds:.1f} s)",
        flush=True,
    )


def main(which: str = "all", old: Path | None = None) -> None:
    print(f"{_load()} on {os.cpu_count()} cores", flush=True)
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        if which in ("small", "all"):
            compare_processes(
                "20,000 files of 1-8 KiB", build_small(root / "small", 20_000), root / "pycache", old
            )
        if which in ("large", "all"):
            compare_large("one 1 GiB file", build_large(root / "large"))
        if which in ("memory", "all"):
            memory(build_many(root / "many", 200_000))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("which", nargs="?", default="all", choices=["small", "large", "memory", "all"])
    parser.add_argument("--old", type=Path, help="a checkout to time beside this one (small)")
    arguments = parser.parse_args()
    main(arguments.which, arguments.old)
