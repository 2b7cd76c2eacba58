"""The anchor: digests of the tag manifests, kept in the ledger so that a consistent rewrite is caught."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from preservation.bagit.parse import manifest_algorithm
from preservation.fixity.model import Problem
from preservation.validate.findings import finding
from preservation.validate.scan import Scan

ANCHOR_ALGORITHM = "sha512"


def anchor_names(names: Collection[str]) -> list[str]:
    """Of the bag's tag files `names`, the tag manifests; without them, the files they would cover
    (bagit.txt, bag-info, manifests)."""
    manifests = sorted(
        (name, found[0]) for name in names if "/" not in name and (found := manifest_algorithm(name))
    )
    tag_manifests = [name for name, is_tag in manifests if is_tag]
    if tag_manifests:
        return tag_manifests
    covered = [name for name in ("bagit.txt", "bag-info.txt") if name in names]
    return sorted(covered + [name for name, _ in manifests])


def compute_anchor(scan: Scan) -> dict[str, str]:
    """The anchor of a bag from the digests its scan took of each tag file (every tag file is hashed
    with every algorithm we know as it streams by). A file that could not be read is left out."""
    tags = scan.tags
    return {
        name: digests.values[ANCHOR_ALGORITHM]
        for name in anchor_names([n for n, kind in scan.kinds.items() if kind == "file" and n in tags])
        if (digests := tags[name].digests) is not None
    }


def compare_anchor(recorded: Mapping[str, str], actual: Mapping[str, str]) -> list[Problem]:
    problems = []
    for name in sorted(recorded.keys() | actual.keys()):
        if name not in actual:
            item = finding("fixity.anchor-gone", name)
        elif name not in recorded:
            item = finding("fixity.anchor-appeared", name)
        elif recorded[name] != actual[name]:
            item = finding("fixity.anchor-mismatch", name, algorithm=ANCHOR_ALGORITHM)
        else:
            continue
        problems.append(Problem.of(item))
    return problems
