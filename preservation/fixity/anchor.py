"""The anchor: digests of the tag manifests, kept in the ledger so that a consistent rewrite is caught."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping

from preservation.fixity.bagpass import Manifests, top_level_manifests
from preservation.fixity.model import Problem

ANCHOR_ALGORITHM = "sha512"


def anchor_names(names: Collection[str], manifests: Manifests | None = None) -> list[str]:
    """The tag manifests; without them, the files they would cover (bagit.txt, bag-info, manifests).
    `manifests`: `top_level_manifests(names)` when the caller has it already."""
    manifests = top_level_manifests(names) if manifests is None else manifests
    tag_manifests = [name for name, is_tag, _ in manifests if is_tag]
    if tag_manifests:
        return tag_manifests
    covered = [name for name in ("bagit.txt", "bag-info.txt") if name in names]
    return sorted(covered + [name for name, _, _ in manifests])


def compute_anchor(tags: Mapping[str, bytes], manifests: Manifests | None = None) -> dict[str, str]:
    """The anchor of a bag from its tag files' bytes (bag-relative name → bytes)."""
    names = anchor_names(tags, manifests)
    return {name: hashlib.new(ANCHOR_ALGORITHM, tags[name]).hexdigest() for name in names}


def compare_anchor(recorded: Mapping[str, str], actual: Mapping[str, str]) -> list[Problem]:
    problems = []
    for name in sorted(recorded.keys() | actual.keys()):
        if name not in actual:
            detail = "anchoring tag file recorded at registration is gone"
        elif name not in recorded:
            detail = "anchoring tag file appeared after registration"
        elif recorded[name] != actual[name]:
            detail = f"{ANCHOR_ALGORITHM} differs from the digest recorded in the ledger at registration"
        else:
            continue
        problems.append(Problem("anchor-mismatch", name, detail))
    return problems
