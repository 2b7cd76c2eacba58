"""`--cross-check`: bagit-python's validator as a second opinion, and where it disagrees with ours.

Only the RFC 8493 verdict is compared (profile and metadata checks are ours alone). bagit-python reads
folders only; serialized bags are reported as not cross-checked, and so are bag folders holding a link or a
special file, which bagit-python would follow or block on.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import bagit

from preservation.validate.findings import Finding, finding
from preservation.validate.scan import Mode

RFC_FAMILIES = frozenset({"structure", "manifests", "warnings"})
_MAX_SAID = 500

# bagit-python logs its progress and findings; without a handler Python would print its warnings to stderr.
logging.getLogger("bagit").addHandler(logging.NullHandler())


def bagit_python_verdict(path: Path, mode: Mode) -> str | None:
    """None when bagit-python finds the bag valid, else what it said."""
    try:
        bagit.Bag(str(path)).validate(
            processes=1, fast=mode == "fast", completeness_only=mode == "completeness"
        )
    except Exception as exc:  # any failure of the second opinion is its verdict "invalid"
        details = getattr(exc, "details", None) or []
        said = "; ".join([str(exc), *(str(d) for d in details[:5])])
        return f"{type(exc).__name__}: {said}"[:_MAX_SAID]
    return None


UNSAFE = frozenset({"path.symlink", "path.special"})
"""Our findings of entries bagit-python would follow out of the bag (a link, even data/ itself), block on
(a FIFO: for ever) or read without end (a link to /dev/zero): a bag with one is not handed to it."""


def cross_check(path: Path, serialization: str, mode: Mode, findings: Sequence[Finding]) -> list[Finding]:
    if serialization != "directory":
        return [finding("crosscheck.skipped", serialization=serialization)]
    unsafe = next((f.file or "." for f in findings if f.code in UNSAFE), None)
    if unsafe is not None:
        return [finding("crosscheck.skipped-special", path=unsafe)]
    ours_valid = not any(f.severity == "error" and f.family in RFC_FAMILIES for f in findings)
    said = bagit_python_verdict(path, mode)
    if ours_valid and said is not None:
        return [finding("crosscheck.disagreement-invalid", said=said)]
    if not ours_valid and said is None:
        codes = sorted({f.code for f in findings if f.severity == "error" and f.family in RFC_FAMILIES})
        return [finding("crosscheck.disagreement", codes=", ".join(codes))]
    return []
