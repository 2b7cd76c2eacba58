"""The listing: every payload manifest merged into one row per listed path, and the payload files found.

What the validator remembers of a bag's payload, however large: for each path a manifest lists, the raw
digest every manifest gives it, and once the file is found, its size; for a file no manifest lists (yet),
its size. The scan feeds it (`add`, `add_pair`, `record`); the checks ask it (everything else). Listed
paths keep the order they were first listed in, files found the order they were found in.

The API, which `tests/validate/test_listing_model.py` holds against a plain dict model:

- `add(name, data, algorithm, …)` merges a payload manifest (its problems and paths outside data/ are
  kept on `manifests[name]`); `add_pair` merges two read side by side, with the same result.
- `record(path, size)` notes a payload file found; recording a path again replaces its size.
- `path in listing`, `iter(listing)`: the paths some manifest lists under data/.
- `digests(path)`: one item per manifest (None: not listed there, b"": listed under an algorithm that
  cannot be hashed); `expected(path, index)` one of them; `lacking(path)` the manifests that do not list it,
  `incomplete()` each path with such manifests.
- `size(path)`, `sizes()`: the files found; `missing()` listed but not found, `unlisted()` found but not
  listed; `total()` their sizes summed.
- `compare(path, digests, algorithms)`: how a file's computed digests (concatenated in the order of
  `algorithms`, as the hashing pool returns them) differ from what is listed.

How it is stored, which only this module knows: a row is the manifests' digests concatenated while every
manifest so far lists the path with a known algorithm (the common case: one bytes object per file), then
the file's size as `SIZE` more bytes once it is found (no int object, no second copy of the path); else a
tuple with one item per manifest, and the size in `_found`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import BinaryIO, NamedTuple, TypeGuard, cast

from preservation.bagit.parse import DIGEST_LENGTHS, Problem, manifest_digests, problem

Row = bytes | tuple[bytes | None, ...]
"""A listed path's expected raw digests: concatenated (bytes, possibly ending with the size), or one item
per manifest up to the last that lists it."""
SIZE = 8


@dataclass
class PayloadManifest:
    """A payload manifest's algorithm and problems; its entries are merged into the `Listing`."""

    algorithm: str
    index: int
    problems: list[Problem] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    """Listed paths outside data/ (a finding each; never matched against files)."""


class Mismatch(NamedTuple):
    """A payload file whose digest differs from what a manifest lists."""

    path: str
    manifest: str
    expected: bytes
    actual: bytes


class Listing:
    """Every payload manifest merged, and the payload files found (see the module's docstring)."""

    def __init__(self) -> None:
        self.manifests: dict[str, PayloadManifest] = {}
        """By name, in the order merged (`PayloadManifest.index`)."""
        self._rows: dict[str, Row] = {}
        self._found: dict[str, int] = {}
        """Sizes of payload files whose row is not concatenated, or that no manifest lists (yet)."""
        self._offsets = [0]
        """Where each manifest's digest starts in a concatenated row; ends with the row length. A row
        whose length is not one of these carries a size (digests are at least 16 bytes, so none is
        offset + SIZE)."""
        self._algorithms: tuple[str, ...] = ()
        """The manifests' algorithms in manifest order: digests computed in this order compare whole."""
        self._sized = 0
        """Rows that carry a size."""

    def add(
        self, name: str, data: bytes | BinaryIO, algorithm: str, encoding: str, version_1_0: bool
    ) -> None:
        """Merge payload manifest `name` (its bytes or a stream of them) listing `algorithm` digests."""
        merge = self._merger(name, algorithm, version_1_0)
        problems = self.manifests[name].problems
        for number, path, digest in manifest_digests(data, algorithm, encoding, problems):
            merge(number, path, digest)

    def add_pair(
        self,
        first: tuple[str, BinaryIO, str],
        second: tuple[str, BinaryIO, str],
        encoding: str,
        version_1_0: bool,
    ) -> None:
        """`add` both (name, stream, algorithm), read side by side: while they list the same new paths in the
        same order, as the tools that write both do, each row is built once, whole. Built in two steps, the
        first step's half rows are freed among the paths and that memory stays with the process (see
        benchmarks/README.md). From the first line where they differ, the rest is merged as `add` would."""
        (name, stream, algorithm), (other, other_stream, other_algorithm) = first, second
        merge = self._merger(name, algorithm, version_1_0)
        merge_other = self._merger(other, other_algorithm, version_1_0)
        lines = manifest_digests(stream, algorithm, encoding, self.manifests[name].problems)
        other_problems = self.manifests[other].problems
        other_lines = manifest_digests(other_stream, other_algorithm, encoding, other_problems)
        rows = self._rows
        whole = len(self.manifests) == 2 and len(self._offsets) == 3  # the first two, both concatenated
        held = None
        for number, path, digest in lines:
            held = next(other_lines, None)
            if (
                whole
                and held is not None
                and held[1] == path
                and path not in rows
                and path.startswith("data/")
            ):
                rows[path] = digest + held[2]
                held = None
                continue
            merge(number, path, digest)
            break
        for number, path, digest in lines:
            merge(number, path, digest)
        if held is not None:
            merge_other(*held)
        for number, path, digest in other_lines:
            merge_other(number, path, digest)

    def _merger(self, name: str, algorithm: str, version_1_0: bool) -> Callable[[int, str, bytes], None]:
        """Register manifest `name`; the function that merges one of its lines into the rows."""
        index = len(self.manifests)
        manifest = self.manifests[name] = PayloadManifest(algorithm, index)
        self._algorithms += (algorithm,)
        length = DIGEST_LENGTHS.get(algorithm, 0) // 2
        compact = bool(length) and len(self._offsets) == index + 1  # every earlier manifest concatenated
        full = self._offsets[-1]
        if compact:
            self._offsets.append(full + length)
        rows, found = self._rows, self._found

        def merge(number: int, path: str, digest: bytes) -> None:
            if not path.startswith("data/"):
                if path in manifest.outside:
                    manifest.problems.append(problem("manifest.duplicate", number, path=path))
                manifest.outside.append(path)
                return
            row = rows.get(path)
            if row is None:
                rows[path] = digest if compact and index == 0 else (None,) * index + (digest,)
                return
            if compact and type(row) is bytes and len(row) == full:
                rows[path] = row + digest
                return
            if compact and type(row) is bytes and len(row) == full + SIZE:  # found before this manifest came
                rows[path] = row[:full] + digest + row[full:]
                return
            items = self._items(row)
            if len(items) > index:  # this manifest listed it already
                same = items[index] == digest
                code = "manifest.duplicate-legacy" if same and not version_1_0 else "manifest.duplicate"
                manifest.problems.append(problem(code, number, path=path))
            else:
                if self._carries_size(row):  # the size leaves with the concatenated form
                    found[path] = int.from_bytes(row[-SIZE:], "little")
                    self._sized -= 1
                rows[path] = items + (None,) * (index - len(items)) + (digest,)

        return merge

    def _carries_size(self, row: Row) -> TypeGuard[bytes]:
        return type(row) is bytes and len(row) not in self._offsets

    def record(self, path: str, size: int) -> None:
        """A payload file found, with its size (found again: the new size)."""
        row = self._rows.get(path)
        if type(row) is bytes and path not in self._found:  # in `_found`: found before it was listed
            if len(row) in self._offsets:
                self._rows[path] = row + size.to_bytes(SIZE, "little")
                self._sized += 1
            else:
                self._rows[path] = row[:-SIZE] + size.to_bytes(SIZE, "little")
        else:
            self._found[path] = size

    def __contains__(self, path: object) -> bool:
        """Whether some manifest lists `path` (under data/)."""
        return path in self._rows

    def __iter__(self) -> Iterator[str]:
        """The paths some manifest lists under data/, in first-listed order."""
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def digests(self, path: str) -> tuple[bytes | None, ...] | None:
        """What each manifest lists for `path`, one item per manifest in `manifests` order (None: that
        manifest does not list it; b"": listed under an algorithm that cannot be hashed); None when no
        manifest lists it."""
        row = self._rows.get(path)
        if row is None:
            return None
        items = self._items(row)
        return items + (None,) * (len(self.manifests) - len(items))

    def listed(self, path: str) -> dict[str, bytes]:
        """The raw digest each manifest that lists `path` under an algorithm we can hash gives it, by
        algorithm (empty when none does): what the file must hold."""
        items = self.digests(path) or ()
        return {m.algorithm: d for m in self.manifests.values() if items and (d := items[m.index])}

    def expected(self, path: str, index: int) -> bytes | None:
        """The raw digest manifest `index` lists for `path`; None when not listed, b"" when not hashable."""
        row = self._rows.get(path)
        if row is None:
            return None
        items = self._items(row)
        return items[index] if index < len(items) else None

    def lacking(self, path: str) -> list[str]:
        """The manifests that do not list `path` (a listed path)."""
        row, offsets = self._rows[path], self._offsets
        if len(offsets) == len(self.manifests) + 1 and type(row) is bytes and len(row) >= offsets[-1]:
            return []  # every manifest concatenated, and this row holds all their digests: none to split
        items = self._items(row)
        return [name for name, m in self.manifests.items() if m.index >= len(items) or items[m.index] is None]

    def incomplete(self) -> Iterator[tuple[str, list[str]]]:
        """Each listed path some manifest does not list, with those manifests (`lacking`), in first-listed
        order: one pass, in which a row that holds every manifest's digest costs one test."""
        offsets, rows = self._offsets, self._rows
        whole = offsets[-1] if len(offsets) == len(self.manifests) + 1 else None  # all concatenated
        for path, row in rows.items():
            split = whole is None or type(row) is not bytes or len(row) < whole
            if split and (lacking := self.lacking(path)):
                yield path, lacking

    def compare(
        self, path: str, digests: bytes, algorithms: tuple[str, ...], listed: str | None = None
    ) -> list[Mismatch] | None:
        """How `digests` of file `path`, computed with `algorithms` (known ones) and concatenated in that
        order, differ from what the manifests list for `listed` (default: `path`); None when nothing is
        listed under that name. A manifest whose algorithm was not computed, or that does not list the
        path, is not compared."""
        row = self._rows.get(listed or path)
        if row is None:
            return None
        if type(row) is bytes and row == digests and algorithms == self._algorithms:
            return []  # the common case: one comparison for every algorithm
        items = self._items(row)
        computed = dict(zip(algorithms, split_digests(digests, algorithms), strict=True))
        found = []
        for name, manifest in self.manifests.items():
            actual = computed.get(manifest.algorithm)
            expected = items[manifest.index] if manifest.index < len(items) else None
            if actual is not None and expected and expected != actual:
                found.append(Mismatch(path, name, expected, actual))
        return found

    def size(self, path: str) -> int | None:
        """The size of a payload file found; None when no such file was found."""
        size = self._found.get(path)
        if size is not None:
            return size
        row = self._rows.get(path)
        if row is not None and self._carries_size(row):
            return int.from_bytes(row[-SIZE:], "little")
        return None

    def sizes(self) -> PayloadSizes:
        """The payload files found → size, as a mapping."""
        return PayloadSizes(self)

    def total(self) -> int:
        """The sizes of the payload files found, summed."""
        offsets = self._offsets  # `_carries_size` inlined: a call per row costs more than the test
        carried = (row for row in self._rows.values() if type(row) is bytes and len(row) not in offsets)
        return sum(int.from_bytes(row[-SIZE:], "little") for row in carried) + sum(self._found.values())

    def missing(self) -> list[str]:
        """Listed paths where no payload file was found, in first-listed order."""
        offsets, found = self._offsets, self._found  # rows that carry no size, less those in `_found`
        return [
            path
            for path, row in self._rows.items()
            if (type(row) is not bytes or len(row) in offsets) and path not in found
        ]

    def unlisted(self) -> list[str]:
        """Payload files found that no manifest lists, in the order found (a row that carries a size is
        listed, so only `_found` is searched)."""
        return [path for path in self._found if path not in self._rows]

    def _sized_paths(self) -> Iterator[str]:
        """The paths of the rows that carry a size, in first-listed order."""
        offsets = self._offsets
        return (path for path, row in self._rows.items() if type(row) is bytes and len(row) not in offsets)

    def _items(self, row: Row) -> tuple[bytes | None, ...]:
        """`row` as one item per manifest that lists it (trailing manifests that do not are left out)."""
        if type(row) is not bytes:
            return cast(tuple[bytes | None, ...], row)
        offsets = self._offsets
        if len(row) not in offsets:
            row = row[:-SIZE]
        return tuple(row[offsets[i] : offsets[i + 1]] for i in range(offsets.index(len(row))))


def split_digests(digests: bytes, algorithms: tuple[str, ...]) -> tuple[bytes, ...]:
    """Concatenated raw digests of `algorithms` (known ones), one per algorithm."""
    parts, start = [], 0
    for algorithm in algorithms:
        end = start + DIGEST_LENGTHS[algorithm] // 2
        parts.append(digests[start:end])
        start = end
    return tuple(parts)


class PayloadSizes(Mapping[str, int]):
    """Payload regular files (data/…) → size, each once, in the order of the listing's storage: files
    whose size rides on their row in first-listed order, then the others in the order found (a tar's
    files found before its manifests are among those). A view of a `Listing`, which holds the sizes."""

    def __init__(self, listing: Listing) -> None:
        self._listing = listing

    def __getitem__(self, path: str) -> int:
        size = self._listing.size(path)
        if size is None:
            raise KeyError(path)
        return size

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and self._listing.size(path) is not None

    def __iter__(self) -> Iterator[str]:
        yield from self._listing._sized_paths()
        yield from self._listing._found

    def total(self) -> int:
        """Every size, summed (`sum(self.values())` looks each path up again)."""
        return self._listing.total()

    def __len__(self) -> int:
        return self._listing._sized + len(self._listing._found)
