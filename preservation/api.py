"""The library's front door: what each command does, callable from Python with the same results.

    from preservation import api

    summary = api.build(["samples"], "bags")                   # BuildSummary, as `preservation build`
    reports = api.validate(["bags"], profile="profiles/state-archive.yaml")
    assert all(report.valid for report in reports)
    result = api.fixity_run(["bags"], "fixity.sqlite")         # RunResult, as `preservation fixity run`
    api.export(["bags"], "transfer")                           # ExportResult, as `preservation export`
    assert api.verify_transfer("transfer").ok

The command line is built on these functions (tests/cli/test_facade.py keeps it so); the README's "From
Python" section lists them. So are the names the results are read with (`_VOCABULARY`: the statuses of a
build, the result and error types, the options' defaults), each loaded with its module when first used:
importing the facade costs a command's start nothing. Paths may be `str` or `Path`; a profile may be a
loaded `Profile`, the path of a YAML profile, or None for the default profile shipped with the package. Bad
input raises `PreservationError` (the one family of errors: `ProfileError`, `ReleaseError`, `BagError`,
`ExportError`, `FixityError`, …) with the file and the problem; everything else a command reports comes
back in the result, as in its JSON output.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from preservation.display import shown
from preservation.errors import PreservationError

if TYPE_CHECKING:
    from datetime import timedelta

    from preservation.bagit.parse import TAG_FILE_LIMIT
    from preservation.build import STATUSES as BUILD_STATUSES
    from preservation.build import BuildOutcome, BuildSummary
    from preservation.export.api import ExportResult, Outcome, Rejected
    from preservation.export.verify import TransferReport
    from preservation.fixity.alarms import Alarm
    from preservation.fixity.api import BagHistory, RunResult
    from preservation.fixity.model import OUTCOMES as FIXITY_OUTCOMES
    from preservation.fixity.model import FixityError, utc_now
    from preservation.fixity.model import Outcome as FixityOutcome
    from preservation.fixity.model import Problem as FixityProblem
    from preservation.fixity.repair import RepairResult
    from preservation.fixity.report import StatusSummary
    from preservation.fixity.schedule import DEFAULT_PERIOD, Budget
    from preservation.profile import Profile
    from preservation.release.corrections import Corrections
    from preservation.release.identity import Duplicate
    from preservation.release.model import ReadFailure, Release, Skipped
    from preservation.validate.api import BagReport
    from preservation.validate.findings import Finding
    from preservation.validate.profile_rules import ProfileRules
    from preservation.validate.scan import Mode

__all__ = [
    "BUILD_STATUSES",
    "DEFAULT_PERIOD",
    "FIXITY_OUTCOMES",
    "TAG_FILE_LIMIT",
    "Budget",
    "FixityError",
    "FixityProblem",
    "PreservationError",
    "ReadFailure",
    "Rejected",
    "Release",
    "Skipped",
    "bagit_profile",
    "build",
    "export",
    "fixity_attention",
    "fixity_history",
    "fixity_repair",
    "fixity_report",
    "fixity_run",
    "fixity_status",
    "fixity_worst",
    "inspect",
    "inspect_csv",
    "load_profile",
    "rejection_reason",
    "utc_now",
    "validate",
    "verify_transfer",
]

_VOCABULARY = {
    "BUILD_STATUSES": ("preservation.build", "STATUSES"),
    "Release": ("preservation.release.model", "Release"),
    "ReadFailure": ("preservation.release.model", "ReadFailure"),
    "Skipped": ("preservation.release.model", "Skipped"),
    "TAG_FILE_LIMIT": ("preservation.bagit.parse", "TAG_FILE_LIMIT"),
    "Rejected": ("preservation.export", "Rejected"),
    "FIXITY_OUTCOMES": ("preservation.fixity.model", "OUTCOMES"),
    "FixityError": ("preservation.fixity.model", "FixityError"),
    "FixityProblem": ("preservation.fixity.model", "Problem"),
    "utc_now": ("preservation.fixity.model", "utc_now"),
    "Budget": ("preservation.fixity.schedule", "Budget"),
    "DEFAULT_PERIOD": ("preservation.fixity.schedule", "DEFAULT_PERIOD"),
}
"""The names the results are read with, by the module that defines each: `BUILD_STATUSES` (a build
outcome's statuses, in the order of the catalogue's cli.build.statuses), `Release`, `ReadFailure` and
`Skipped` (what `inspect` returns), `TAG_FILE_LIMIT` (`validate`'s default), `Rejected` (a bag `export`
left out), `FIXITY_OUTCOMES`, `FixityError`, `FixityProblem`, `utc_now` (the ledger's clock), `Budget` and
`DEFAULT_PERIOD` (the options of `fixity_run`)."""


def __getattr__(name: str) -> Any:
    if name not in _VOCABULARY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = _VOCABULARY[name]
    return getattr(importlib.import_module(module), attribute)


ProfileLike: TypeAlias = "Profile | str | Path | None"
"""A profile as an object, the path of a YAML profile, or None for the default shipped with the package."""


def _profile(profile: ProfileLike) -> Profile:
    # Imported here: a command that needs no profile (validate without one) need not load profiles.
    from preservation.profile import Profile, load_profile

    return profile if isinstance(profile, Profile) else load_profile(profile)


def load_profile(profile: ProfileLike = None) -> Profile:
    """A profile by object, YAML path or None (the default shipped with the package); ProfileError if bad."""
    return _profile(profile)


def bagit_profile(profile: ProfileLike = None) -> dict[str, Any]:
    """The profile as BagIt Profile 1.4.0 JSON, as `preservation profile export` prints it."""
    from preservation.bagit_profile import export_bagit_profile

    return export_bagit_profile(_profile(profile))


def inspect(
    sources: Iterable[str | Path], profile: ProfileLike = None
) -> list[Release | ReadFailure | Skipped]:
    """What the tool understands of each release under `sources`, as `preservation inspect` shows it: the
    releases told apart as a build into an empty folder would (shared identifiers suffixed, a duplicate
    carrying its finding), then the sources that could not be read, then those skipped."""
    from preservation.release import read_sources
    from preservation.release.identity import distinguish
    from preservation.release.model import ReadFailure, Release, Skipped

    results = list(read_sources([Path(source) for source in sources], _profile(profile)))
    told = distinguish(r for r in results if isinstance(r, Release))
    releases: list[Release | ReadFailure | Skipped] = [
        _as_release(r) for r in told if not isinstance(r, ReadFailure)
    ]
    failures = [r for r in [*results, *told] if isinstance(r, ReadFailure)]
    return [*releases, *failures, *[r for r in results if isinstance(r, Skipped)]]


def _as_release(item: Release | Duplicate) -> Release:
    import dataclasses

    from preservation.release.model import Release

    if isinstance(item, Release):
        return item
    return dataclasses.replace(item.release, warnings=(*item.release.warnings, item.finding))


def inspect_csv(releases: Sequence[Release]) -> bytes:
    """The releases as `inspect --format csv` writes them (UTF-8 with BOM, ';'), to edit and give back as
    `build(corrections=…)`."""
    from preservation.release.corrections import inspect_csv as render

    return render(releases)


def build(
    sources: Iterable[str | Path],
    out: str | Path,
    profile: ProfileLike = None,
    *,
    jobs: int = 1,
    replace: bool = False,
    strict: bool = False,
    corrections: Corrections | str | Path | None = None,
    corrected_by: str | None = None,
    environ: Mapping[str, str] | None = None,
    on_planned: Callable[[int], None] | None = None,
    on_outcome: Callable[[BuildOutcome], None] | None = None,
) -> BuildSummary:
    """A bag per release under `out`, as `preservation build` (see `preservation.build.build_bags`).
    `corrections`: read or the path of a CSV/YAML file; a file that does not fit, or a `corrected_by` not
    of one line, raises before anything is built. A bad release is an outcome of the summary."""
    from preservation.build import build_bags
    from preservation.release.corrections import Corrections, read_corrections, uncarried

    if corrected_by is not None and (not corrected_by.strip() or uncarried(corrected_by)):
        # Worded as the command's option: the CLI passes this message on as it is.
        raise PreservationError(
            None, f"--corrected-by {shown(corrected_by)!r}: a name of one line is expected"
        )
    read = (
        corrections
        if corrections is None or isinstance(corrections, Corrections)
        else read_corrections(Path(corrections))
    )
    return build_bags(
        [Path(source) for source in sources],
        Path(out),
        _profile(profile),
        jobs=jobs,
        environ=environ,
        replace=replace,
        on_planned=on_planned,
        on_outcome=on_outcome,
        strict=strict,
        corrections=read,
        corrected_by=corrected_by,
    )


def validate(
    paths: Sequence[str | Path],
    profile: ProfileLike = None,
    *,
    bagit_profile: str | Path | None = None,
    mode: Mode = "full",
    cross_check: bool = False,
    jobs: int = 1,
    containing: bool = False,
    tag_file_limit: int | None = None,
    on_planned: Callable[[int], None] | None = None,
    on_bag: Callable[[Path], None] | None = None,
) -> list[BagReport]:
    """A report per bag that `paths` name (bag folders, serialized bags, folders of bags), as `preservation
    validate`. With neither `profile` nor `bagit_profile`, RFC 8493 only — unlike the other functions, no
    default profile applies. `containing`: `paths` are files; each bag holding one is validated once.
    `on_planned` hears the number of bags found, `on_bag` each bag once validated."""
    from preservation.bagit.parse import TAG_FILE_LIMIT
    from preservation.validate.api import bags_holding, discover, validate_bag

    if profile is not None and bagit_profile is not None:
        raise PreservationError(None, "give a profile or a BagIt profile, not both")
    rules = _rules(profile, bagit_profile)
    named = [Path(path) for path in paths]
    bags = bags_holding(named) if containing else discover(named)
    if on_planned is not None:
        on_planned(len(bags))
    limit = TAG_FILE_LIMIT if tag_file_limit is None else tag_file_limit
    reports = []
    for bag in bags:
        reports.append(validate_bag(bag, mode, rules, cross_check, jobs, tag_file_limit=limit))
        if on_bag is not None:
            on_bag(bag)
    return reports


def _rules(profile: ProfileLike, bagit_profile: str | Path | None) -> ProfileRules | None:
    # Imported by branch: a bag checked against RFC 8493 only loads no profile module.
    if profile is not None:
        from preservation.validate.profile_rules import rules_from_profile

        return rules_from_profile(_profile(profile))
    if bagit_profile is not None:
        from preservation.validate.profile_rules import load_bagit_profile

        return load_bagit_profile(Path(bagit_profile))
    return None


def fixity_run(roots: Sequence[str | Path], ledger: str | Path, **options: Any) -> RunResult:
    """Register the bags under `roots` in `ledger` and check those due; `options` as
    `preservation.fixity.api.run_fixity` takes them (check_all, older_than, budget, jobs, dask_address,
    on_planned, on_checked, …)."""
    from preservation.fixity.api import run_fixity

    return run_fixity([Path(root) for root in roots], Path(ledger), **options)


def fixity_status(ledger: str | Path, *, older_than: timedelta | None = None) -> StatusSummary:
    """The ledger's counts by outcome and age, as `preservation fixity status`."""
    from preservation.fixity.api import status

    return status(Path(ledger), period=_period(older_than))


def fixity_attention(
    ledger: str | Path, *, older_than: timedelta | None = None, overdue: bool = False
) -> tuple[Alarm, ...]:
    """The bags that need attention (failing, in error, with `overdue` also those not checked in time)."""
    from preservation.fixity.api import attention

    return attention(Path(ledger), period=_period(older_than), overdue=overdue)


def fixity_history(bag: str | Path, ledger: str | Path) -> BagHistory:
    """Every check, move and repair the ledger holds for `bag`, as `preservation fixity history`."""
    from preservation.fixity.api import history

    return history(str(bag), Path(ledger))


def fixity_repair(
    bag: str | Path, ledger: str | Path, *, source: str | Path | None = None, dry_run: bool = False
) -> RepairResult:
    """Restore a failing bag's damaged files from a replica that verifies, as `preservation fixity repair`."""
    from preservation.fixity.api import repair_bag

    return repair_bag(
        str(bag), Path(ledger), source=None if source is None else Path(source), dry_run=dry_run
    )


def fixity_report(ledger: str | Path, out: str | Path, **options: Any) -> None:
    """The ledger's HTML report into `out`; `options` as `preservation.fixity.api.write_report` takes them."""
    from preservation.fixity.api import write_report

    write_report(Path(ledger), Path(out), **options)


def _period(older_than: timedelta | None) -> timedelta:
    from preservation.fixity.schedule import DEFAULT_PERIOD

    return DEFAULT_PERIOD if older_than is None else older_than


def fixity_worst(alarms: Sequence[Alarm]) -> FixityOutcome:
    """The worst of `alarms` as an outcome (fail, else error, else pass): what `fixity status` exits with."""
    from preservation.fixity.alarms import worst

    return worst(alarms)


def export(
    bags: Sequence[str | Path],
    out: str | Path,
    profile: ProfileLike = None,
    *,
    format: str = "bagit",
    serialization: str | None = None,
    xdomea_version: str | None = None,
    jobs: int = 1,
    on_planned: Callable[[int], None] | None = None,
    on_progress: Callable[[Outcome], None] | None = None,
) -> ExportResult:
    """Validate every bag `bags` name (bag folders, or folders of them) and export the valid ones into `out`
    in `format` (bagit, xdomea, eark-sip); invalid bags are in the result's `rejected`. `on_planned` hears
    the number of bags once the format and the profile are known to fit, before any is exported;
    `on_progress` each bag's outcome."""
    from preservation.export import bag_folders
    from preservation.export.formats import ExportOptions, get_format
    from preservation.export.formats import export as export_format

    loaded = _profile(profile)
    options = ExportOptions(serialization=serialization, xdomea_version=xdomea_version)
    folders = bag_folders([Path(bag) for bag in bags])
    get_format(format, options).check(loaded, options)  # refused before anything is planned
    if on_planned is not None:
        on_planned(len(folders))
    return export_format(format, folders, Path(out), loaded, options, on_progress=on_progress, jobs=jobs)


def rejection_reason(item: Finding, language: str = "en") -> str:
    """One reason of a bag `export` left out (`Rejected.reasons`) in one line: ``[code] file: message``."""
    from preservation.export.admission import reason

    return reason(item, language)


def verify_transfer(
    folder: str | Path, profile: ProfileLike = None, *, on_file: Callable[[str], None] | None = None
) -> TransferReport:
    """What the archive runs on arrival: the transfer folder against its manifest, every bag validated;
    `on_file` hears each file's name as it is verified."""
    from preservation.export import verify_transfer as verify

    return verify(Path(folder), _profile(profile), on_file=on_file)
