"""Export validated bags into a transfer folder: one deterministic file per bag, then list, manifest, README.

Resume rather than refuse: an interrupted export leaves its progress journal, and re-running with the same
bags (same settings) keeps every bag file already under its final name — its digests are in the journal —
and exports the rest. A complete transfer folder (its manifest-sha512.txt exists) is never written to again.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from preservation.bagit import locate
from preservation.clock import source_date_epoch
from preservation.durable import exclusive_output, fsync_dir
from preservation.errors import BagError, PreservationError
from preservation.export.admission import Admission, Witness, admit
from preservation.export.facts import read_facts
from preservation.export.files import make_durable, place, stage_file, write_file
from preservation.export.journal import Entry, Journal, JournalWriter, Settings, read_journal
from preservation.export.serialize import list_members, root_problem, serialize
from preservation.export.transfer import (
    FIXED_FILES,
    JOURNAL,
    MANIFEST,
    README,
    TRANSFER_LIST,
    TransferItem,
    render_readme,
    render_transfer_list,
    render_transfer_manifest,
    sort_items,
)
from preservation.profile import Profile
from preservation.serialization import SERIALIZATIONS, SUFFIX, Serialization, accepts
from preservation.validate.findings import Finding, finding
from preservation.validate.profile_rules import ProfileRules, rules_from_profile
from preservation.workers import bounded_jobs, map_ahead, process_pool

BATCH = 32
"""Bag files made durable together: one syncfs and one journal fsync per batch rather than per file."""
BATCH_BYTES = 64 << 20
"""…or fewer, so that a kill loses little finished work: a batch ends at this size, and before a bag file
this large (its own flush costs little next to its writing)."""
AHEAD_PER_WORKER = 4
"""Bags validated ahead of the one being serialized, per worker: enough to keep the workers busy, few
enough that admissions (each bag's member list) do not pile up while a large bag is written."""


class ExportError(PreservationError):
    """The export cannot start: unaccepted serialization, a complete or foreign transfer folder, …"""


@dataclass(frozen=True)
class Exported:
    bag: Path
    item: TransferItem
    resumed: bool
    """Kept from an interrupted run of the same export rather than written now."""


@dataclass(frozen=True)
class Rejected:
    bag: Path
    reasons: tuple[Finding, ...]


Outcome = Exported | Rejected


@dataclass
class Outcomes:
    """Each bag's outcome as an export decides it, kept for the result and told to `on_progress` at once."""

    on_progress: Callable[[Outcome], None] | None = None
    seen: list[Outcome] = field(default_factory=list)

    def __call__(self, outcome: Outcome) -> None:
        self.seen.append(outcome)
        if self.on_progress is not None:
            self.on_progress(outcome)

    def exported(self) -> tuple[Exported, ...]:
        return tuple(o for o in self.seen if isinstance(o, Exported))

    def rejected(self) -> tuple[Rejected, ...]:
        return tuple(o for o in self.seen if isinstance(o, Rejected))


@dataclass(frozen=True)
class ExportResult:
    transfer_dir: Path
    serialization: Serialization
    exported: tuple[Exported, ...]
    rejected: tuple[Rejected, ...]
    removed_temporaries: tuple[Path, ...]
    complete: bool
    """The transfer list, manifest and README were written (at least one bag was exported)."""
    format: str = "bagit"
    """What the files are: "bagit" (serialized bags), or e.g. "xdomea 3.0.0" (`export.formats`)."""

    @property
    def ok(self) -> bool:
        return not self.rejected


def choose_serialization(profile: Profile, requested: str | None) -> Serialization:
    """The requested serialization, or the profile's default; ExportError when the profile does not
    accept it."""
    if profile.serialization == "forbidden":
        raise ExportError(profile.source, "this profile forbids serialized bags; nothing can be exported")
    name = requested or profile.default_serialization
    form = next((form for form in SERIALIZATIONS if form == name), None)
    if form is None:
        raise ExportError(None, f"unknown serialization {name!r}; use one of {', '.join(SERIALIZATIONS)}")
    if not accepts(profile.accept_serialization, form):
        accepted = [form for form in SERIALIZATIONS if accepts(profile.accept_serialization, form)]
        raise ExportError(
            profile.source, f"the profile does not accept {name}; it accepts {', '.join(accepted) or 'none'}"
        )
    return form


def export_bags(
    bags: Sequence[Path],
    out_dir: Path,
    profile: Profile,
    serialization: str | None = None,
    environ: Mapping[str, str] | None = None,
    on_progress: Callable[[Outcome], None] | None = None,
    *,
    jobs: int = 1,
) -> ExportResult:
    """Validate every bag fully and export the valid ones into `out_dir`; see the module's docstring and,
    for how validation and serialization share one read of the payload, `admission`'s.

    ExportError (before anything is written) for an unaccepted serialization, two bags with one name, a
    complete transfer folder, a folder holding other files, or an interrupted export of other bags.
    `jobs` > 1 validates and lists bags in that many worker processes while this one serializes.
    """
    chosen = choose_serialization(profile, serialization)
    bags = named_bags(bags)
    epoch = source_date_epoch(environ)
    settings = Settings(chosen, str(int(epoch.timestamp())) if epoch is not None else None)
    report = Outcomes(on_progress)
    with exclusive_output(out_dir) as removed:
        journal = _check_folder(out_dir, bags, chosen, settings)
        todo = [bag for bag in bags if not _kept(bag, chosen, out_dir, journal, report)]
        writer = JournalWriter(out_dir / JOURNAL, settings)
        try:
            admissions = admitted(todo, rules_from_profile(profile), jobs)
            _export_all(admissions, out_dir, chosen, epoch, writer, report)
        finally:
            writer.close()
        exported = report.exported()
        if exported:
            _finish(out_dir, [o.item for o in exported], chosen)
        else:
            (out_dir / JOURNAL).unlink(missing_ok=True)
    return ExportResult(out_dir, chosen, exported, report.rejected(), removed, bool(exported))


def bag_folders(paths: Sequence[Path | str]) -> list[Path]:
    """The bag folders `paths` name: each a bag folder, or a folder whose bag folders are taken (see
    `locate.bags_at`; a bag folder that lost bagit.txt counts, and is rejected with its reasons); ExportError
    for a path that is a link or names none."""
    folders: list[Path] = []
    for path in paths:
        try:
            found = locate.bags_at(path, damaged=True)
        except PreservationError as exc:
            raise ExportError(exc.source, exc.message) from None
        if [item.path for item in found] == [os.fspath(path)] and found[0].kind != "directory":
            raise ExportError(path, "a serialized bag; bags are exported from their folders")
        named = [Path(item.path) for item in found if item.kind == "directory"]
        if not named:
            raise ExportError(path, "not a bag folder, and no bag folders in it")
        folders += named
    return folders


def named_bags(bags: Sequence[Path | str]) -> list[Path]:
    """The bag folders to export, each as the place it names, in the order of their names' bytes; ExportError
    for a link, a name that cannot become an archive's root, or two bags of one name."""
    named = sorted((_named(b) for b in bags), key=lambda b: os.fsencode(b.name))
    _check_names(named)
    return named


def _named(bag: Path | str) -> Path:
    """The bag folder as the place it names, so that `.`, `bag/.` or `data/..` give the bag's own name."""
    try:
        return locate.named(bag)
    except PreservationError as exc:
        raise ExportError(exc.source, exc.message) from None


def _check_names(bags: Sequence[Path]) -> None:
    seen: dict[str, Path] = {}
    for bag in bags:
        if not bag.is_dir():  # `_named` resolved every link on its way
            raise ExportError(bag, "not a bag folder (serialized bags are exported from their folders)")
        if not _utf8(bag.name):
            raise ExportError(bag, "its name is not UTF-8; the transfer list and manifest cannot name it")
        problem = root_problem(bag.name)
        if problem is not None:
            raise ExportError(bag, f"cannot be exported: {problem}")
        if bag.name in seen:
            raise ExportError(bag, f"has the same name as {seen[bag.name]}; both would become one file")
        seen[bag.name] = bag


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # a byte that was not UTF-8, carried as a lone surrogate
        return False
    return True


def _check_folder(
    out_dir: Path, bags: Sequence[Path], chosen: Serialization, settings: Settings
) -> Journal | None:
    """The journal of an interrupted export of these bags, None for an empty folder; ExportError else."""
    if (out_dir / MANIFEST).exists():
        (out_dir / JOURNAL).unlink(missing_ok=True)  # a kill just after completion leaves it behind
        raise ExportError(
            out_dir, "holds a complete transfer; refusing to overwrite it (choose a new folder)"
        )
    journal = read_journal(out_dir / JOURNAL)
    present = {name for name in os.listdir(out_dir) if name != JOURNAL}
    if journal is None:
        if present:
            raise ExportError(out_dir, "is not empty and holds no interrupted export; choose an empty folder")
        return None
    if journal.settings != settings:
        raise ExportError(
            out_dir,
            f"holds an interrupted export with other settings ({_describe(journal.settings)}; now "
            f"{_describe(settings)}); re-run with those settings or choose a new folder",
        )
    names = {bag.name + SUFFIX[chosen] for bag in bags}
    foreign = sorted(f for f in journal.entries if f not in names)
    if foreign:
        raise ExportError(
            out_dir,
            f"holds an interrupted export of other bags ({', '.join(foreign[:3])}); choose a new folder",
        )
    unknown = sorted(present - set(journal.entries) - set(FIXED_FILES))
    if unknown:
        raise ExportError(
            out_dir, f"holds files the interrupted export did not write: {', '.join(unknown[:3])}"
        )
    return journal


def _describe(settings: Settings) -> str:
    epoch = settings.source_date_epoch
    return f"{settings.serialization}, SOURCE_DATE_EPOCH {'unset' if epoch is None else epoch}"


def _kept(
    bag: Path,
    chosen: Serialization,
    out_dir: Path,
    journal: Journal | None,
    report: Callable[[Outcome], None],
) -> bool:
    """Keep a bag file an interrupted run finished, if the bag is unchanged; ExportError if it changed."""
    file = bag.name + SUFFIX[chosen]
    final = out_dir / file
    entry = journal.entries.get(file) if journal is not None else None
    if entry is None or not final.exists():
        return False
    try:
        fingerprint = read_facts(bag, list_members(bag)).fingerprint
    except (BagError, OSError):
        fingerprint = None
    if entry.fingerprint != fingerprint:
        raise ExportError(
            bag, f"changed since the interrupted export wrote {final}; choose a new transfer folder"
        )
    if final.stat().st_size != entry.item.size:
        raise ExportError(final, "its size differs from what the interrupted export recorded")
    report(Exported(bag, entry.item, resumed=True))
    return True


def admitted(bags: Sequence[Path], rules: ProfileRules, jobs: int) -> Iterator[Admission]:
    """Each bag's admission, in order, while the caller serializes the ones before it."""
    if jobs <= 1 or len(bags) <= 1:
        return (admit(bag, rules) for bag in bags)
    jobs = bounded_jobs(jobs)
    pool = process_pool(jobs)
    return _drain(pool, map_ahead(pool, partial(admit, rules=rules), bags, ahead=AHEAD_PER_WORKER * jobs))


def _drain(pool: ProcessPoolExecutor, results: Iterator[Admission]) -> Iterator[Admission]:
    with pool:
        yield from results


def bag_mtime(bagging_date: str, epoch: datetime | None) -> int:
    """The one mtime of every member: SOURCE_DATE_EPOCH when set; else the bag's Bagging-Date at midnight
    UTC — a property of the bag itself, so copying the bag or exporting it on another day changes
    nothing (file mtimes would); 0 for a bag without a readable Bagging-Date."""
    if epoch is not None:
        return int(epoch.timestamp())
    try:
        day = datetime.strptime(bagging_date, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return 0
    return int(day.timestamp())


@dataclass(frozen=True)
class _Staged:
    bag: Path
    fingerprint: str
    temp: Path
    item: TransferItem


def _stage_one(
    admission: Admission, out_dir: Path, chosen: Serialization, epoch: datetime | None
) -> _Staged | Rejected:
    """Serialize an admitted bag under a temporary name, verifying it on the way (`Witness`); a bag whose
    bytes disagree with its manifests or with what was validated is removed and rejected."""
    bag, members = admission.bag, admission.members
    assert admission.facts is not None
    mtime = bag_mtime(admission.facts.bagging_date, epoch)
    file = bag.name + SUFFIX[chosen]
    hint = admission.size  # near enough: it only chooses how to hash (threads for large files)
    witness = Witness(admission)
    chunks = serialize(members, bag.name, chosen, mtime, witness.read)
    try:
        temp, digests = stage_file(out_dir, file, chunks, hint, fsync=False)
    except BagError as exc:
        return Rejected(bag, (finding("export.write-failed", reason=exc),))
    reasons = witness.reasons()
    if reasons:
        temp.unlink()
        return Rejected(bag, reasons)
    facts = witness.facts()
    item = TransferItem.written(
        file,
        digests,
        identifier=facts.identifier,
        title=facts.title,
        issued=facts.issued,
        payload_files=facts.payload_files,
    )
    return _Staged(bag, facts.fingerprint, temp, item)


def _export_all(
    admissions: Iterator[Admission],
    out_dir: Path,
    chosen: Serialization,
    epoch: datetime | None,
    writer: JournalWriter,
    report: Callable[[Outcome], None],
) -> None:
    """Serialize the admitted bags, publishing them in batches (see BATCH, BATCH_BYTES) while the next
    batch is written."""
    batch: list[_Staged] = []
    publisher = _Publisher(out_dir, writer, report)
    try:
        for admission in admissions:
            if admission.reasons:
                report(Rejected(admission.bag, admission.reasons))
                continue
            if admission.size >= BATCH_BYTES:
                publisher.start(batch)  # a large bag does not hold back small ones
                publisher.wait()
                batch = []
            staged = _stage_one(admission, out_dir, chosen, epoch)
            if isinstance(staged, Rejected):
                report(staged)
                continue
            batch.append(staged)
            if len(batch) >= BATCH or _bytes(batch) >= BATCH_BYTES:
                publisher.start(batch)
                batch = []
        publisher.start(batch)
        batch = []
        publisher.wait()
    finally:
        publisher.close()
        for staged in batch:  # an error or interrupt before they were published
            staged.temp.unlink(missing_ok=True)


def _bytes(batch: list[_Staged]) -> int:
    return sum(staged.item.size for staged in batch)


class _Publisher:
    """Publishes one batch at a time on a thread: the syncfs waits on the disk, not the CPU, so the next
    batch is serialized meanwhile. Outcomes are reported on the caller's thread, in `wait`."""

    def __init__(self, out_dir: Path, writer: JournalWriter, report: Callable[[Outcome], None]) -> None:
        self.out_dir = out_dir
        self.writer = writer
        self.report = report
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="publish")
        self._running: Future[None] | None = None
        self._batch: list[_Staged] = []

    def start(self, batch: list[_Staged]) -> None:
        """Publish `batch` in the background, once the batch before it is published."""
        self.wait()
        if batch:
            self._batch = batch
            self._running = self._thread.submit(_publish, batch, self.out_dir, self.writer)

    def wait(self) -> None:
        """Until the running batch is published; its publishing's error is raised here."""
        if self._running is None:
            return
        running, self._running = self._running, None
        running.result()
        batch, self._batch = self._batch, []
        for staged in batch:
            self.report(Exported(staged.bag, staged.item, resumed=False))

    def close(self) -> None:
        """After an error or interrupt: let the running batch finish (a rename must not be cut off), and
        remove what of it was not renamed into place."""
        if self._running is not None:
            wait_for([self._running])
        self._thread.shutdown()
        for staged in self._batch:
            staged.temp.unlink(missing_ok=True)


def _publish(batch: list[_Staged], out_dir: Path, writer: JournalWriter) -> None:
    """Bag files durable (one syncfs), then journalled (one fsync), then renamed into place: a file under
    its final name is always complete and its digests always recorded."""
    make_durable(out_dir)
    writer.record([Entry(s.bag.name, s.fingerprint, s.item) for s in batch])
    for staged in batch:
        place(staged.temp, out_dir / staged.item.file)
    fsync_dir(out_dir)


def write_closing_files(out_dir: Path, contents: Mapping[str, bytes]) -> None:
    """Write the transfer's own files in the order of `contents` (the manifest last: its presence marks
    the folder complete), then make the folder durable. A file a killed earlier run already wrote is kept
    when byte-identical; other content is refused (ExportError), never replaced."""
    for name, data in contents.items():
        target = out_dir / name
        if target.exists():
            if target.read_bytes() != data:
                raise ExportError(target, "exists with other content; choose a new transfer folder")
            continue
        write_file(out_dir, name, data)
    fsync_dir(out_dir)


def _finish(out_dir: Path, items: list[TransferItem], chosen: Serialization) -> None:
    """README, transfer list, then the manifest — its presence marks the folder complete — then the
    journal goes. A file a killed earlier run already wrote is kept when it is byte-identical."""
    ordered = sort_items(items)
    contents = {
        README: render_readme(ordered, chosen),
        TRANSFER_LIST: render_transfer_list(ordered),
        MANIFEST: render_transfer_manifest(ordered),
    }
    write_closing_files(out_dir, {name: contents[name] for name in FIXED_FILES})
    (out_dir / JOURNAL).unlink(missing_ok=True)
    fsync_dir(out_dir)


def check_resumable(out_dir: Path, packages: re.Pattern[str], fixed: Sequence[str], what: str) -> None:
    """`out_dir` is empty, or holds what an interrupted export of `what` left (files named as `packages`
    match, the `fixed` files); ExportError for a complete transfer or other files, which are never
    overwritten."""
    if (out_dir / MANIFEST).exists():
        raise ExportError(
            out_dir, "holds a complete transfer; refusing to overwrite it (choose a new folder)"
        )
    foreign = sorted(n for n in os.listdir(out_dir) if not packages.fullmatch(n) and n not in fixed)
    if foreign:
        raise ExportError(
            out_dir,
            f"is not empty and holds no interrupted {what} export ({', '.join(foreign[:3])}); "
            "choose an empty folder",
        )
