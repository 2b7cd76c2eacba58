"""The validator's entry points: one bag, or many paths (bags, serialized bags, folders of bags)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from preservation.bagit import locate
from preservation.bagit.locate import bags_at
from preservation.bagit.parse import TAG_FILE_LIMIT
from preservation.bagit.reader import BagReader, open_bag
from preservation.errors import BagError
from preservation.validate.findings import Finding
from preservation.validate.registry import FAMILIES, INTEGRITY, Family
from preservation.validate.scan import BagContext, Mode, build_context

if TYPE_CHECKING:  # loading the profile modules costs a bag validated without a profile ~5 ms
    from preservation.profile import Profile
    from preservation.validate.profile_rules import ProfileRules

UNREADABLE = "serialization.unreadable"


@dataclass(frozen=True)
class BagReport:
    """One bag's validation: its findings and the families of checks that ran."""

    path: str
    serialization: str
    findings: tuple[Finding, ...]
    families: tuple[str, ...] = ()
    """The families of checks that ran, in report order."""

    @property
    def valid(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    def passes(self, strict: bool = False) -> bool:
        """Valid, and with `strict` also free of warnings."""
        return self.valid and not (strict and any(f.severity == "warning" for f in self.findings))


class Verification(NamedTuple):
    context: BagContext
    findings: tuple[Finding, ...]


def verify(
    reader: BagReader,
    families: Iterable[Family],
    mode: Mode = "full",
    profile: ProfileRules | None = None,
    jobs: int = 1,
    tag_file_limit: int = TAG_FILE_LIMIT,
) -> Verification:
    """The one verification core of validate, fixity and export: one pass over `reader` (its entries
    compared with the manifests as they stream by, `scan`), then `families` of checks over it.

    `jobs` 1 hashes in this process (fixity's workers must not start a pool of their own)."""
    context = build_context(reader, mode, profile, jobs, tag_file_limit)
    return Verification(context, findings_of(context, families))


def findings_of(context: BagContext, families: Iterable[Family]) -> tuple[Finding, ...]:
    """What `families` find in `context`; nothing stops at the first error."""
    findings = [f for family in families for f in family.check(context)]
    if not any(context.scan.paths()) and any(p.code == UNREADABLE for p in context.reader_problems):
        # Nothing could be read: "bagit.txt is missing" and the like would only echo that.
        findings = [f for f in findings if f.code == UNREADABLE]
    return tuple(findings)


def validate_bag(
    path: Path | str,
    mode: Mode = "full",
    profile: ProfileRules | Profile | None = None,
    cross_check: bool = False,
    jobs: int = 1,
    observe: Callable[[bytes], object] | None = None,
    tag_file_limit: int = TAG_FILE_LIMIT,
) -> BagReport:
    """Run every family of checks that applies to `mode`; nothing stops at the first error.

    ``full`` verifies everything; ``completeness`` compares file lists without checksums; ``fast`` only
    checks structure and Payload-Oxum (like bagit-python's fast validation). With a `profile`, the bag is
    also checked against it; without, RFC 8493 only. `cross_check` adds bagit-python's opinion; `jobs`
    processes hash the payload of a bag folder. `observe`: a tar's bytes, as in `TarBag.observe`.
    A profile of ours (`Profile`) is checked as its BagIt Profile form plus the archival notice.
    `tag_file_limit`: tag files a check reads that are larger are not read (`tagfile.oversize`).
    """
    if profile is not None:
        from preservation.validate.profile_rules import ProfileRules, rules_from_profile

        if not isinstance(profile, ProfileRules):  # a Profile of ours
            profile = rules_from_profile(profile)
    source = Path(path)
    try:
        reader = open_bag(source, observe=observe)
    except ValueError as exc:
        raise BagError(source, str(exc).partition(": ")[2]) from None
    families = families_for(mode, with_profile=profile is not None)
    findings = list(verify(reader, families, mode, profile, jobs, tag_file_limit).findings)
    names = [family.name for family in families]
    if cross_check:
        # Imported here: bagit-python is needed only for a second opinion, and costs every start ~25 ms.
        from preservation.validate.crosscheck import cross_check as bagit_python_cross_check

        findings += bagit_python_cross_check(source, reader.serialization, mode, findings)
        names.append("crosscheck")
    return BagReport(str(source), reader.serialization, tuple(findings), tuple(names))


def families_for(mode: Mode, *, with_profile: bool) -> list[Family]:
    """The families of checks that `mode` runs; the profile family only when there is a profile."""
    return [f for f in FAMILIES if mode in f.modes and (f.name != "profile" or with_profile)]


def integrity_families(mode: Mode = "full") -> list[Family]:
    """The families fixity verifies a bag with (`registry.INTEGRITY`)."""
    return [f for f in FAMILIES if mode in f.modes and f.name in INTEGRITY]


def bags_holding(files: Sequence[Path | str]) -> list[Path]:
    """The bags that hold `files` (as a pre-commit hook passes changed files), each once, in the order
    first named: a serialized bag is itself; a file inside a bag folder names every folder above it that
    holds bagit.txt (a bag nested in another's payload changes both); a tag file of a bag that lost its
    bagit.txt names its folder. A file in no bag names none. What a bag is: `locate`."""
    bags: dict[Path, None] = {}
    for raw in files:
        path = Path(raw)
        if locate.bag_kind(path) in ("tar", "zip"):
            bags[path] = None
            continue
        holders = [folder for folder in path.parents if locate.bag_kind(folder) == "directory"]
        tag_file = path.name in locate.BAG_MARKS or path.name.startswith(("manifest-", "tagmanifest-"))
        if not holders and tag_file and locate.bag_kind(path.parent, damaged=True) == "directory":
            holders = [path.parent]
        bags.update(dict.fromkeys(holders))
    return list(bags)


def discover(paths: Sequence[Path | str]) -> list[Path]:
    """The bags named by `paths` (see `locate.bags_at`: a bag folder that lost bagit.txt counts); BagError
    for a path that is a link, or neither a bag nor a folder holding bags."""
    bags: list[Path] = []
    for raw in paths:
        found = bags_at(raw, damaged=True)
        if not found:
            raise BagError(raw, "not a bag, and no bags in it")
        bags.extend(Path(item.path) for item in found)
    return bags


def validate_paths(
    paths: Sequence[Path | str],
    mode: Mode = "full",
    profile: ProfileRules | None = None,
    cross_check: bool = False,
    jobs: int = 1,
    tag_file_limit: int = TAG_FILE_LIMIT,
) -> Iterator[BagReport]:
    """Each bag named by `paths`, in order. Paths are checked up front: BagError before any report."""
    bags = discover(paths)
    return (
        validate_bag(bag, mode, profile, cross_check, jobs, tag_file_limit=tag_file_limit) for bag in bags
    )
