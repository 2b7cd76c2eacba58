"""Build one bag per release: read → plan → copy+hash → metadata (schema-checked) → stage → publish.

Releases are staged in worker processes (`jobs`), each into a temporary folder beside its final place;
the coordinating process publishes finished bags in batches, so one durability step serves many bags.
An existing bag is never touched: the same payload means "up to date", a different one is a conflict.
Before staging, all releases are read and told apart (`preservation.release.identity`): a release read
twice is a duplicate, and different releases that would share a derived identifier get one each.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, get_args

from preservation import SOFTWARE_NAME, __version__
from preservation.bagit.writer import (
    PayloadBytes,
    PayloadItem,
    PayloadRecord,
    SourceFile,
    StagedBag,
    publish,
    stage_bag,
)
from preservation.clock import build_time, clamp, source_date_epoch
from preservation.durable import exclusive_output
from preservation.errors import PreservationError
from preservation.formats import identify_known, identifying_workers, rendition_format
from preservation.hashing import hash_bytes, hash_stream
from preservation.metadata import build_dc, build_mets
from preservation.package.existing import (
    BagsOnDisk,
    bagging_date,
    described,
    keep_as,
    latest_kept,
    predecessor,
    read_manifest,
)
from preservation.package.model import Package, PayloadFile, Predecessor
from preservation.package.plan import NOTICE_FILE, PackagePlan, PlannedFile, plan_package
from preservation.profile import Profile
from preservation.release import read_sources
from preservation.release.corrections import Corrections, apply_corrections, archivist
from preservation.release.identity import Content, Duplicate, distinguish, holds
from preservation.release.model import ReadFailure, Release, Skipped
from preservation.sourcefile import open_regular
from preservation.validate.findings import Finding, finding
from preservation.workers import bounded_jobs, process_pool

Status = Literal["built", "replaced", "up-to-date", "duplicate", "conflict", "failed", "skipped"]
"""`skipped`: an entry of a source that is not read (a link, a special file); a warning, not a failure."""
STATUSES: tuple[Status, ...] = get_args(Status)
"""In the order of the catalogue's cli.build.statuses."""

BATCH = 32
"""Bags made durable together: large enough to share the flush, small enough to publish steadily."""
RELEASES_PER_TASK = 4
"""Releases per worker task: amortises the per-task overhead, small enough to keep both workers busy."""


@dataclass(frozen=True)
class BuildOutcome:
    source: Path
    status: Status
    identifier: str | None = None
    bag: Path | None = None
    message: str | None = None
    warnings: tuple[Finding, ...] = ()
    """What the reader guessed or left out of this release, and what the build decided about its identity
    (family release of the catalogue)."""
    code: str | None = None
    """The finding code (preservation/validate/catalogue.yaml) when the outcome has one."""
    finding: Finding | None = None
    """The finding `message` says, when the build made one: its text in another language."""

    def text(self, language: str = "en") -> str | None:
        """`message` in `language`, as far as the catalogue has it."""
        return self.finding.text(language) if self.finding is not None else self.message


def _said(
    source: Path, status: Status, identifier: str | None, problem: Finding, bag: Path | None = None
) -> BuildOutcome:
    """An outcome whose message is a finding of the catalogue, kept for its text in other languages."""
    return BuildOutcome(source, status, identifier, bag, problem.message, finding=problem)


@dataclass(frozen=True)
class BuildSummary:
    outcomes: tuple[BuildOutcome, ...]
    removed_temporaries: tuple[Path, ...] = field(default=())
    """Temporary folders and files of earlier, killed runs that this run removed."""

    def count(self, status: Status) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status == status)

    @property
    def warning_count(self) -> int:
        return sum(len(outcome.warnings) for outcome in self.outcomes)

    @property
    def ok(self) -> bool:
        return all(outcome.status not in ("conflict", "failed") for outcome in self.outcomes)


@dataclass(frozen=True)
class Staging:
    """How every release of one build is staged: into `out_dir`, by `profile`, dated `created` (files'
    times `mtime`: SOURCE_DATE_EPOCH, or None for the time of writing), with the build's `environ`; with
    `replace`, a changed release replaces its bag. One value, sent to the workers with each task."""

    out_dir: Path
    profile: Profile
    created: datetime
    mtime: int | None
    environ: Mapping[str, str]
    replace: bool = False

    @classmethod
    def of(cls, out_dir: Path, profile: Profile, environ: Mapping[str, str] | None, replace: bool) -> Staging:
        """The settings of a build started now, in `environ` (default: this process's environment)."""
        epoch = source_date_epoch(environ)
        mtime = int(epoch.timestamp()) if epoch is not None else None
        env = dict(os.environ if environ is None else environ)
        return cls(out_dir, profile, build_time(environ), mtime, env, replace)


def build_bags(
    sources: Iterable[Path | str],
    out_dir: Path | str,
    profile: Profile,
    *,
    jobs: int = 1,
    environ: Mapping[str, str] | None = None,
    replace: bool = False,
    on_planned: Callable[[int], None] | None = None,
    on_outcome: Callable[[BuildOutcome], None] | None = None,
    strict: bool = False,
    corrections: Corrections | None = None,
    corrected_by: str | None = None,
) -> BuildSummary:
    """Build a bag under `out_dir` for every release found in `sources`; never raises for bad input.

    `replace`: a release whose source differs from its existing bag gets a new bag, and the old one is
    kept under ``out_dir/.superseded/<identifier>/<bagging-date>/`` (see `preservation.bagit.writer`).
    `strict`: a release the reader or the build had to warn about fails instead of being built.
    `corrections` (`build --corrections`) set fields of the releases read, before they are told apart
    and planned; `corrected_by` names the archivist of rows that name none (default: the login name).
    A corrected release whose bag exists is a conflict unless `replace`.

    `on_planned` hears how many releases will be bagged, `on_outcome` each result as it is known. Raises
    BagError only when `out_dir` itself cannot be used (e.g. another run is writing into it), and
    CorrectionsError, before any bag is staged, when a row of `corrections` names no release read.
    """
    staging = Staging.of(Path(out_dir), profile, environ, replace)
    outcomes: list[BuildOutcome] = []

    def report(outcome: BuildOutcome, release: Release | None = None) -> None:
        if release is not None:
            outcome = dataclasses.replace(outcome, warnings=release.warnings)
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)

    # The output is locked before reading: what it holds takes part in telling releases apart.
    with exclusive_output(staging.out_dir) as removed, _Stager(staging, jobs) as stager:
        # Identities are settled once every release is read: which of two releases sharing an identifier
        # gets a suffix must not depend on which was read first.
        releases = _read(sources, staging, stager, report)
        if corrections is not None:
            releases = apply_corrections(releases, corrections, corrected_by or archivist())
        told_apart = distinguish(releases, BagsOnDisk(staging.out_dir, profile.manifest_algorithms[0]))
        planned = _sort(told_apart, strict, stager, report)
        if on_planned is not None:
            on_planned(planned)
        _stage_and_publish(stager, report)
    return BuildSummary(tuple(sorted(outcomes, key=lambda o: str(o.source))), removed)


Report = Callable[[BuildOutcome, Release | None], None]
"""Hears each outcome as it is known (with the release it concerns, if any)."""


def _read(sources: Iterable[Path | str], staging: Staging, stager: _Stager, report: Report) -> list[Release]:
    """The releases read from `sources`; what is skipped or unreadable is reported. The workers start
    once a task's worth is read."""
    releases: list[Release] = []
    for item in read_sources(sources, staging.profile, skip=[staging.out_dir]):
        if isinstance(item, Skipped):
            report(BuildOutcome(item.path, "skipped", message=item.message, code=item.code), None)
        elif isinstance(item, ReadFailure):
            report(BuildOutcome(item.source, "failed", message=item.message, code=item.code), None)
        else:
            releases.append(item)
            if len(releases) == RELEASES_PER_TASK:
                stager.start()
    return releases


def _sort(
    told_apart: Iterable[Release | Duplicate | ReadFailure], strict: bool, stager: _Stager, report: Report
) -> int:
    """Each release told apart to the stager, or reported (a duplicate, a conflict, a failure); how many
    are to be bagged."""
    claimed: dict[str, Path] = {}
    for told in told_apart:
        if isinstance(told, ReadFailure):
            report(BuildOutcome(told.source, "failed", message=told.message), None)
        elif isinstance(told, Duplicate) and told.release.corrections:
            # Skipping it would drop the archivist's corrections without a word.
            again = told.release
            fields = ", ".join(c.field for c in again.corrections)
            problem = finding("release.duplicate-corrected", other=told.other, fields=fields)
            report(_said(again.source, "conflict", again.identifier, problem), None)
        elif isinstance(told, Duplicate):
            again = told.release
            report(_said(again.source, "duplicate", again.identifier, told.finding), None)
        elif strict and told.warnings:
            problem = finding("release.strict", count=len(told.warnings))
            report(_said(told.source, "failed", told.identifier, problem), told)
        elif told.identifier in claimed:
            report(_taken(told, claimed[told.identifier]), told)
        else:
            claimed[told.identifier] = told.source
            stager.add(told)
    return len(claimed)


def _stage_and_publish(stager: _Stager, report: Report) -> None:
    """The staged bags published BATCH at a time as they come; what could not be staged is reported."""
    pending: list[tuple[StagedBag, Release]] = []
    for release, result in stager.results():
        if isinstance(result, BuildOutcome):
            report(result, release)
            continue
        pending.append((result, release))
        if len(pending) >= BATCH:
            _publish(pending, report)
            pending = []
    _publish(pending, report)


def _taken(release: Release, first: Path) -> BuildOutcome:
    problem = finding("release.number-taken", identifier=release.identifier, other=first)
    return _said(release.source, "conflict", release.identifier, problem)


Staged = tuple[Release, StagedBag | BuildOutcome]


class _Stager:
    """Stages releases: inline for one job (or one release), else in a process pool.

    Releases go to the workers RELEASES_PER_TASK at a time, which amortises pickling the profile and the
    round trip. The caller starts the pool once it has read a task's worth, so that the workers start up
    (the first pool of a process is slow to start, benchmarks/README.md) while it reads the rest.
    """

    def __init__(self, staging: Staging, jobs: int) -> None:
        self._staging = staging
        self._jobs = bounded_jobs(jobs)
        self._chunk: list[Release] = []
        self._pool: ProcessPoolExecutor | None = None
        self._futures: dict[Future[list[StagedBag | BuildOutcome]], list[Release]] = {}

    def __enter__(self) -> _Stager:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def start(self) -> None:
        """Start the workers now, if there are to be any: one idle task each makes the pool spawn them."""
        if self._jobs > 1 and self._pool is None:
            with identifying_workers():
                self._pool = process_pool(self._jobs)
                for _ in range(self._jobs):
                    self._pool.submit(os.getpid)

    def add(self, release: Release) -> None:
        self._chunk.append(release)
        if self._jobs > 1 and len(self._chunk) >= RELEASES_PER_TASK:
            self._submit(self._chunk)
            self._chunk = []

    def results(self) -> Iterator[Staged]:
        """Each release with its staged bag or outcome, in the order they finish."""
        rest, self._chunk = self._chunk, []
        if self._pool is None and (self._jobs <= 1 or len(rest) <= 1):
            for release in rest:
                yield release, stage_release(release, self._staging)
            return
        # The last releases are spread over all workers rather than left in one chunk.
        for n in range(self._jobs):
            if rest[n :: self._jobs]:
                self._submit(rest[n :: self._jobs])
        # Each chunk's results are let go of once handed on (as_completed drops the futures it has
        # yielded): a long run must not keep them all.
        for future in as_completed(list(self._futures)):
            yield from zip(self._futures.pop(future), future.result(), strict=True)

    def _submit(self, releases: list[Release]) -> None:
        self.start()
        assert self._pool is not None
        self._futures[self._pool.submit(stage_chunk, releases, self._staging)] = releases


def stage_chunk(releases: list[Release], staging: Staging) -> list[StagedBag | BuildOutcome]:
    """`stage_release` for several releases: one worker task. The releases are not sent back: the caller
    has them, and unpickling copies would cost it time and memory."""
    return [stage_release(release, staging) for release in releases]


def _publish(
    pending: list[tuple[StagedBag, Release]], report: Callable[[BuildOutcome, Release], None]
) -> None:
    if not pending:
        return
    sources = {staged.result.path: release for staged, release in pending}
    published = publish([staged for staged, _ in pending])
    replacing = {staged.result.path: staged.retire for staged, _ in pending if staged.retire is not None}
    for result in published.bags:
        release = sources[result.path]
        if result.path in replacing:
            kept = finding("release.replaced", kept=replacing[result.path])
            report(_said(release.source, "replaced", release.identifier, kept, result.path), release)
        else:
            report(BuildOutcome(release.source, "built", release.identifier, result.path), release)
    for failure in published.failures:
        target = Path(failure.source or "")
        release = sources[target]
        report(BuildOutcome(release.source, "failed", release.identifier, message=failure.message), release)


def stage_release(release: Release, staging: Staging) -> StagedBag | BuildOutcome:
    """Stage one release's bag, or say why not (up to date, conflict, failure). Runs in a worker.

    A bag that replaces another records it in its METS: the bag now in place (to be kept when this one
    is published), or else the newest kept version, as when a replacement was killed half way.
    """
    out_dir, profile, environ = staging.out_dir, staging.profile, staging.environ
    target = out_dir / release.identifier
    try:
        plan = plan_package(release, profile, staging.created)
        retire: Path | None = None
        replaces: Predecessor | None
        if os.path.lexists(target):
            outcome = _compare_existing(plan, target, profile)
            if not (staging.replace and outcome.status == "conflict" and (target / "bagit.txt").is_file()):
                return outcome
            retire = keep_as(out_dir, release.identifier, bagging_date(target))
            replaces = predecessor(target, retire, out_dir)
        else:
            replaces = latest_kept(out_dir, release.identifier)
        return stage_bag(
            target,
            [_payload_item(planned, release.top) for planned in plan.payload],
            plan.bag_info,
            manifest_algorithms=profile.manifest_algorithms,
            tagmanifest_algorithms=profile.tagmanifest_algorithms,
            tag_files=lambda records, staged: _tag_files(plan, profile, records, staged, environ, replaces),
            mtime=staging.mtime,
            retire=retire,
        )
    except PreservationError as exc:
        return BuildOutcome(
            _at_fault(release, exc), "failed", release.identifier, message=exc.message, code=exc.code
        )
    except OSError as exc:
        name = exc.filename or release.source
        return BuildOutcome(release.source, "failed", release.identifier, message=f"{name}: {exc.strerror}")


def _at_fault(release: Release, error: PreservationError) -> Path:
    """The attachment, or folder of attachments, an error is about; else the release document."""
    if error.source and release.root is not None:
        path = Path(error.source)
        if release.root in path.parents and any(path == a or path in a.parents for a in release.attachments):
            return path
    return release.source


def _payload_item(planned: PlannedFile, below: Path | None) -> PayloadItem:
    if planned.content is not None:
        return PayloadBytes(planned.content, planned.path)
    assert planned.source is not None
    return SourceFile(planned.source, planned.path, below)


def _tag_files(
    plan: PackagePlan,
    profile: Profile,
    records: tuple[PayloadRecord, ...],
    staged: Path,
    environ: Mapping[str, str],
    replaces: Predecessor | None,
) -> dict[str, bytes]:
    by_path = {planned.path: planned for planned in plan.payload}
    payload = tuple(
        _payload_file(by_path[record.path], record, staged, plan.created, environ) for record in records
    )
    package = Package(
        release=plan.release,
        profile=profile,
        created=plan.created,
        payload=payload,
        software=SOFTWARE_NAME,
        software_version=__version__,
        replaces=replaces,
    )
    source_mime = payload[0].format.mime
    return {
        NOTICE_FILE: plan.notice,
        "metadata/dc.xml": build_dc(plan.release, profile, source_mime),
        "metadata/mets.xml": build_mets(package),
    }


def _payload_file(
    planned: PlannedFile, record: PayloadRecord, staged: Path, made: datetime, environ: Mapping[str, str]
) -> PayloadFile:
    if planned.source is None:
        fmt, created = rendition_format(), made
    else:
        assert record.mtime is not None  # the writer records it for every copied file
        # The copy is identified, not the source: the bytes in the bag, and no second open of the source.
        fmt = identify_known(staged / record.path, record.size, record.digests)
        created = clamp(datetime.fromtimestamp(record.mtime, UTC), environ)
    return PayloadFile(
        path=record.path,
        role=planned.role,
        original_name=planned.original_name,
        size=record.size,
        digests=record.digests,
        format=fmt,
        created=created,
        derived_from=planned.derived_from,
    )


def _digest(planned: PlannedFile, algorithm: str, below: Path | None) -> str:
    if planned.content is not None:
        return hash_bytes(planned.content, [algorithm]).values[algorithm]
    assert planned.source is not None
    with open_regular(planned.source, below) as stream:
        return hash_stream(stream, [algorithm]).values[algorithm]


def _corrected_since(release: Release, target: Path, profile: Profile) -> BuildOutcome | None:
    """A conflict when corrections of this run differ from the metadata of the bag holding the release;
    None when there are none, or the bag already carries them (corrected by an earlier run)."""
    if not release.corrections:
        return None
    try:
        recorded = described(target)
    except OSError as exc:
        problem = finding("release.bag-unreadable", bag=target, file="metadata/dc.xml", reason=exc.strerror)
        return _said(release.source, "conflict", release.identifier, problem, target)
    now = {
        "title": release.title,
        "issued": release.issued.isoformat(),
        "author": release.author,
        "place": release.place or profile.place,
    }
    differing = [c.field for c in release.corrections if recorded.get(c.field) != now[c.field]]
    if not differing:
        return None
    problem = finding("release.corrected-bag-exists", fields=", ".join(differing), bag=target)
    return _said(release.source, "conflict", release.identifier, problem, target)


def _compare_existing(plan: PackagePlan, target: Path, profile: Profile) -> BuildOutcome:
    """Up to date when the existing bag holds the release's document and attachments (under their names;
    files the tool derives may differ, made by an earlier version); a duplicate when it holds the same
    bytes under another document name; a conflict otherwise."""
    release = plan.release
    algorithm = profile.manifest_algorithms[0]
    try:
        existing = read_manifest(target, algorithm)
    except OSError as exc:
        problem = finding(
            "release.bag-unreadable", bag=target, file=f"manifest-{algorithm}.txt", reason=exc.strerror
        )
        return _said(release.source, "conflict", release.identifier, problem, target)
    planned = {f.path: _digest(f, algorithm, release.top) for f in plan.payload}
    document = next(f.path for f in plan.payload if f.role == "source")
    attachments = {f.path: planned[f.path] for f in plan.payload if f.role == "attachment"}
    renditions = sum(1 for f in plan.payload if f.role == "rendition")
    held = Content(planned[document], attachments)
    held_as = None if planned == existing else holds(existing, held, renditions)
    if planned == existing or held_as == document:
        up_to_date = BuildOutcome(release.source, "up-to-date", release.identifier, target)
        return _corrected_since(release, target, profile) or up_to_date
    if held_as is not None:
        problem = finding("release.duplicate-bagged", bag=target, document=held_as)
        duplicate = _said(release.source, "duplicate", release.identifier, problem, target)
        return _corrected_since(release, target, profile) or duplicate
    changed = sorted(p for p in planned.keys() & existing.keys() if planned[p] != existing[p])
    added = sorted(planned.keys() - existing.keys())
    gone = sorted(existing.keys() - planned.keys())
    details = "; ".join(
        f"{label}: {', '.join(paths)}"
        for label, paths in (("changed", changed), ("new", added), ("no longer in source", gone))
        if paths
    )
    problem = finding("release.conflict", source=release.source, bag=target, details=details)
    return _said(release.source, "conflict", release.identifier, problem, target)
