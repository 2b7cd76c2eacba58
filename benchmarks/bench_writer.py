"""Benchmark: our bag writer against copying each release and calling bagit-python's make_bag on it.

    python benchmarks/bench_writer.py [-n 400] [--jobs 1 2] [--batch 100]

N releases of a ~2 KB text and a 150 KB random "photo" each. Timed, in the same run and with the
page cache flushed (untimed) before each variant so no variant pays for another's write-back:

- peer: ``shutil.copytree`` of the release folder, then ``bagit.make_bag(dir, checksums=[sha256, sha512])``
  (bagit-python never fsyncs, so it is not durable);
- ours: stage every bag (with a small notice tag file), publish in batches (one syncfs per batch),
  with 1 and 2 worker processes;
- ours with an fsync of every file and folder before publishing: what durability per file would cost.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

import bagit

from preservation.bagit.writer import SourceFile, StagedBag, publish, stage_bag
from preservation.durable import exclusive_output

ALGORITHMS = ("sha256", "sha512")
NOTICE = "Achtung! Diese archivierte Pressemitteilung könnte inhaltlich veraltet sein\n".encode()


def make_sources(root: Path, count: int) -> list[Path]:
    releases = []
    text = ("Kaiserslautern. Die Stadtverwaltung teilt mit, dass der Stadtpark eröffnet ist. " * 25).encode()
    for index in range(count):
        folder = root / f"{index:05d}"
        folder.mkdir(parents=True)
        (folder / f"{index:05d}.txt").write_bytes(text)
        (folder / "foto.jpg").write_bytes(os.urandom(150_000))
        releases.append(folder)
    return releases


def notice(_records: object, _staged: Path) -> dict[str, bytes]:
    return {"archival-notice.txt": NOTICE}


def stage_release(folder: Path, out: Path) -> StagedBag:
    payload = [SourceFile(path, f"data/{path.name}") for path in sorted(folder.iterdir())]
    bag_info = [("Source-Organization", "Stadtverwaltung Kaiserslautern"), ("Payload-Oxum", None)]
    return stage_bag(
        out / folder.name,
        payload,
        bag_info,
        manifest_algorithms=ALGORITHMS,
        tagmanifest_algorithms=ALGORITHMS,
        tag_files=notice,
        mtime=1_700_000_000,
    )


def fsync_tree(root: Path) -> int:
    calls = 0
    for folder, _dirs, files in os.walk(root):
        for name in [*files, "."]:
            fd = os.open(os.path.join(folder, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            calls += 1
    return calls


def ours(releases: Sequence[Path], out: Path, *, jobs: int, batch: int, fsync_each: bool = False) -> str:
    fsyncs = 0
    with exclusive_output(out):
        if jobs > 1:
            with ProcessPoolExecutor(jobs) as pool:
                staged = list(pool.map(partial(stage_release, out=out), releases, chunksize=16))
        else:
            staged = [stage_release(folder, out) for folder in releases]
        for start in range(0, len(staged), batch):
            chunk = staged[start : start + batch]
            if fsync_each:
                fsyncs += sum(fsync_tree(bag.temp) for bag in chunk)
            published = publish(chunk)
            assert not published.failures, published.failures
    return f"{fsyncs} fsyncs" if fsync_each else f"{-(-len(releases) // batch)} syncfs"


def peer(releases: Sequence[Path], out: Path) -> str:
    out.mkdir()
    for folder in releases:
        bag = out / folder.name
        shutil.copytree(folder, bag)
        bagit.make_bag(str(bag), checksums=list(ALGORITHMS))
    return "no fsync"


def timed(run: Callable[[], str]) -> tuple[float, str]:
    os.sync()
    start = time.perf_counter()
    note = run()
    return time.perf_counter() - start, note


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=400, help="number of releases")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="worker processes to try")
    parser.add_argument("--batch", type=int, default=100, help="bags made durable together")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best time of each variant counts")
    parser.add_argument(
        "--workdir", type=Path, default=None, help="scratch folder, on the filesystem bags go to"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(dir=args.workdir) as scratch:
        root = Path(scratch)
        releases = make_sources(root / "sources", args.n)
        bagit.LOGGER.setLevel("WARNING")
        peer_label = "peer: copytree + bagit.make_bag"
        variants: dict[str, Callable[[Path], str]] = {peer_label: partial(peer, releases)}
        for jobs in args.jobs:
            variants[f"ours, {jobs} process(es)"] = partial(ours, releases, jobs=jobs, batch=args.batch)
        variants["ours, 1 process, fsync every file+dir"] = partial(
            ours, releases, jobs=1, batch=args.batch, fsync_each=True
        )
        times: dict[str, list[float]] = {label: [] for label in variants}
        notes: dict[str, str] = {}
        # Rounds interleave the variants, so that a noisy neighbour slows all of them alike. Outputs are
        # kept until the end: deleting them between runs (on a filesystem mounted with `discard`) makes
        # the next run pay for the discards.
        for round_ in range(args.repeat):
            for index, (label, run) in enumerate(variants.items()):
                seconds, notes[label] = timed(partial(run, root / f"out-{round_}-{index}"))
                times[label].append(seconds)
        print(f"{args.n} releases, {os.cpu_count()} CPUs, batches of {args.batch}, best of {args.repeat}")
        peer_best = min(times[peer_label])
        for label, samples in times.items():
            best = min(samples)
            runs = " ".join(f"{t:.2f}" for t in samples)
            print(f"{label:<40} {best:6.2f} s  {peer_best / best:5.2f}x vs peer  [{runs}] ({notes[label]})")


if __name__ == "__main__":
    main()
