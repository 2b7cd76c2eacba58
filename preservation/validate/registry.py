"""The families of checks, in report order. Each is `check(BagContext) -> Iterable[Finding]`.

Profile checks need the profile and live in `api`; metadata checks (METS/DC, `--cross-check`) will join
this list as further families with their own catalogue codes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from preservation.validate import manifests, structure, warnings
from preservation.validate.findings import Finding
from preservation.validate.scan import BagContext, Mode


@dataclass(frozen=True)
class Family:
    name: str
    check: Callable[[BagContext], Iterable[Finding]]
    modes: frozenset[Mode]


ALL_MODES: frozenset[Mode] = frozenset({"full", "fast", "completeness"})

FAMILIES: tuple[Family, ...] = (
    Family("structure", structure.check, ALL_MODES),
    Family("manifests", manifests.check, frozenset({"full", "completeness"})),
    Family("warnings", warnings.check, ALL_MODES),
)
