"""The library's front door: what each command does, callable from Python with the same results.

    from preservation import api

    summary = api.build(["samples"], "bags")                   # BuildSummary, as `preservation build`
    reports = api.validate(["bags"], profile="profiles/state-archive.yaml")
    assert all(report.valid for report in reports)
    result = api.fixity_run(["bags"], "fixity.sqlite")         # RunResult, as `preservation fixity run`
    api.export(["bags"], "transfer")                           # ExportResult, as `preservation export`
    assert api.verify_transfer("transfer").ok

Paths may be `str` or `Path`; a profile may be a loaded `Profile`, the path of a YAML profile, or None for
the default profile shipped with the package. Bad input raises `PreservationError` (the one family of
errors: `ProfileError`, `ReleaseError`, `BagError`, `ExportError`, `FixityError`, …) with the file and the
problem; everything else a command reports comes back in the result, as in its JSON output.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from preservation.errors import PreservationError
from preservation.profile import Profile

if TYPE_CHECKING:
    from preservation.build import BuildSummary
    from preservation.export.api import ExportResult
    from preservation.export.verify import TransferReport
    from preservation.fixity.api import RunResult
    from preservation.release.model import ReadFailure, Release, Skipped
    from preservation.validate.api import BagReport
    from preservation.validate.scan import Mode

__all__ = [
    "PreservationError",
    "build",
    "export",
    "fixity_run",
    "inspect",
    "validate",
    "verify_transfer",
]

ProfileLike = Profile | str | Path | None


def _profile(profile: ProfileLike) -> Profile:
    if isinstance(profile, Profile):
        return profile
    from preservation.profile import load_profile

    return load_profile(profile)


def inspect(
    sources: Iterable[str | Path], profile: ProfileLike = None
) -> list[Release | ReadFailure | Skipped]:
    """What the tool understands of each release under `sources`, as `preservation inspect` shows it."""
    from preservation.release import read_sources

    return list(read_sources([Path(source) for source in sources], _profile(profile)))


def build(
    sources: Iterable[str | Path], out: str | Path, profile: ProfileLike = None, **options: Any
) -> BuildSummary:
    """A bag per release under `out`; `options` as `preservation.build.build_bags` takes them (jobs,
    replace, strict, corrections, …). Never raises for a bad release: it is an outcome of the summary."""
    from preservation.build import build_bags

    return build_bags([Path(source) for source in sources], Path(out), _profile(profile), **options)


def validate(
    paths: Sequence[str | Path],
    profile: ProfileLike = None,
    *,
    bagit_profile: str | Path | None = None,
    mode: Mode = "full",
    cross_check: bool = False,
    jobs: int = 1,
) -> list[BagReport]:
    """A report per bag that `paths` name (bag folders, serialized bags, folders of bags). With neither
    `profile` nor `bagit_profile`, RFC 8493 only — unlike the other functions, no default profile applies,
    as for `preservation validate`."""
    from preservation.validate.api import validate_paths
    from preservation.validate.profile_rules import load_bagit_profile, rules_from_profile

    if profile is not None and bagit_profile is not None:
        raise PreservationError(None, "give a profile or a BagIt profile, not both")
    rules = (
        rules_from_profile(_profile(profile))
        if profile is not None
        else load_bagit_profile(Path(bagit_profile))
        if bagit_profile is not None
        else None
    )
    return list(validate_paths([Path(path) for path in paths], mode, rules, cross_check, jobs))


def fixity_run(roots: Sequence[str | Path], ledger: str | Path, **options: Any) -> RunResult:
    """Register the bags under `roots` in `ledger` and check those due; `options` as
    `preservation.fixity.api.run_fixity` takes them (check_all, older_than, jobs, …)."""
    from preservation.fixity.api import run_fixity

    return run_fixity([Path(root) for root in roots], Path(ledger), **options)


def export(
    bags: Sequence[str | Path],
    out: str | Path,
    profile: ProfileLike = None,
    *,
    format: str = "bagit",
    serialization: str | None = None,
    xdomea_version: str | None = None,
    jobs: int = 1,
) -> ExportResult:
    """Validate every bag `bags` name (bag folders, or folders of them) and export the valid ones into `out`
    in `format` (bagit, xdomea); invalid bags are in the result's `rejected`."""
    from preservation.export import bag_folders
    from preservation.export.formats import ExportOptions
    from preservation.export.formats import export as export_format

    options = ExportOptions(serialization=serialization, xdomea_version=xdomea_version)
    folders = bag_folders([Path(bag) for bag in bags])
    return export_format(format, folders, Path(out), _profile(profile), options, jobs=jobs)


def verify_transfer(folder: str | Path, profile: ProfileLike = None) -> TransferReport:
    """What the archive runs on arrival: the transfer folder against its manifest, every bag validated."""
    from preservation.export import verify_transfer as verify

    return verify(Path(folder), _profile(profile))
