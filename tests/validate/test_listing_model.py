"""The listing's packed rows answer as a plain dict model of the same manifests and files does.

A Hypothesis state machine merges random payload manifests (several algorithms, one that cannot be hashed,
repeated paths, odd names, Unicode normalization twins, paths outside data/, side by side or one after
the other, before and after files are found) and records random files and sizes, into both a `Listing`
and the model below, which keeps every fact in the most obvious form. After every step each question the
checks ask must get the same answer from both.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from preservation.bagit.parse import DIGEST_LENGTHS, Problem, problem
from preservation.bagit.paths import encode_path
from preservation.hashing import ALGORITHMS
from preservation.validate.listing import Listing, Mismatch

UNHASHABLE = "sha3_256"
"""A manifest algorithm this software cannot compute: its lines are listed with an empty digest."""
assert UNHASHABLE not in DIGEST_LENGTHS
ALGORITHM = st.sampled_from(["md5", "sha1", "sha256", "sha512", UNHASHABLE])
PATHS = [
    "data/a",
    "data/A",
    "data/sub/b.txt",
    "data/\u00e4.txt",  # NFC ...
    "data/a\u0308.txt",  # ... and its NFD twin: two different names
    "data/x y\tz",
    "data/50%.txt",
    "data/line\nbreak",
    "data/\u65e5\u672c",
    "bagit.txt",  # outside data/: never a row
    "other/c",
]
PATH = st.sampled_from(PATHS)
LINE = st.tuples(PATH, st.booleans())
"""A manifest line: its path and whether its digest is the file's own (else a wrong one)."""


def digest(algorithm: str, path: str, right: bool) -> bytes:
    """The raw digest a line lists (b"" where the algorithm cannot be hashed, as the parser gives it)."""
    if algorithm not in DIGEST_LENGTHS:
        return b""
    return hashlib.new(algorithm, path.encode() + (b"" if right else b"?")).digest()


def manifest_bytes(algorithm: str, lines: list[tuple[str, bool]]) -> bytes:
    text = ""
    for path, right in lines:
        value = digest(algorithm, path, right).hex() or hashlib.sha3_256(path.encode()).hexdigest()
        text += f"{value}  {encode_path(path)}\n"
    return text.encode()


@dataclass
class ModelManifest:
    name: str
    algorithm: str
    entries: dict[str, bytes] = field(default_factory=dict)
    """data/ path → the digest its first line lists."""
    problems: list[Problem] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)


class ListingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.listing = Listing()
        self.manifests: list[ModelManifest] = []
        self.listed: dict[str, None] = {}
        """data/ paths in first-listed order."""
        self.found: dict[str, int] = {}
        """Files found → their latest size, in the order first found."""

    def _merge(self, algorithm: str, lines: list[tuple[str, bool]], version_1_0: bool) -> None:
        model = ModelManifest(f"manifest-{len(self.manifests)}-{algorithm}.txt", algorithm)
        self.manifests.append(model)
        for number, (path, right) in enumerate(lines, start=1):
            value = digest(algorithm, path, right)
            if not path.startswith("data/"):
                if path in model.outside:
                    model.problems.append(problem("manifest.duplicate", number, path=path))
                model.outside.append(path)
            elif path in model.entries:
                legacy = model.entries[path] == value and not version_1_0
                code = "manifest.duplicate-legacy" if legacy else "manifest.duplicate"
                model.problems.append(problem(code, number, path=path))
            else:
                model.entries[path] = value
                self.listed.setdefault(path)

    @rule(
        algorithm=ALGORITHM,
        lines=st.lists(LINE, max_size=8),
        version_1_0=st.booleans(),
        streamed=st.booleans(),
    )
    def add(self, algorithm: str, lines: list[tuple[str, bool]], version_1_0: bool, streamed: bool) -> None:
        name = f"manifest-{len(self.manifests)}-{algorithm}.txt"
        data = manifest_bytes(algorithm, lines)
        self.listing.add(name, io.BytesIO(data) if streamed else data, algorithm, "utf-8", version_1_0)
        self._merge(algorithm, lines, version_1_0)

    @rule(
        algorithms=st.tuples(ALGORITHM, ALGORITHM),
        lines=st.lists(LINE, max_size=8),
        other_lines=st.lists(LINE, max_size=8),
        alike=st.integers(0, 8),
        version_1_0=st.booleans(),
    )
    def add_pair(
        self,
        algorithms: tuple[str, str],
        lines: list[tuple[str, bool]],
        other_lines: list[tuple[str, bool]],
        alike: int,
        version_1_0: bool,
    ) -> None:
        """Two manifests read side by side; the second lists the first's paths for `alike` lines (as the
        tools that write both do), then its own."""
        other_lines = lines[:alike] + other_lines
        first, second = algorithms
        names = [f"manifest-{len(self.manifests) + i}-{a}.txt" for i, a in enumerate(algorithms)]
        self.listing.add_pair(
            (names[0], io.BytesIO(manifest_bytes(first, lines)), first),
            (names[1], io.BytesIO(manifest_bytes(second, other_lines)), second),
            "utf-8",
            version_1_0,
        )
        self._merge(first, lines, version_1_0)
        self._merge(second, other_lines, version_1_0)

    @rule(path=PATH, size=st.integers(0, 2**40))
    def record(self, path: str, size: int) -> None:
        if path.startswith("data/"):  # the scan records payload files only
            self.listing.record(path, size)
            self.found[path] = size

    def _digests(self, path: str) -> tuple[bytes | None, ...] | None:
        if path not in self.listed:
            return None
        return tuple(m.entries.get(path) for m in self.manifests)

    @invariant()
    def same_rows(self) -> None:
        listing = self.listing
        assert list(listing) == list(self.listed)
        assert len(listing) == len(self.listed)
        for path in PATHS:
            assert (path in listing) == (path in self.listed)
            assert listing.digests(path) == self._digests(path)
            listed = {m.algorithm: d for m in self.manifests if (d := m.entries.get(path, b""))}
            assert listing.listed(path) == (listed if path in self.listed else {})
            for index, manifest in enumerate(self.manifests):
                assert listing.expected(path, index) == manifest.entries.get(path)
            if path in self.listed:
                lacking = [m.name for m in self.manifests if path not in m.entries]
                assert listing.lacking(path) == lacking
        incomplete = [(p, [m.name for m in self.manifests if p not in m.entries]) for p in self.listed]
        assert list(listing.incomplete()) == [(p, names) for p, names in incomplete if names]

    @invariant()
    def same_manifests(self) -> None:
        assert list(self.listing.manifests) == [m.name for m in self.manifests]
        for index, (name, manifest) in enumerate(self.listing.manifests.items()):
            model = self.manifests[index]
            assert (name, manifest.index, manifest.algorithm) == (model.name, index, model.algorithm)
            assert manifest.problems == model.problems
            assert manifest.outside == model.outside

    @invariant()
    def same_files(self) -> None:
        listing = self.listing
        for path in PATHS:
            assert listing.size(path) == self.found.get(path)
        assert listing.missing() == [p for p in self.listed if p not in self.found]
        assert listing.unlisted() == [p for p in self.found if p not in self.listed]
        assert listing.total() == sum(self.found.values())
        sizes = listing.sizes()
        assert dict(sizes) == self.found
        assert len(sizes) == len(self.found) and len(list(sizes)) == len(self.found)
        assert sizes.total() == sum(self.found.values())
        assert all((p in sizes) == (p in self.found) for p in PATHS)

    @invariant()
    def same_comparisons(self) -> None:
        """A file's right digests, computed with the manifests' own algorithms or with every algorithm
        there is, differ exactly where a line listed a wrong one."""
        known = tuple(dict.fromkeys(m.algorithm for m in self.manifests if m.algorithm in DIGEST_LENGTHS))
        for algorithms in {known, ALGORITHMS}:
            for path in PATHS:
                computed = tuple(digest(a, path, True) for a in algorithms)
                expected = None
                if path in self.listed:
                    expected = [
                        Mismatch(path, m.name, m.entries[path], computed[algorithms.index(m.algorithm)])
                        for m in self.manifests
                        if m.algorithm in algorithms
                        and m.entries.get(path)
                        and m.entries[path] != computed[algorithms.index(m.algorithm)]
                    ]
                assert self.listing.compare(path, b"".join(computed), algorithms) == expected


ListingMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=12, deadline=None)
test_listing_answers_as_the_model = ListingMachine.TestCase
