"""Structure: bagit.txt, required files, serialization problems, Payload-Oxum, Bag-Size and fetch.txt."""

from __future__ import annotations

import re
from collections.abc import Iterator

from preservation.bagit.parse import ascii_int, payload_oxum
from preservation.validate.context import BagContext
from preservation.validate.findings import Finding, finding, from_problem

_SIZE = re.compile(r"^\s*(\S+?)\s*([KMGTP]?i?B|bytes?)?\s*$", re.IGNORECASE)
_POWERS = {"": 0, "b": 0, "byte": 0, "bytes": 0, "k": 1, "m": 2, "g": 3, "t": 4, "p": 5}


def check(bag: BagContext) -> Iterator[Finding]:
    for item in bag.reader_problems:
        params = dict(item.params)
        yield from_problem(item, params.get("path") or params.get("name"))
    for path, kind in bag.scan.kinds.items():
        if kind == "symlink":
            yield finding("path.symlink", path)
        elif kind in ("hardlink", "device"):
            yield finding("path.special", path, kind=kind)
    yield from _tag_file_problems(bag)
    if not bag.scan.sizes and not any(p == "data" or p.startswith("data/") for p in bag.scan.kinds):
        yield finding("payload.dir-missing", "data/")
    yield from _oxum(bag)
    if bag.mode != "fast":
        yield from _bag_size(bag)


def _tag_file_problems(bag: BagContext) -> Iterator[Finding]:
    tags = bag.scan.tags
    if "bagit.txt" not in tags:
        yield finding("bagit.missing", "bagit.txt")
    for name, tag in tags.items():
        if tag.error is not None:
            yield finding("payload.unreadable", name, reason=tag.error)
        elif tag.oversize:
            yield finding("tagfile.oversize", name, limit=bag.tag_file_limit)
    if bag.declaration is not None:
        yield from (from_problem(p, "bagit.txt") for p in bag.declaration.problems)
    if bag.info is not None:
        yield from (from_problem(p, bag.info_file) for p in bag.info.problems)
    if bag.fetch is not None:
        yield from (from_problem(p, "fetch.txt") for p in bag.fetch.problems if p.code != "path.unsafe")


def _payload_totals(bag: BagContext) -> tuple[int, int]:
    sizes = bag.scan.sizes
    return sizes.total(), len(sizes)


def _oxum(bag: BagContext) -> Iterator[Finding]:
    value = bag.info.get("Payload-Oxum") if bag.info else None
    if value is None:
        return
    expected = payload_oxum(value)
    if expected is None:
        yield finding("oxum.malformed", bag.info_file, value=value)
        return
    actual = _payload_totals(bag)
    if expected != actual:
        yield finding(
            "oxum.mismatch",
            bag.info_file,
            expected_bytes=expected[0],
            expected_files=expected[1],
            actual_bytes=actual[0],
            actual_files=actual[1],
        )


def _bag_size(bag: BagContext) -> Iterator[Finding]:
    value = bag.info.get("Bag-Size") if bag.info else None
    if value is None:
        return
    match = _SIZE.match(value)
    unit = (match.group(2) or "").lower() if match else ""
    whole, dot, fraction = match.group(1).partition(".") if match else ("", "", "")
    is_number = ascii_int(whole) is not None and (not dot or ascii_int(fraction) is not None)
    if not match or not is_number or unit.rstrip("ib") not in _POWERS and unit not in _POWERS:
        yield finding("bagsize.malformed", bag.info_file, value=value)
        return
    number = float(match.group(1))
    power = _POWERS[unit if unit in _POWERS else unit.rstrip("ib")]
    actual = sum(t.digests.size for t in bag.scan.tags.values() if t.digests) + _payload_totals(bag)[0]
    # Bag-Size is human-readable and rounded; accept decimal or binary units within rounding and 10 %.
    for base in (1000, 1024):
        scale = base**power
        if abs(actual - number * scale) <= max(0.1 * actual, scale):
            return
    yield finding("bagsize.mismatch", bag.info_file, value=value, actual=actual)
