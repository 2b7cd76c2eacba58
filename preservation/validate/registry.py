"""The families of checks, in report order. Each is `check(BagContext) -> Iterable[Finding]`.

The profile family finds nothing when no profile is given (`BagContext.profile` is None).

Which families decide what: `validate` and `export` run them all. `fixity` runs `INTEGRITY`, the checks of
the bag's own integrity (its structure and serialization, its manifests, payload and tag manifests): what
a bag is judged on over the years whatever profile it was built for. A profile's rules, our metadata's
cross-checks and the linter's warnings are validate's (and export's, which admits only valid bags): a
profile changed after a bag was stored must not turn its fixity checks into failures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple

from preservation.validate import manifests, metadata, profile, structure, warnings
from preservation.validate.context import BagContext
from preservation.validate.findings import Finding
from preservation.validate.scan import Mode


class Family(NamedTuple):
    """A family of checks: its name in reports, its check, the modes it runs in."""

    name: str
    check: Callable[[BagContext], Iterable[Finding]]
    modes: frozenset[Mode]


ALL_MODES: frozenset[Mode] = frozenset({"full", "fast", "completeness"})

FAMILIES: tuple[Family, ...] = (
    Family("structure", structure.check, ALL_MODES),
    Family("manifests", manifests.check, frozenset({"full", "completeness"})),
    Family("warnings", warnings.check, ALL_MODES),
    Family("profile", profile.check, ALL_MODES),
    Family("metadata", metadata.check, frozenset({"full", "completeness"})),
)

INTEGRITY: tuple[str, ...] = ("structure", "manifests")
"""The families `fixity` verifies a bag with (see above)."""
