"""What a bag's own tag files say it should hold, parsed with `preservation.bagit.parse`.

Tag files are decoded in the encoding bagit.txt declares. Manifest lines that cannot be verified (malformed,
unsafe paths, conflicting duplicates, undecodable) become `unreadable` problems; an unsafe path is dropped
by the parser, so it is never opened. Warnings that matter to a validator but not to fixity (a BOM, a
leading ``./``, an md5sum ``*``) are left to `preservation validate`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from preservation.bagit.parse import DIGEST_LENGTHS, parse_bagit_txt, parse_manifest, problem, rules_1_0
from preservation.fixity.bagpass import Manifests, top_level_manifests
from preservation.fixity.model import Problem
from preservation.validate.findings import from_problem

_UNVERIFIABLE = frozenset(
    {"manifest.malformed", "manifest.duplicate", "path.unsafe", "encoding.invalid", "tagfile.line-too-long"}
)


@dataclass(frozen=True)
class Expectations:
    encoding: str | None
    """Python codec of the tag files; None when bagit.txt declares one we cannot read."""
    manifests: Manifests
    """`top_level_manifests` of the tag files."""
    payload_manifests: tuple[str, ...]
    payload: dict[str, dict[str, str]]
    """Payload path → algorithm → lower-case hex digest, from every ``manifest-ALG.txt``."""
    tag_manifests: tuple[str, ...]
    tags: dict[str, dict[str, str]]
    problems: tuple[Problem, ...]
    version_1_0: bool = True
    """Held to BagIt 1.0's rules (`parse.rules_1_0`), as the validator holds it."""


def declared_encoding(tags: Mapping[str, bytes]) -> str | None:
    """The tag-file encoding bagit.txt declares; UTF-8 (RFC 8493's default) when bagit.txt is absent."""
    bagit_txt = tags.get("bagit.txt")
    return "utf-8" if bagit_txt is None else parse_bagit_txt(bagit_txt).encoding


def expectations(tags: Mapping[str, bytes]) -> Expectations:
    encoding = declared_encoding(tags)
    bagit_txt = tags.get("bagit.txt")
    version_1_0 = rules_1_0(parse_bagit_txt(bagit_txt) if bagit_txt is not None else None)
    found = top_level_manifests(tags)
    manifests = found if encoding is not None else []
    problems: list[Problem] = []
    if encoding is None:
        detail = "declares a Tag-File-Character-Encoding this software cannot read: manifests not read"
        problems.append(Problem("unreadable", "bagit.txt", detail))
    expected: dict[bool, dict[str, dict[str, str]]] = {False: {}, True: {}}
    for name, is_tag, algorithm in manifests:
        if algorithm not in DIGEST_LENGTHS:  # as validate: not verifiable, so not read (nor hashed with)
            unknown = problem("manifest.algorithm-unknown", algorithm=algorithm)
            problems.append(Problem("unreadable", name, from_problem(unknown, name).message))
            continue
        # version_1_0=False: a repeated line with the same digest is harmless to a fixity check.
        parsed = parse_manifest(tags[name], algorithm, encoding or "utf-8", version_1_0=False)
        for path, digest in parsed.entries.items():
            expected[is_tag].setdefault(path, {})[algorithm] = digest
        problems += [
            Problem("unreadable", name, from_problem(item, name).message)
            for item in parsed.problems
            if item.code in _UNVERIFIABLE
        ]
    return Expectations(
        encoding,
        found,
        tuple(name for name, is_tag, algorithm in manifests if not is_tag and algorithm in DIGEST_LENGTHS),
        expected[False],
        tuple(name for name, is_tag, _ in manifests if is_tag),
        expected[True],
        tuple(problems),
        version_1_0,
    )
