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
    from preservation.fixity.defaults import DEFAULT_PERIOD, DEFAULT_ZONE
    from preservation.fixity.model import OUTCOMES as FIXITY_OUTCOMES
    from preservation.fixity.model import FixityError, utc_now
    from preservation.fixity.model import Outcome as FixityOutcome
    from preservation.fixity.model import Problem as FixityProblem
    from preservation.fixity.repair import RepairResult
    from preservation.fixity.report import StatusSummary
    from preservation.fixity.schedule import Budget
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
    "DEFAULT_ZONE",
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
    "DEFAULT_PERIOD": ("preservation.fixity.defaults", "DEFAULT_PERIOD"),
    "DEFAULT_ZONE": ("preservation.fixity.defaults", "DEFAULT_ZONE"),
}
"""The names the results are read with, by the module that defines each: `BUILD_STATUSES` (a build
outcome's statuses, in the order of the catalogue's cli.build.statuses), `Release`, `ReadFailure` and
`Skipped` (what `inspect` returns), `TAG_FILE_LIMIT` (`validate`'s default), `Rejected` (a bag `export`
left out), `FIXITY_OUTCOMES`, `FixityError`, `FixityProblem`, `utc_now` (the ledger's clock), `Budget` and
`DEFAULT_PERIOD` (the options of `fixity_run`), `DEFAULT_ZONE` (the time zone of `fixity_report`)."""


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
    """A profile, loaded and checked against the profile schema.

    Arguments: `profile`, a `Profile` (returned as it is), the path of a YAML profile, or None for the
    default profile shipped with the package.
    Returns: the `Profile`.
    Raises: ProfileError naming the file, for a profile that cannot be read or breaks the schema.
    """
    return _profile(profile)


def bagit_profile(profile: ProfileLike = None) -> dict[str, Any]:
    """The profile as BagIt Profile 1.4.0 JSON, as `preservation profile export` prints it.

    Arguments: `profile` as for `load_profile`.
    Returns: the BagIt Profile as a JSON-ready dict.
    Raises: ProfileError for a bad profile.
    """
    from preservation.bagit_profile import export_bagit_profile

    return export_bagit_profile(_profile(profile))


def inspect(
    sources: Iterable[str | Path], profile: ProfileLike = None
) -> list[Release | ReadFailure | Skipped]:
    """What the tool understands of each release under `sources`, as `preservation inspect` shows it.

    Arguments: `sources`, release documents, release folders or collection folders (searched
    recursively); `profile` as for `load_profile` (its release patterns and notice).
    Returns: the releases told apart as a build into an empty folder would (shared identifiers suffixed, a
    duplicate carrying its finding), then a `ReadFailure` for each source that could not be read, then a
    `Skipped` for each file or folder passed by.
    Raises: ProfileError for a bad profile; a source that cannot be read is a `ReadFailure`, not an error.
    """
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
    """The releases as `inspect --format csv` writes them, to edit and give back as `build(corrections=…)`.

    Arguments: `releases`, as `inspect` returns them (its `Release` items).
    Returns: the CSV file's bytes: UTF-8 with BOM, ';' between columns, as German Excel opens it.
    """
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

    Arguments: `sources` as for `inspect`; `out`, the output folder (created if missing); `profile` as for
    `load_profile`; `jobs`, worker processes; `replace`, rebuild a release whose bag exists (the old bag
    is kept, not deleted); `strict`, a release with warnings fails; `corrections`, read (`Corrections`)
    or the path of a CSV/YAML corrections file, with `corrected_by` the archivist named in the PREMIS
    event; `environ` for SOURCE_DATE_EPOCH (reproducible bags); `on_planned` hears the number of
    releases, `on_outcome` each release's outcome as it is known.
    Returns: a `BuildSummary`: an outcome per release (built, replaced, up-to-date, duplicate, conflict,
    failed or skipped), `ok` when none failed or conflicted. A bad release is an outcome, not an error.
    Raises: ProfileError for a bad profile; CorrectionsError for a corrections file that does not fit, or
    PreservationError for a `corrected_by` not of one line, before anything is built; BagError for an
    output folder that cannot be used (a file in the way, another run writing into it).
    """
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
    """A report per bag that `paths` name, as `preservation validate`.

    Arguments: `paths`, bag folders, serialized bags (.tar, .tar.gz, .tgz, .zip) or folders of bags;
    `profile` as for `load_profile`, or `bagit_profile` the path of a BagIt Profile JSON file (with
    neither, RFC 8493 only: unlike the other functions, no default profile applies); `mode`, "full",
    "fast" (Payload-Oxum only) or "completeness" (no hashing); `cross_check`, also ask bagit-python;
    `jobs`, hashing processes; `containing`, `paths` are files and each bag holding one is validated
    once; `tag_file_limit`, the largest tag file read, in bytes; `on_planned` hears the number of bags
    found, `on_bag` each bag once validated.
    Returns: a `BagReport` per bag, in the order found: its findings (code, severity, path, message) and
    `valid` (no errors) / `passes(strict)`. An invalid bag is a report, not an error.
    Raises: PreservationError when both profiles are given; ProfileError for a bad profile; BagError for a
    path that is a link, or neither a bag nor a folder holding bags.
    """
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
    """Register the bags under `roots` in `ledger` and check those due, as `preservation fixity run`.

    Arguments: `roots`, folders searched for bags; `ledger`, the SQLite ledger (created if missing);
    `options` as `preservation.fixity.api.run_fixity` takes them (check_all, older_than, budget,
    time_budget, jobs, dask_address, dask_local, fail_on_overdue, on_planned, on_checked).
    Returns: a `RunResult`: the checks made, with their outcomes, and the alarms (bags failing or in error
    afterwards; with fail_on_overdue also those not checked in time).
    Raises: FixityError for a root that is missing or unreadable, or a ledger that cannot be used.
    """
    from preservation.fixity.api import run_fixity

    return run_fixity([Path(root) for root in roots], Path(ledger), **options)


def fixity_status(ledger: str | Path, *, older_than: timedelta | None = None) -> StatusSummary:
    """The ledger's counts by outcome and age, as `preservation fixity status`.

    Arguments: `ledger`, an existing ledger (opened read only); `older_than`, when a check is overdue
    (default: the schedule's period).
    Returns: a `StatusSummary`.
    Raises: FixityError for a ledger that is missing or cannot be read.
    """
    from preservation.fixity.api import status

    return status(Path(ledger), period=_period(older_than))


def fixity_attention(
    ledger: str | Path, *, older_than: timedelta | None = None, overdue: bool = False
) -> tuple[Alarm, ...]:
    """The bags that need attention, as the alarms of `preservation fixity status` name them.

    Arguments: `ledger`, an existing ledger (opened read only); `older_than` as for `fixity_status`;
    `overdue`, also the bags not checked within it.
    Returns: an `Alarm` per failing bag and bag in error (and overdue bag), with since when, its latest
    problems and its passing replicas.
    Raises: FixityError for a ledger that is missing or cannot be read.
    """
    from preservation.fixity.api import attention

    return attention(Path(ledger), period=_period(older_than), overdue=overdue)


def fixity_history(bag: str | Path, ledger: str | Path) -> BagHistory:
    """Every check, move and repair the ledger holds for `bag`, as `preservation fixity history`.

    Arguments: `bag`, a bag's path or External-Identifier; `ledger`, an existing ledger (read only).
    Returns: a `BagHistory`: the matching bags, their events, moves and repairs.
    Raises: FixityError for a ledger that cannot be read or a bag it does not hold.
    """
    from preservation.fixity.api import history

    return history(str(bag), Path(ledger))


def fixity_repair(
    bag: str | Path, ledger: str | Path, *, source: str | Path | None = None, dry_run: bool = False
) -> RepairResult:
    """Restore a failing bag's damaged files from a replica that verifies, as `preservation fixity repair`.

    Arguments: `bag`, the bag's path as the ledger holds it; `ledger`; `source`, the replica to copy from
    (default: the first of the bag's replicas in the ledger that verifies against its anchor); `dry_run`,
    only say what would be restored (nothing is written, the ledger included).
    Returns: a `RepairResult`: the outcome, the replica used, the files restored and the bag's problems
    after the repair.
    Raises: FixityError for a bag the ledger does not know (or has not anchored) or a `source` that is a
    link or missing; BagError when a file cannot be written.
    """
    from preservation.fixity.api import repair_bag

    return repair_bag(
        str(bag), Path(ledger), source=None if source is None else Path(source), dry_run=dry_run
    )


def fixity_report(ledger: str | Path, out: str | Path, **options: Any) -> None:
    """The ledger's HTML report, written whole or not at all (`durable.write_text`).

    Arguments: `ledger`, an existing ledger (read only); `out`, the HTML file; `options` as
    `preservation.fixity.api.write_report` takes them (period, roots, language, zone, organisation).
    Returns: None.
    Raises: FixityError for a ledger that cannot be read; PreservationError naming `out` when it cannot be
    written.
    """
    from preservation.fixity.api import write_report

    write_report(Path(ledger), Path(out), **options)


def _period(older_than: timedelta | None) -> timedelta:
    from preservation.fixity.defaults import DEFAULT_PERIOD

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
    """Validate every bag `bags` name and export the valid ones into `out`, as `preservation export`.

    Arguments: `bags`, bag folders or folders of them; `out`, the transfer folder (created if missing; an
    interrupted export of the same bags is resumed); `profile` as for `load_profile`; `format`, "bagit",
    "xdomea" or "eark-sip"; `serialization`, for bagit "tar", "tar.gz" or "zip" (default: the profile's);
    `xdomea_version`, "3.0.0" or "3.1.0" (default: the profile's); `jobs`, validating processes;
    `on_planned` hears the number of bags once the format and the profile are known to fit, before any is
    exported; `on_progress` each bag's outcome.
    Returns: an `ExportResult`: the bags exported and those rejected with their findings; `ok` when none
    was rejected.
    Raises: ProfileError for a bad profile; ExportError, before anything is written, for a format or
    serialization the profile does not accept, a path that names no bag, two bags of one name, or an
    output folder holding a finished transfer or other files.
    """
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
    """What the archive runs on arrival, as `preservation verify-transfer`.

    Arguments: `folder`, a transfer folder an export wrote; `profile` as for `load_profile`; `on_file`
    hears each file's name as it is verified.
    Returns: a `TransferReport`: the folder checked against its manifest, every bag validated; `ok` when
    all agree.
    Raises: TransferError for a folder that is no transfer (no manifest, or an export that never
    finished); ProfileError for a bad profile.
    """
    from preservation.export import verify_transfer as verify

    return verify(Path(folder), _profile(profile), on_file=on_file)
