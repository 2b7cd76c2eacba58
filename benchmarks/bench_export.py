"""Benchmark: `export_bags` against the floor for writing the bytes, `tar -cf` per bag + one `sha512sum`.

    PYTHONPATH=. python benchmarks/bench_export.py [--releases 400] [--runs 3] [--jobs 2] [--format xdomea]

Builds the bags of N releases once (each a text and a ~150 KB photo, via `build_bags`), then times both
in the same run, interleaved, best of `--runs` each. The export validates every bag in full (the floor
does not; payload checksums are verified in the same read that writes the archive), so the ratio shows
what validation plus the deterministic, fsynced, atomic writing costs over plain tar. Target: export
within 1.2x of the floor. The load average is printed with the figures: on shared cores they depend on it.
`--format xdomea` times the xdomea export (one container per year, the message XSD-checked) instead;
`--format eark-sip` the E-ARK export (one SIP per bag, both METS and premis.xml XSD-checked).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from preservation.build import build_bags
from preservation.export.formats import export as export_as
from preservation.profile import load_profile

ENV = {"SOURCE_DATE_EPOCH": "1700000000"}
TEXT = """Pressemitteilung vom {day:02d}.{month:02d}.2021

Meldung {index}: Die Stadt informiert über Vorhaben Nummer {index}

Die Stadtverwaltung Kaiserslautern informiert über das Vorhaben Nummer {index}. {filler}

Autor/in: Pressestelle, Beispiel

Kaiserslautern, {day:02d}.{month:02d}.2021
"""


def build(root: Path, count: int) -> list[Path]:
    sources = root / "sources"
    photo = os.urandom(150 * 1024)
    for index in range(count):
        folder = sources / f"release-{index:05d}"
        folder.mkdir(parents=True)
        day, month = index % 28 + 1, index % 12 + 1
        text = TEXT.format(day=day, month=month, index=index, filler="Weitere Einzelheiten folgen. " * 40)
        (folder / "pressemitteilung.txt").write_text(text, encoding="utf-8")
        (folder / "Foto.jpg").write_bytes(b"\xff\xd8\xff\xe0" + photo[4:-8] + index.to_bytes(8, "big"))
    summary = build_bags([sources], root / "bags", load_profile(), jobs=2, environ=ENV)
    assert summary.ok, [o.message for o in summary.outcomes if o.status != "built"][:3]
    return sorted(o.bag for o in summary.outcomes if o.bag is not None)


def floor(bags: list[Path], out: Path) -> float:
    """`tar -cf` of every bag folder, then one sha512sum pass over the tars."""
    out.mkdir()
    start = time.perf_counter()
    for bag in bags:
        target = out / f"{bag.name}.tar"
        subprocess.run(["tar", "-cf", str(target), "-C", str(bag.parent), bag.name], check=True)
    subprocess.run(["sha512sum", *map(str, sorted(out.iterdir()))], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def export(bags: list[Path], out: Path, jobs: int, form: str = "bagit") -> float:
    start = time.perf_counter()
    result = export_as(form, bags, out, load_profile(), environ=ENV, jobs=jobs)
    elapsed = time.perf_counter() - start
    assert result.ok and len(result.exported) == len(bags), result.rejected[:1]
    return elapsed


def _runs(times: list[float]) -> str:
    return ", ".join(f"{t:.2f}" for t in times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--releases", type=int, default=400)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--format", default="bagit", choices=("bagit", "xdomea", "eark-sip"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        bags = build(root, args.releases)
        size = sum(f.stat().st_size for bag in bags for f in bag.rglob("*") if f.is_file())
        print(f"built {len(bags)} bags ({size / 1e6:.1f} MB) in {time.perf_counter() - start:.1f} s")
        floors, exports = [], []
        for run in range(args.runs):
            floors.append(floor(bags, root / f"tar-{run}"))
            exports.append(export(bags, root / f"export-{run}", args.jobs, args.format))
            shutil.rmtree(root / f"tar-{run}")
            shutil.rmtree(root / f"export-{run}")
        best_floor, best_export = min(floors), min(exports)
        print(f"tar -cf + sha512sum:      {best_floor:6.2f} s  (runs: {_runs(floors)})")
        print(f"export {args.format} (jobs={args.jobs}): {best_export:6.2f} s  (runs: {_runs(exports)})")
        print(f"ratio export / floor:     {best_export / best_floor:6.2f}x  (target <= 1.2x)")
        print("load average (1, 5, 15 min): " + ", ".join(f"{n:.2f}" for n in os.getloadavg()))


if __name__ == "__main__":
    main()
