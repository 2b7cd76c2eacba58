"""Library calls behind `preservation fixity run|status|history`."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from preservation import SOFTWARE_NAME, __version__, durable
from preservation.bagit import locate
from preservation.errors import BagError
from preservation.fixity import discover, repair, schedule
from preservation.fixity.alarms import Alarm, collect, worst
from preservation.fixity.ledger import Ledger, Recording, new_owner
from preservation.fixity.model import (
    BagRecord,
    CheckResult,
    Clock,
    Event,
    FixityError,
    Move,
    Outcome,
    Problem,
    Repair,
    format_time,
    utc_now,
)
from preservation.fixity.runner import Checked, Dispatch, Pool, map_batches, open_pool, run_checks
from preservation.validate.findings import finding

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from preservation.fixity.report import StatusSummary

AGENT = f"{SOFTWARE_NAME} {__version__}"


@dataclass(frozen=True)
class CheckedBag:
    bag: str
    outcome: Outcome
    problems: tuple[Problem, ...]

    def to_json(self) -> dict[str, Any]:
        return {"bag": self.bag, "outcome": self.outcome, "problems": [p.to_json() for p in self.problems]}


@dataclass(frozen=True)
class RunResult:
    checked: tuple[CheckedBag, ...]
    """Checked bags in the order their checks completed, then found bags that could not be registered."""
    skipped: int
    """Due bags not checked: beyond a budget, or being checked by a concurrent run."""
    known: int
    """Bags in the ledger under the roots."""
    registered: int
    moved: tuple[tuple[str, str], ...]
    """(from, to) paths of bags recognised as moved."""
    not_bags: tuple[tuple[str, str], ...]
    """(path, reason): archives found this run that hold no bag; later runs skip them until they change."""
    bytes_read: int
    seconds: float
    ledger_seconds: float
    """Time spent in ledger calls (registration, claims, commits), waits for the ledger's writer thread
    included."""
    alarms: tuple[Alarm, ...] = ()
    """After the run, the bags under the roots that are failing or in error, whether checked by this run
    or not (and overdue ones when asked for)."""
    ledger_behind_seconds: float = 0.0
    """Time the ledger's writer thread spent committing checks and claims while the workers hashed: apart
    from `ledger_seconds`, which counts only what the run waited for."""

    def counts(self) -> Counter[str]:
        return Counter(item.outcome for item in self.checked)

    def worst(self) -> Outcome:
        """``fail`` while a bag under the roots fails (or is overdue, when asked for); else ``error`` while
        one could not be checked, in this run or before; else ``pass``."""
        counts = self.counts()
        statuses = {worst(self.alarms), *(o for o in ("fail", "error") if counts[o])}
        return "fail" if "fail" in statuses else "error" if "error" in statuses else "pass"

    def summary(self) -> dict[str, Any]:
        counts = self.counts()
        return {
            "bags": self.known,
            "checked": len(self.checked),
            "pass": counts["pass"],
            "fail": counts["fail"],
            "error": counts["error"],
            "skipped": self.skipped,
            "registered": self.registered,
            "moved": [{"from": old, "to": new} for old, new in self.moved],
            "not_bags": [{"path": path, "reason": reason} for path, reason in self.not_bags],
            "failing": sum(1 for alarm in self.alarms if alarm.status == "fail"),
            "in_error": sum(1 for alarm in self.alarms if alarm.status == "error"),
            "bytes": self.bytes_read,
            "seconds": round(self.seconds, 3),
            "ledger_seconds": round(self.ledger_seconds, 3),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "checked": [c.to_json() for c in self.checked],
            "skipped": self.skipped,
            "alarms": [alarm.to_json() for alarm in self.alarms],
            "summary": self.summary(),
        }


@dataclass(frozen=True)
class RunPlan:
    """What a run decided before its first check: the bags it knows under the roots, those it checks and
    in which order, and what it registered without checking."""

    since: str
    """When the run started: the time of its registrations; a check after it is this run's."""
    candidates: int
    """The ledger's bags under the roots, counted after the found ones were entered."""
    deferred: int
    """Due bags beyond the budget."""
    registration: discover.Registration
    """Of the deferred bags, those not yet anchored, anchored from their tag files only."""
    registered: int
    """Bags `registration` anchored."""
    first: tuple[BagRecord, ...]
    """Due bags found where the ledger has them, in checking order."""
    absent: tuple[BagRecord, ...]
    """Due bags missing from their path: checked after the others, among which they may turn up moved."""
    registrar: discover.Registrar
    """Decides whether a bag at an unknown path is new or a known one moved."""
    kept: tuple[tuple[str, str], ...]
    """(from, to) of bags `build --replace` kept under `.superseded`."""
    paths: Mapping[int, str]
    """Each known bag's path before this run's checks: where a bag they find moved came from."""

    @property
    def due(self) -> int:
        return len(self.first) + len(self.absent)


def run_fixity(
    roots: Sequence[Path],
    ledger_path: Path,
    *,
    older_than: timedelta = schedule.DEFAULT_PERIOD,
    check_all: bool = False,
    budget: schedule.Budget = schedule.NO_BUDGET,
    time_budget: timedelta | None = None,
    jobs: int = 2,
    dask_address: str | None = None,
    dask_local: int | None = None,
    clock: Clock = utc_now,
    fail_on_overdue: bool = False,
    on_checked: Callable[[Checked], None] | None = None,
    on_planned: Callable[[int], None] | None = None,
) -> RunResult:
    """Find the bags under `roots`, register new and moved ones, and check those due (see `schedule`):
    failing bags and bags in error at every run. The result's alarms name every bag under the roots
    that is failing or in error afterwards, and with `fail_on_overdue` every one not checked within
    `older_than`.

    `on_planned(n)` is told how many checks will be attempted, `on_checked` each check as it is committed.
    """
    started = time.perf_counter()
    resolved = [_root(root) for root in roots]
    for root in resolved:
        _listable(root)
    run_start = clock()
    # The pool first: its workers are forked while this process has no other thread (see `workers`);
    # the ledger's checkpoint thread starts after.
    with (
        open_pool(jobs=jobs, dask_address=dask_address, dask_local=dask_local) as pool,
        Ledger(ledger_path, background_checkpoints=True) as ledger,
    ):
        plan = _plan(
            ledger,
            pool,
            resolved,
            partial(
                schedule.select, now=run_start, older_than=older_than, check_all=check_all, budget=budget
            ),
            since=format_time(run_start),
        )
        if on_planned is not None:
            on_planned(plan.due)
        deadline = None if time_budget is None else run_start + time_budget
        first, second = _dispatch(ledger, pool, plan, clock=clock, deadline=deadline, on_checked=on_checked)
        raised = collect(
            ledger,
            now=clock(),
            period=older_than,
            overdue=fail_on_overdue,
            where=lambda bag: discover.is_under(bag.path, resolved),
        )
    # The ledger's time with its closing, which runs the last checkpoint.
    seconds = (time.perf_counter() - started, ledger.seconds, ledger.behind_seconds)
    return _summary(plan, first, second, raised, seconds)


def _listable(root: Path) -> None:
    """FixityError unless `root` is a folder this process can list: a run that saw no bags in it would
    pass without checking any."""
    try:
        os.listdir(root)
    except FileNotFoundError:
        raise FixityError(root, "no such folder") from None
    except NotADirectoryError:
        raise FixityError(root, "not a folder") from None
    except OSError as exc:
        raise FixityError(root, f"cannot be read: {exc.strerror}") from None


def _discover(
    ledger: Ledger, roots: Sequence[Path], since: str
) -> tuple[list[BagRecord], set[str], tuple[tuple[str, str], ...]]:
    """Find the bags under `roots` and enter those at unknown paths, without an anchor, so that they are
    claimed like any other (their first check also reads what registration records: the tag files are
    read once). Returns the ledger's bags, the paths found, and (from, to) of the bags `build --replace`
    kept, whose records follow them."""
    found = discover.find_bags(roots)
    known = ledger.bags()
    paths_before = {bag.id: bag.path for bag in known}
    replaced = discover.kept_replaced(found, known)
    if replaced:
        ledger.register((), replaced, since)
        known = ledger.bags()
    unknown = discover.unknown(found, known, ledger.not_bags())
    if unknown:
        known += ledger.add_found([(f.path, f.kind) for f in unknown], since)
    kept = tuple((paths_before[bag_id], new) for bag_id, new in replaced)
    return known, {f.path for f in found}, kept


def _plan(
    ledger: Ledger,
    pool: Pool,
    roots: Sequence[Path],
    select: Callable[..., schedule.Selection],
    *,
    since: str,
) -> RunPlan:
    """Enter the bags found under `roots`, choose those due with `select` (`schedule.select` with the
    run's options), and anchor the unanchored ones beyond the budget all the same, from their tag files
    only, on the pool."""
    known, found_paths, kept = _discover(ledger, roots, since)
    candidates = [bag for bag in known if discover.is_under(bag.path, roots)]
    # A bag no longer where the ledger has it is checked now, not when it is next due: gone, it is
    # an alarm at once; moved, its history follows it.
    selection = select(candidates, missing={bag.id for bag in candidates if bag.path not in found_paths})
    registrar = discover.Registrar(found_paths, known)
    later = [bag for bag in selection.deferred if bag.anchor is None]
    registration = discover.plan_registration(
        later,
        map_batches(pool, discover.identify_all, [discover.Found(b.path, b.kind) for b in later]),
        registrar,
    )
    registered = ledger.register(registration.new, registration.moved, since, registration.not_bags)
    current = {bag.id: bag for bag in ledger.bags()} if registration.moved else {}
    due = [current.get(bag.id, bag) for bag in selection.due]
    return RunPlan(
        since=since,
        candidates=len(candidates),
        deferred=len(selection.deferred),
        registration=registration,
        registered=registered,
        first=tuple(bag for bag in due if bag.path in found_paths),
        absent=tuple(bag for bag in due if bag.path not in found_paths),
        registrar=registrar,
        kept=kept,
        paths={bag.id: bag.path for bag in known},
    )


def _dispatch(
    ledger: Ledger,
    pool: Pool,
    plan: RunPlan,
    *,
    clock: Clock,
    deadline: datetime | None,
    on_checked: Callable[[Checked], None] | None,
) -> tuple[Dispatch, Dispatch]:
    """Check the plan's due bags: first those where the ledger has them, then the absent ones that the
    first checks did not find moved."""
    run = partial(
        run_checks,
        ledger,
        pool=pool,
        owner=new_owner(),
        agent=AGENT,
        clock=clock,
        not_checked_since=plan.since,
        registered_at=plan.since,
        deadline=deadline,
        on_checked=on_checked,
    )
    first = run(list(plan.first), registrar=plan.registrar)
    moved_now = {bag_id for bag_id, _ in first.moved}
    second = run([bag for bag in plan.absent if bag.id not in moved_now])
    return first, second


def _summary(
    plan: RunPlan,
    first: Dispatch,
    second: Dispatch,
    alarms: tuple[Alarm, ...],
    seconds: tuple[float, float, float],
) -> RunResult:
    """The run's result from its plan, its two dispatches and the alarms after them; `seconds`: the
    run's, the ledger's and its writer thread's."""
    dispatched = first.checked + second.checked
    checked = [CheckedBag(c.result.path, c.result.outcome, c.result.problems) for c in dispatched]
    checked += [
        CheckedBag(path, "error", (Problem.of(finding("fixity.unregistrable", reason=why)),))
        for path, why in plan.registration.unreadable
    ]
    moved = plan.registration.moved + first.moved
    not_bags = tuple((path, found.reason) for path, found in plan.registration.not_bags) + first.not_bags
    # Deferred paths found unreadable or no bag are reported as such, not as skipped.
    not_registered = len(plan.registration.unreadable) + len(plan.registration.not_bags)
    return RunResult(
        checked=tuple(checked),
        skipped=plan.deferred - not_registered + len(first.not_checked) + len(second.not_checked),
        known=plan.candidates - len(moved) - len(not_bags),
        registered=plan.registered + first.registered,
        moved=plan.kept + tuple((plan.paths[bag_id], new) for bag_id, new in moved),
        not_bags=not_bags,
        bytes_read=sum(c.result.bytes_read for c in dispatched),
        seconds=seconds[0],
        ledger_seconds=seconds[1],
        alarms=alarms,
        ledger_behind_seconds=seconds[2],
    )


def _root(root: Path) -> Path:
    """A root as the place it names (`locate.named`): a root that is a link is refused, not followed."""
    try:
        return locate.named(root)
    except BagError as exc:
        raise FixityError(exc.source, exc.message) from None


def _existing(ledger_path: Path) -> Ledger:
    """The ledger, read only: an auditor may have no right to write it, and nothing here needs to."""
    return Ledger(ledger_path, read_only=True)


def status(
    ledger_path: Path, *, period: timedelta = schedule.DEFAULT_PERIOD, clock: Clock = utc_now
) -> StatusSummary:
    from preservation.fixity import report  # imported when asked for, as the HTML report below

    with _existing(ledger_path) as ledger:
        return report.summarize(ledger.bags(), now=clock(), period=period, not_bags=len(ledger.not_bags()))


def attention(
    ledger_path: Path,
    *,
    period: timedelta = schedule.DEFAULT_PERIOD,
    overdue: bool = False,
    clock: Clock = utc_now,
) -> tuple[Alarm, ...]:
    """The ledger's failing bags and bags in error (and with `overdue`, those not checked within
    `period`), each with since when, its latest problems and its passing replicas."""
    with _existing(ledger_path) as ledger:
        return collect(ledger, now=clock(), period=period, overdue=overdue)


@dataclass(frozen=True)
class BagHistory:
    bags: tuple[BagRecord, ...]
    """The bags matched: one by path, or every copy holding the identifier."""
    events: tuple[Event, ...]
    moves: tuple[Move, ...]
    repairs: tuple[Repair, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "bags": [
                {
                    "path": bag.path,
                    "identity": bag.identity,
                    "kind": bag.kind,
                    "registered_at": bag.registered_at,
                    "last_checked_at": bag.last_checked_at,
                    "status": bag.status,
                    "anchor": bag.anchor.digests if bag.anchor else {},
                }
                for bag in self.bags
            ],
            "events": [
                {
                    "bag": next(b.path for b in self.bags if b.id == e.bag_id),
                    "started": e.started,
                    "ended": e.ended,
                    "bytes": e.bytes,
                    "outcome": e.outcome,
                    "problems": [p.to_json() for p in e.problems],
                    "agent": e.agent,
                }
                for e in self.events
            ],
            "moves": [
                {"bag": m.bag_id, "from": m.from_path, "to": m.to_path, "at": m.at} for m in self.moves
            ],
            "repairs": [
                {
                    "bag": next(b.path for b in self.bags if b.id == r.bag_id),
                    "started": r.started,
                    "ended": r.ended,
                    "source": r.source,
                    "files": list(r.files),
                    "outcome": r.outcome,
                    "detail": r.detail,
                    "agent": r.agent,
                }
                for r in self.repairs
            ],
        }

    def premis(self) -> bytes:
        # Imported when asked for: it brings the bag metadata modules, which a check run never needs.
        from preservation.fixity.premis import history_document

        return history_document(
            self.bags, self.events, self.repairs, software=SOFTWARE_NAME, version=__version__
        )


def history(bag: str, ledger_path: Path) -> BagHistory:
    """The checks and moves of the bag at path `bag`, or of the bags with External-Identifier `bag`."""
    with _existing(ledger_path) as ledger:
        bags = ledger.find(bag)
        if not bags:
            raise FixityError(bag, f"no such bag in the ledger {ledger_path}")
        ids = [b.id for b in bags]
        moves = [move for bag_id in ids for move in ledger.moves(bag_id)]
        return BagHistory(tuple(bags), tuple(ledger.events(ids)), tuple(moves), tuple(ledger.repairs(ids)))


def repair_bag(
    bag: str,
    ledger_path: Path,
    *,
    source: Path | None = None,
    dry_run: bool = False,
    clock: Clock = utc_now,
) -> repair.RepairResult:
    """Restore the missing or damaged files of the bag at path `bag` from a replica that verifies against
    its anchor: `source`, or the first of its replica set in the ledger that does (passing ones first).
    Re-verifies the whole bag after, and records that check and the repair (a PREMIS ``fixity repair``
    event in `history`). `dry_run`: only say what would be restored; nothing is written, the ledger
    included. FixityError for a bag the ledger does not know (or not yet anchored) or a `source` that is a
    link or missing; BagError when a file cannot be written."""
    with Ledger(ledger_path, read_only=dry_run) as ledger:
        record = _one_bag(ledger, bag, ledger_path)
        started = format_time(clock())
        before = repair.verify(record)
        if before.outcome == "pass":
            if not dry_run:
                _record(ledger, record, before, started, format_time(clock()))
            return repair.RepairResult(record.path, "not-needed", None, (), (), (), ())
        chosen, tried = repair.choose_source(record, _candidates(ledger, record, source))
        extra = tuple(p.file for p in before.problems if p.kind == "extra" and p.file is not None)
        if chosen is None:
            return repair.RepairResult(record.path, "refused", None, (), extra, tried, before.problems)
        plan = repair.plan(record, chosen)
        if dry_run:
            return repair.RepairResult(
                record.path, "dry-run", chosen, plan.damaged, extra, tried, before.problems
            )
        files, failure = _restore(record, chosen, plan)
        checked = format_time(clock())
        after = repair.verify(record)
        ended = format_time(clock())
        outcome = "pass" if after.outcome == "pass" else "fail"
        with ledger.transaction():  # committed before a failure is raised, so that the ledger knows
            _record(ledger, record, after, checked, ended)
            if files:
                _record_repair(ledger, record, chosen, files, after, (started, ended))
        if failure is not None:
            raise failure
        return repair.RepairResult(
            record.path,
            "repaired" if outcome == "pass" else "failed",
            chosen,
            tuple(files),
            extra,
            tried,
            after.problems,
        )


def _candidates(ledger: Ledger, record: BagRecord, source: Path | None) -> list[str]:
    """The copies to repair `record` from, in the order they are tried: `source` alone when named, else
    the bag's replicas in the ledger, passing ones first."""
    if source is not None:
        named = str(_root(source))
        if named == record.path:
            raise FixityError(source, "is the bag to repair; name another copy")
        return [named]
    replicas = sorted(ledger.replicas(record), key=lambda r: (r.status != "pass", r.path))
    return [replica.path for replica in replicas]


def _record_repair(
    ledger: Ledger,
    record: BagRecord,
    chosen: str,
    files: Sequence[str],
    after: CheckResult,
    times: tuple[str, str],
) -> None:
    """The repair as an event of the bag's history: what was restored from where, and the check after."""
    detail = (
        f"restored {len(files)} files from the replica {chosen}, verified against the anchor;"
        f" the whole bag re-verified: {after.outcome}"
    )
    ledger.record_repair(
        record.id,
        started=times[0],
        ended=times[1],
        source=chosen,
        files=files,
        outcome="pass" if after.outcome == "pass" else "fail",
        detail=detail,
        agent=AGENT,
    )


def _restore(record: BagRecord, chosen: str, plan: repair.Plan) -> tuple[list[str], BagError | None]:
    """Restore the damaged files of `record` from `chosen` (a serialized bag is replaced whole); the files
    restored, and the error that stopped it, if one did: what was restored before stays restored, and is
    recorded as such."""
    repair.remove_leftovers(record, keep=plan.expected)
    files: list[str] = []
    try:
        if record.kind == "directory":
            repair.restore_files(record, chosen, plan, done=files)
        else:
            repair.replace_archive(record, chosen)
            files = list(plan.damaged)
    except BagError as exc:
        return files, exc
    return files, None


def _one_bag(ledger: Ledger, bag: str, ledger_path: Path) -> BagRecord:
    found = ledger.find(bag)
    if not found:
        raise FixityError(bag, f"no such bag in the ledger {ledger_path}")
    if len(found) > 1:
        paths = ", ".join(record.path for record in found)
        raise FixityError(bag, f"names {len(found)} bags ({paths}); name the one to repair by its path")
    if found[0].anchor is None:
        raise FixityError(found[0].path, "not registered yet: `fixity run` records its anchor first")
    return found[0]


def _record(ledger: Ledger, bag: BagRecord, result: CheckResult, started: str, ended: str) -> None:
    ledger.record([Recording(result, started, ended, bag.size)], new_owner(), agent=AGENT, now=ended)


def write_report(
    ledger_path: Path,
    out: Path,
    *,
    period: timedelta = schedule.DEFAULT_PERIOD,
    clock: Clock = utc_now,
    roots: Sequence[Path] = (),
    language: str = "en",
    zone: ZoneInfo | None = None,
    organisation: str | None = None,
) -> None:
    """The HTML report of the ledger in `language` (en, de), times in `zone` (Europe/Berlin)."""
    from zoneinfo import ZoneInfo  # imported when asked for: a check run never gives times in a zone

    from preservation.fixity import report

    context = report.Context(
        roots=tuple(str(root) for root in roots),
        ledger=str(ledger_path),
        software=AGENT,
        organisation=organisation,
        zone=zone or ZoneInfo(report.DEFAULT_ZONE),
        language=language,
    )
    with _existing(ledger_path) as ledger:
        bags = ledger.bags()
        failing = [bag for bag in bags if bag.status in ("fail", "error")]
        html = report.render_html(
            bags,
            ledger.checks_per_hour(),
            ledger.latest_events(bag.id for bag in failing),
            now=clock(),
            period=period,
            context=context,
            replicas={
                bag.id: [r.path for r in ledger.replicas(bag) if r.status == "pass"] for bag in failing
            },
        )
    durable.write_text(out, html)
