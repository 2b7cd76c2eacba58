"""Benchmark for issue 14: `build_bags` against the equivalent pipeline built from the field's own libraries.

    PYTHONPATH=. python benchmarks/bench_build.py [-n 400] [--rounds 3] [--jobs 2] [--phases] [--dir DIR]
    PYTHONPATH=. python benchmarks/bench_build.py --scale [-n 10000]

N releases of a text export and a 150 KB photo each. Ours does everything a build does (read and parse
the release, copy+hash in one pass, identify formats, DC + METS/PREMIS checked against the XSDs, tag
manifests, durable publication). The peer is what a competent archivist would script to get the same
bag, two worker processes like ours: copy each release folder, `bagit.make_bag` (sha256 + sha512),
`pygfried.identify` on every payload file, DC and METS/PREMIS 3 (one object per file with both digests,
size, PUID and MIME; one event) built with lxml, both checked against the official XSDs (the shipped
ones, compiled with lxml once, before the pool forks), `archival-notice.txt`, `bag.save(manifests=False)`
for the tag manifests. It runs in a fresh interpreter (`--peer`) so that its pool can fork cheaply from a
parent that never loaded pygfried's Go runtime; its time is taken there, from before the pool starts to
the last bag, so neither its interpreter start nor its imports count against it. Ours is timed in this
process from the call to `build_bags` on; each round starts its own workers, so nothing identified in an
earlier round is remembered (the format cache lives in the workers). Rounds are interleaved and the
best of each side counts, since other work on the machine makes single runs noisy; the load average is
printed with each figure.
Both sides build under `--dir` (default: the system's temporary folder): on the development machine,
creating a file or folder under /work costs 0.55 ms against 0.05-0.09 ms under /tmp on the same ext4
filesystem (something there watches or slows file creation), which is no property of either side.

--phases first builds the releases in this process alone and prints the CPU time per release of each
phase (reading, format identification, metadata, writing the bag, publication) beside the peer's
(one process, no pool), so that the next change can aim at the biggest one. CPU time rather than wall
time: it is what two cores share, and it is less disturbed by other work on the machine than wall time.

--scale builds N releases (default 10,000) through the command line, as a user would, and prints the
time per release beside a 400-release build of the same sitting, the peaks of the summed RSS and
PSS of the command and its processes (sampled every 50 ms), and the RSS of each process at that peak
(the command, its workers, and the forkserver and resource tracker they come from).
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

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


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def ours(sources: Path, out: Path, jobs: int) -> float:
    start = time.perf_counter()
    summary = build_bags([sources], out, load_profile(), jobs=jobs)
    elapsed = time.perf_counter() - start
    assert summary.ok and summary.count("built") == len(list(sources.iterdir())), summary
    return elapsed


# The peer. Everything from here to `peer` is what the archivist's script would hold.

PEER_SCHEMAS = ROOT / "preservation" / "metadata" / "schemas"
METS = "http://www.loc.gov/METS/"
PREMIS = "http://www.loc.gov/premis/v3"
DC = "http://purl.org/dc/elements/1.1/"
DCTERMS = "http://purl.org/dc/terms/"
XLINK = "http://www.w3.org/1999/xlink"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NOTICE = "Achtung! Diese archivierte Pressemitteilung könnte inhaltlich veraltet sein"


@cache
def peer_schema() -> Any:
    """METS + PREMIS 3 + dcterms from the shipped XSDs, once per process; remote imports served locally."""
    from lxml import etree

    class Local(etree.Resolver):
        def resolve(self, url: str, pubid: str, context: Any) -> Any:
            name = url.rsplit("/", 1)[-1]
            if (PEER_SCHEMAS / name).is_file():
                return self.resolve_filename(str(PEER_SCHEMAS / name), context)
            return None

    driver = f"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:dcterms="{DCTERMS}">
      <xs:import namespace="{METS}" schemaLocation="mets.xsd"/>
      <xs:import namespace="{DCTERMS}" schemaLocation="dcterms.xsd"/>
      <xs:import namespace="{PREMIS}" schemaLocation="premis.xsd"/>
      <xs:element name="qualifieddc" type="dcterms:elementOrRefinementContainer"/>
    </xs:schema>"""
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(Local())
    root = etree.fromstring(driver.encode(), parser, base_url=str(PEER_SCHEMAS / "driver.xsd"))
    return etree.XMLSchema(root)


PEER_PHASES = dict.fromkeys(("copy + make_bag", "identification", "metadata", "tag files + save"), 0.0)
"""The peer's CPU seconds per step in this process, for --phases."""


class _Lap:
    def __init__(self) -> None:
        self.last = time.process_time()

    def __call__(self, phase: str) -> None:
        now = time.process_time()
        PEER_PHASES[phase] += now - self.last
        self.last = now


def peer_release(folder: Path, out: Path) -> None:
    lap = _Lap()
    import bagit
    import pygfried
    from lxml import etree

    def sub(parent: Any, ns: str, name: str, text: str | None = None, **attributes: str) -> Any:
        element = etree.SubElement(parent, f"{{{ns}}}{name}", attributes)
        element.text = text
        return element

    target = out / folder.name
    shutil.copytree(folder, target)
    bag = bagit.make_bag(str(target), checksums=["sha256", "sha512"])
    lap("copy + make_bag")
    lines = [line.strip() for line in (target / "data" / "mitteilung.txt").read_text("utf-8").splitlines()]
    issued = next(line for line in lines if line.startswith("Pressemitteilung vom")).split()[-1]
    title = lines[lines.index(f"Pressemitteilung vom {issued}") + 2]
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    files = []
    for path, digests in sorted(bag.payload_entries().items()):
        found = pygfried.identify(str(target / path), detailed=True)["files"][0]["matches"][0]
        files.append((path, digests, (target / path).stat().st_size, found["id"], found["mime"]))
    lap("identification")

    dc = etree.Element("qualifieddc", nsmap={"dc": DC, "dcterms": DCTERMS, "xsi": XSI})
    sub(dc, DC, "title", title)
    sub(dc, DC, "creator", "Stadtverwaltung Kaiserslautern")
    sub(dc, DCTERMS, "issued", "-".join(reversed(issued.split("."))))
    sub(dc, DC, "language", "de")
    sub(dc, DC, "type", "Text")
    sub(dc, DC, "format", files[1][4])
    sub(dc, DC, "identifier", folder.name)
    sub(dc, DC, "rights", NOTICE)

    mets = etree.Element(
        f"{{{METS}}}mets",
        OBJID=folder.name,
        nsmap={"mets": METS, "premis": PREMIS, "xlink": XLINK, "xsi": XSI, "dc": DC, "dcterms": DCTERMS},
    )
    header = sub(mets, METS, "metsHdr", CREATEDATE=now)
    agent = sub(header, METS, "agent", ROLE="CREATOR", TYPE="OTHER", OTHERTYPE="SOFTWARE")
    sub(agent, METS, "name", "archive-script")
    wrap = sub(sub(mets, METS, "dmdSec", ID="dmd-1"), METS, "mdWrap", MDTYPE="DC")
    sub(wrap, METS, "xmlData").append(etree.fromstring(etree.tostring(dc)))
    amd = sub(mets, METS, "amdSec", ID="amd-1")
    for n, (path, digests, size, puid, mime) in enumerate(files, 1):
        data = sub(
            sub(sub(amd, METS, "techMD", ID=f"tech-{n}"), METS, "mdWrap", MDTYPE="PREMIS:OBJECT"),
            METS,
            "xmlData",
        )
        obj = sub(data, PREMIS, "object", version="3.0")
        obj.set(f"{{{XSI}}}type", "premis:file")
        identifier = sub(obj, PREMIS, "objectIdentifier")
        sub(identifier, PREMIS, "objectIdentifierType", "local")
        sub(identifier, PREMIS, "objectIdentifierValue", path)
        characteristics = sub(obj, PREMIS, "objectCharacteristics")
        for algorithm in ("sha256", "sha512"):
            fixity = sub(characteristics, PREMIS, "fixity")
            sub(fixity, PREMIS, "messageDigestAlgorithm", algorithm.upper().replace("SHA", "SHA-"))
            sub(fixity, PREMIS, "messageDigest", digests[algorithm])
        sub(characteristics, PREMIS, "size", str(size))
        fmt = sub(characteristics, PREMIS, "format")
        sub(sub(fmt, PREMIS, "formatDesignation"), PREMIS, "formatName", mime)
        registry = sub(fmt, PREMIS, "formatRegistry")
        sub(registry, PREMIS, "formatRegistryName", "PRONOM")
        sub(registry, PREMIS, "formatRegistryKey", puid)
    data = sub(
        sub(sub(amd, METS, "digiprovMD", ID="digiprov-1"), METS, "mdWrap", MDTYPE="PREMIS:EVENT"),
        METS,
        "xmlData",
    )
    event = sub(data, PREMIS, "event", version="3.0")
    identifier = sub(event, PREMIS, "eventIdentifier")
    sub(identifier, PREMIS, "eventIdentifierType", "local")
    sub(identifier, PREMIS, "eventIdentifierValue", "event-1")
    sub(event, PREMIS, "eventType", "message digest calculation")
    sub(event, PREMIS, "eventDateTime", now)
    group = sub(sub(mets, METS, "fileSec"), METS, "fileGrp", USE="original")
    div = sub(sub(mets, METS, "structMap"), METS, "div")
    for n, (path, digests, size, _, mime) in enumerate(files, 1):
        entry = sub(
            group,
            METS,
            "file",
            ID=f"file-{n}",
            MIMETYPE=mime,
            SIZE=str(size),
            CHECKSUM=digests["sha256"],
            CHECKSUMTYPE="SHA-256",
            ADMID=f"tech-{n}",
        )
        location = sub(entry, METS, "FLocat", LOCTYPE="URL")
        location.set(f"{{{XLINK}}}href", f"../{path}")
        sub(div, METS, "fptr", FILEID=f"file-{n}")

    schema = peer_schema()
    records = {}
    for name, root in (("dc.xml", dc), ("mets.xml", mets)):
        records[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
        schema.assertValid(etree.fromstring(records[name]))
    lap("metadata")
    (target / "metadata").mkdir()
    for name, xml in records.items():
        (target / "metadata" / name).write_bytes(xml)
    (target / "archival-notice.txt").write_text(NOTICE + "\n", encoding="utf-8")
    bag.save(manifests=False)
    lap("tag files + save")


def _peer_task(args: tuple[Path, Path]) -> None:
    peer_release(*args)


def run_peer(releases: list[Path], out: Path, jobs: int) -> tuple[float, float]:
    """Wall and CPU seconds of the peer over `releases`: a pool of `jobs` (none for one)."""
    out.mkdir(parents=True, exist_ok=True)
    peer_schema()  # compiled once, before the clock; forked workers inherit it
    start, cpu = time.perf_counter(), time.process_time()
    if jobs <= 1:
        for folder in releases:
            peer_release(folder, out)
    else:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            for _ in pool.imap_unordered(_peer_task, [(folder, out) for folder in releases], chunksize=4):
                pass
    return time.perf_counter() - start, time.process_time() - cpu


def peer(sources: Path, out: Path, jobs: int) -> tuple[float, float, dict[str, float]]:
    """`run_peer` over the folders in `sources`, in a fresh interpreter (see the module's docstring): its
    wall and CPU seconds, and with one job its CPU seconds per step."""
    command = [sys.executable, __file__, "--peer", str(sources), str(out), "--jobs", str(jobs)]
    printed = subprocess.run(command, check=True, capture_output=True, text=True).stdout.split()
    return float(printed[0]), float(printed[1]), dict(zip(PEER_PHASES, map(float, printed[2:]), strict=True))


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
    _, peer_cpu, peer_spent = peer(work / "sources", work / "phases-peer", 1)
    print(f"CPU per release, one process ({count} releases in {work}; {load()}):")
    for phase, seconds in spent.items():
        print(f"  ours {phase:18} {seconds / count * 1000:6.2f} ms")
    print(f"  ours {'total':18} {total / count * 1000:6.2f} ms")
    peer_spent["other"] = peer_cpu - sum(peer_spent.values())
    for phase, seconds in peer_spent.items():
        print(f"  peer {phase:18} {seconds / count * 1000:6.2f} ms")
    print(f"  peer {'total':18} {peer_cpu / count * 1000:6.2f} ms")


def compare(work: Path, count: int, rounds: int, jobs: int) -> None:
    times: dict[str, list[float]] = {"ours": [], "peer": []}
    for round_ in range(rounds):
        os.sync()
        wall, _, _ = peer(work / "sources", work / f"peer-{round_}", jobs)
        times["peer"].append(wall)
        print(f"round {round_ + 1}: peer {wall:.2f} s ({load()})", flush=True)
        os.sync()
        times["ours"].append(ours(work / "sources", work / f"ours-{round_}", jobs))
        print(f"round {round_ + 1}: ours {times['ours'][-1]:.2f} s ({load()})", flush=True)
    best = {side: min(values) for side, values in times.items()}
    for side, values in times.items():
        print(f"{side:5} best {best[side]:.2f} s  runs {', '.join(f'{v:.2f}' for v in values)}")
    print(f"{count} releases: ours is {best['peer'] / best['ours']:.2f}x faster than the equivalent pipeline")


def _peak_memory(pid: int, stop: threading.Event, peak: dict[str, Any]) -> None:
    """The peaks of the summed RSS and PSS of `pid` and its descendants (RSS counts shared pages in every
    process that maps them, PSS shares them out), and each process's RSS at the RSS peak."""
    import psutil

    root = psutil.Process(pid)
    while not stop.wait(0.05):
        rss = pss = 0
        each: list[tuple[str, int]] = []
        with contextlib.suppress(psutil.Error):
            for process in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    memory = process.memory_full_info()
                    rss, pss = rss + memory.rss, pss + memory.pss
                    each.append((_role(process, root), memory.rss))
        if rss > peak["rss"]:
            peak["processes"] = sorted(each)
        peak["rss"], peak["pss"] = max(peak["rss"], rss), max(peak["pss"], pss)


def _role(process: Any, root: Any) -> str:
    command = " ".join(process.cmdline())
    if process.pid == root.pid:
        return "command"
    if "resource_tracker" in command:
        return "tracker"
    # The forkserver's workers carry its command line: the forkserver is the one the command started.
    return "forkserver" if "forkserver" in command and process.ppid() == root.pid else "worker"


def cli_build(sources: Path, out: Path, jobs: int) -> tuple[float, dict[str, Any]]:
    """Wall seconds and peak summed RSS and PSS (bytes) of `preservation build` over `sources`."""
    command = [sys.executable, "-m", "preservation", "build", str(sources), "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    process = subprocess.Popen([*command, "--jobs", str(jobs)], env=env, stdout=subprocess.DEVNULL)
    stop, peak = threading.Event(), {"rss": 0, "pss": 0, "processes": []}
    watcher = threading.Thread(target=_peak_memory, args=(process.pid, stop, peak))
    watcher.start()
    code = process.wait()
    elapsed = time.perf_counter() - start
    stop.set()
    watcher.join()
    assert code == 0, code
    return elapsed, peak


def scale(work: Path, count: int, rounds: int, jobs: int) -> None:
    small = work / "sources-400"
    make_sources(small, 400)
    for round_ in range(rounds):
        os.sync()
        wall_small, _ = cli_build(small, work / f"small-{round_}", jobs)
        os.sync()
        wall, peak = cli_build(work / "sources", work / f"large-{round_}", jobs)
        per_small, per_large = wall_small / 400 * 1000, wall / count * 1000
        print(
            f"round {round_ + 1}: 400 releases {per_small:.2f} ms each; {count} releases {per_large:.2f} ms"
            f" each ({per_large / per_small - 1:+.1%}); peak summed RSS {peak['rss'] / 2**20:.0f} MiB,"
            f" PSS {peak['pss'] / 2**20:.0f} MiB ({load()}); RSS at the peak: "
            + ", ".join(f"{role} {rss / 2**20:.0f}" for role, rss in peak["processes"]),
            flush=True,
        )
        shutil.rmtree(work / f"small-{round_}")
        shutil.rmtree(work / f"large-{round_}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--phases", action="store_true", help="print CPU time per phase first")
    parser.add_argument("--scale", action="store_true", help="time per release and peak RSS of a large build")
    parser.add_argument(
        "--dir", type=Path, default=Path(tempfile.gettempdir()), help="where to build (default: %(default)s)"
    )
    parser.add_argument("--peer", nargs=2, type=Path, metavar=("SOURCES", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peer:
        wall, cpu = run_peer(sorted(args.peer[0].iterdir()), args.peer[1], args.jobs)
        print(wall, cpu, *PEER_PHASES.values())
        return
    count = args.n or (10_000 if args.scale else 400)
    with tempfile.TemporaryDirectory(dir=args.dir) as scratch:
        work = Path(scratch)
        make_sources(work / "sources", count)
        if args.scale:
            scale(work, count, args.rounds, args.jobs)
            return
        if args.phases:
            phases(work, count)
        compare(work, count, args.rounds, args.jobs)


if __name__ == "__main__":
    main()
