"""The audit ledger: an SQLite file with the known bags, their anchors, claims and every check.

WAL mode lets readers (status, history) run beside a check run; `BEGIN IMMEDIATE` takes the write lock at
the start of each transaction so that claim decisions are never made on a stale read. Each check is one
transaction: a killed run loses at most the checks in flight. `synchronous=NORMAL` is durable against a
killed process (the case cron meets) and keeps the database consistent on power loss.

A run hands its recordings and the claims of its next batches to a writer thread of the ledger's own
(`record_behind`, `claim_behind`), which commits them while the workers hash; every other call waits for
those writes first, so the order of the ledger's writes is the order of the calls.

Any file may be given as a ledger. One that is not (another database, text, a damaged or newer ledger) is
recognised before anything is written to it and left as it is; rows no run writes are named as damage
when read; status, history and reports open the ledger read only.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial, wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from preservation.fixity import schema
from preservation.fixity import statements as sql
from preservation.fixity.checkpoint import Checkpointer
from preservation.fixity.model import (
    BAG_KINDS,
    OUTCOMES,
    STATUSES,
    Anchor,
    BagKind,
    BagRecord,
    CheckResult,
    Event,
    FixityError,
    Move,
    NotABag,
    Problem,
    Repair,
    parse_time,
)

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

_TIME_LENGTH = len("2026-03-01T08:00:00.000000Z")
"""Of `format_time`'s text."""

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _timed(method: Callable[_P, _R]) -> Callable[_P, _R]:
    """Count the call's duration in the ledger's `seconds` (see `Ledger._clocked`), waiting first for the
    checks handed to the writer thread (see `Ledger.record_behind`); its SQLite errors and damaged rows
    become FixityErrors (see `Ledger._guarded`)."""

    @wraps(method)
    def timed(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        ledger: Ledger = args[0]  # type: ignore[assignment]
        with ledger._clocked(), ledger._guarded():
            ledger._settle()
            return method(*args, **kwargs)

    return timed


class _Damaged(Exception):
    """A row holds what this software never writes (a ledger edited by hand, or by an attacker)."""


def _not_a_file(path: Path, read_only: bool) -> str | None:
    """Why `path` cannot be a ledger before SQLite opens it (a FIFO would block it), or None."""
    try:
        found = path.stat()
    except FileNotFoundError:
        if read_only:
            return "no fixity ledger here (it is created by `fixity run`)"
        return None if path.parent.is_dir() else "the ledger's folder does not exist"
    except OSError as exc:
        return f"cannot open the fixity ledger: {exc.strerror}"
    if stat.S_ISDIR(found.st_mode):
        return "a folder, not a fixity ledger"
    if not stat.S_ISREG(found.st_mode):
        return "not a regular file, so not a fixity ledger"
    if read_only and found.st_size == 0:
        return "an empty file, not a fixity ledger"
    return None


def _connect(path: Path, read_only: bool, busy_timeout_ms: int) -> sqlite3.Connection:
    """Read only, a ledger is opened without creating its -wal and -shm files: a reader may have no
    right to, and files it left would belong to it, not to the user whose runs must write them. Without
    a -wal file no run is writing, and the file can be read as it is (`immutable`); with one, SQLite
    reads the changes a run made in it."""
    uri = path.absolute().as_uri()
    if not read_only:
        uri += "?mode=rwc"
    elif os.path.lexists(f"{path.resolve()}-wal"):  # SQLite keeps it beside the file a link leads to
        uri += "?mode=ro"
    else:
        uri += "?mode=ro&immutable=1"
    # Used by one thread at a time: the writer thread only between `record_behind` and the next call.
    db = sqlite3.connect(
        uri, uri=True, isolation_level=None, timeout=busy_timeout_ms / 1000, check_same_thread=False
    )
    db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    # Triggers and views of a file that is not ours run no function with side effects.
    db.execute("PRAGMA trusted_schema = OFF")
    return db


def _stored(text: str) -> str | bytes:
    """`text` as the ledger keeps it: a name that is not UTF-8 (a path holding lone surrogates, which
    SQLite's text cannot take) as a BLOB of its bytes, so that it is found and read back alike (`_text`)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape")
    return text


def _text(value: Any) -> Any:
    """A value as `_stored` was given it; any other value as it is."""
    return value.decode("utf-8", "surrogateescape") if type(value) is bytes else value


def _unusable(exc: sqlite3.Error) -> str:
    if str(exc).startswith("Could not decode to UTF-8"):  # Python's, for text this software never writes
        return "damaged fixity ledger: it holds text that is not UTF-8"
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF  # the primary result code
    if code == sqlite3.SQLITE_NOTADB:
        return "not a fixity ledger: not an SQLite database (left unchanged)"
    if code == sqlite3.SQLITE_CORRUPT:
        return f"damaged fixity ledger: {exc}"
    return f"cannot use the fixity ledger: {exc}"


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


@dataclass(frozen=True)
class NewBag:
    identity: str | None
    path: str
    kind: BagKind
    anchor: Anchor
    size: int | None


@dataclass(frozen=True)
class Recording:
    """A complete check to record."""

    result: CheckResult
    started: str
    ended: str
    size: int | None
    """The bag's size as the ledger knew it before this check."""
    first: NewBag | tuple[int, str] | NotABag | None = None
    """For a first check: anchor the bag, record that known bag (id, new path) moved here, or forget the
    entry made when the path was found, as it holds no bag."""


def new_owner() -> str:
    """A claim owner: host and pid let a later run on the same host take over the claims of a dead run."""
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(4).hex()}"


def _owner_dead(owner: str) -> bool:
    host, pid, _ = owner.rsplit(":", 2)
    if host != socket.gethostname():
        return False  # another machine: only the lease can tell
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, ValueError):
        return False
    return False


class Ledger:
    def __init__(
        self,
        path: Path,
        *,
        read_only: bool = False,
        busy_timeout_ms: int = 60_000,
        background_checkpoints: bool = False,
    ) -> None:
        """`read_only`: for status, history and reports, which must work on a ledger they may only read
        and never write to it. Otherwise the ledger is created when `path` is missing or empty.
        `background_checkpoints`: for a long run of commits that must not stall (see `checkpoint`).

        A file that is not a ledger (another database, text, a damaged file, a ledger of a newer version)
        raises FixityError and is left unchanged."""
        self.path = path
        self.seconds = 0.0
        """Time spent inside ledger calls, so that a run can report the ledger's own share."""
        self.behind_seconds = 0.0
        """Time the writer thread spent on the writes handed to it (see `record_behind`), apart from
        `seconds`."""
        self._clock_started: float | None = None
        self._checkpointer: Checkpointer | None = None
        self._writer: ThreadPoolExecutor | None = None
        self._behind: list[Future[Any]] = []
        with self._clocked():
            refused = _not_a_file(path, read_only)
            if refused:
                raise FixityError(path, refused)
            try:
                self._db = _connect(path, read_only, busy_timeout_ms)
            except sqlite3.Error as exc:
                raise FixityError(path, f"cannot open the fixity ledger: {exc}") from None
            try:
                if read_only:
                    version = self._version(self._db)
                    if version is None:
                        raise FixityError(path, "not a fixity ledger: an empty database")
                    self._tables = set(schema.tables(version))
                    return
                # NORMAL before WAL spares one of the fsyncs that turning a new ledger to WAL costs.
                self._db.execute("PRAGMA synchronous = NORMAL")
                self._migrate()  # before WAL, which would change another database; before foreign keys
                self._tables = set(schema.tables(schema.VERSION))
                self._db.execute("PRAGMA journal_mode = WAL")
                self._db.execute("PRAGMA foreign_keys = ON")
                if background_checkpoints:
                    self._db.execute("PRAGMA wal_autocheckpoint = 0")
                    self._checkpointer = Checkpointer(path)
                    # A new log's first commit syncs its header (see `checkpoint`): made by the writer
                    # thread now, while the run finds its bags, not by the run's first claim or entry.
                    self._hand_over(self._start_log)
            except sqlite3.Error as exc:
                self._db.close()
                raise FixityError(path, _unusable(exc)) from None
            except FixityError:
                self._db.close()
                raise

    def close(self) -> None:
        with self._clocked(), self._guarded():
            try:
                self._settle()
            finally:
                if self._writer is not None:
                    self._writer.shutdown()
                if self._checkpointer is not None:
                    self._checkpointer.close()
                self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _clocked(self) -> Iterator[None]:
        if self._clock_started is not None:
            yield  # inside a transaction or call already being timed
            return
        self._clock_started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds += time.perf_counter() - self._clock_started
            self._clock_started = None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Make the ledger calls inside one transaction: committed together, or not at all."""
        with self._clocked(), self._guarded():
            self._settle()
            with self._write():
                yield

    def _settle(self) -> None:
        """Wait until the writes handed to the writer thread are committed; raise what stopped them."""
        behind, self._behind = self._behind, []
        # Every one finished before anything is raised: none may still use the connection after.
        failed = [error for error in [write.exception() for write in behind] if error is not None]
        if failed:
            raise failed[0]

    @contextmanager
    def _guarded(self) -> Iterator[None]:
        """An SQLite error or a row this software did not write becomes a FixityError naming the ledger."""
        try:
            yield
        except sqlite3.Error as exc:
            raise FixityError(self.path, _unusable(exc)) from None
        except _Damaged as exc:
            raise FixityError(self.path, f"damaged fixity ledger: {exc}") from None

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        if self._db.in_transaction:
            yield self._db  # part of the caller's `transaction()`
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _migrate(self) -> None:
        with self._write() as db:
            version = self._version(db)
            if version is None:
                schema.create(db)
            elif version < schema.VERSION:
                schema.upgrade(db, version)

    def _version(self, db: sqlite3.Connection) -> int | None:
        """The ledger's schema version, None for an empty database; FixityError for anything else that
        is not a ledger this version can read. Only reads."""
        if db.execute(sql.ANY_SCHEMA_OBJECT).fetchone() is None:
            return None
        tables = {name for (name,) in db.execute(sql.TABLE_NAMES)}
        if "schema_version" not in tables:
            raise FixityError(self.path, "not a fixity ledger: a database with other tables (left unchanged)")
        rows = db.execute(sql.SCHEMA_VERSIONS).fetchall()
        if len(rows) != 1 or type(rows[0][0]) is not int or rows[0][0] < 1:
            held = ", ".join(_shown(value) for (value,) in rows) or "no row"
            raise FixityError(
                self.path, f"damaged fixity ledger: schema_version holds {held}, not one version"
            )
        version: int = rows[0][0]
        if version > schema.VERSION:
            raise FixityError(
                self.path,
                f"ledger schema version {version} was written by a newer version of this software,"
                f" which reads up to {schema.VERSION}",
            )
        why = schema.not_a_ledger(db, version)
        if why:
            raise FixityError(self.path, f"not a fixity ledger: {why} (left unchanged)")
        return version

    # -- reading ---------------------------------------------------------------------------------------

    @_timed
    def bags(self) -> list[BagRecord]:
        rows = self._db.execute(sql.ALL_BAGS).fetchall()
        return [_bag(row) for row in rows]

    @_timed
    def find(self, bag: str) -> list[BagRecord]:
        """Bags whose path (as given or resolved) or identity is `bag`."""
        rows = self._db.execute(
            sql.BAGS_AT_PATHS, (_stored(bag), _stored(str(Path(bag).resolve())))
        ).fetchall()
        if not rows:
            rows = self._db.execute(sql.BAGS_WITH_IDENTITY, (_stored(bag),)).fetchall()
        found = [_bag(row) for row in rows]
        for record in found:  # shown whole by `history`; a run decodes anchors in the workers
            if record.anchor is not None:
                _check_anchor(record.id, record.anchor)
        return found

    @_timed
    def events(self, bag_ids: Iterable[int]) -> list[Event]:
        """Every check of the bags, oldest first."""
        ids = list(bag_ids)
        rows = self._db.execute(sql.EVENTS_OF_BAGS.format(marks=sql.in_list(len(ids))), ids).fetchall()
        return _events(rows)

    @_timed
    def latest_events(self, bag_ids: Iterable[int]) -> dict[int, Event]:
        """The most recent check of each of the bags."""
        ids = list(bag_ids)
        if not ids:
            return {}
        rows = self._db.execute(sql.LATEST_EVENT_OF_BAGS.format(marks=sql.in_list(len(ids))), ids).fetchall()
        return {event.bag_id: event for event in _events(rows)}

    @_timed
    def checks_per_hour(self) -> dict[str, dict[str, int]]:
        """Checks per UTC hour (``YYYY-MM-DDTHH``) and outcome, oldest first: counted by the database, so
        that a history of years is never loaded whole; hours, so that a report can show one day's runs
        and put them in the site's time zone."""
        rows = self._db.execute(sql.CHECKS_PER_HOUR)
        hours: dict[str, dict[str, int]] = {}
        for hour, outcome, count in rows:
            if not _is_hour(hour) or outcome not in OUTCOMES:
                raise _Damaged(f"a check ended at {_shown(hour)} with outcome {_shown(outcome)}")
            hours.setdefault(hour, {})[outcome] = count
        return hours

    @_timed
    def not_bags(self) -> dict[str, tuple[int, int]]:
        """Paths found to hold no bag, with the (size, modification time in ns) they had then."""
        if "not_bags" not in self._tables:
            return {}  # a ledger of version 1 read without upgrading it
        rows = self._db.execute(sql.NOT_BAGS)
        return {_text(path): (size, modified) for path, size, modified in rows}

    @_timed
    def attention(self, overdue_before: str | None = None) -> list[BagRecord]:
        """The bags failing or in error and, when `overdue_before` is given, those never checked or last
        checked before it; without reading the others."""
        rows = self._db.execute(sql.BAGS_NEEDING_ATTENTION, (overdue_before,)).fetchall()
        return [_bag(row) for row in rows]

    @_timed
    def replicas(self, bag: BagRecord) -> list[BagRecord]:
        """The other bags of `bag`'s replica set: the same External-Identifier and the same anchor (the
        digests of the tag manifests taken at registration), wherever and however serialized they are.
        Empty for a bag not yet anchored."""
        if bag.anchor is None:
            return []
        rows = self._db.execute(
            sql.REPLICAS_OF_BAG, (_stored_or_none(bag.identity), bag.anchor.text, bag.id)
        ).fetchall()
        return [_bag(row) for row in rows]

    @_timed
    def failing_since(self, bag_ids: Iterable[int]) -> dict[int, str]:
        """For each of the bags, when the first check after its last passing one ended (its first ever
        when none passed): since when it has not been verified. Bags whose latest check passed are left
        out."""
        ids = list(bag_ids)
        if not ids:
            return {}
        rows = self._db.execute(sql.FAILING_SINCE.format(marks=sql.in_list(len(ids))), ids)
        since = {}
        for bag, ended in rows:
            if not _is_time(ended):
                raise _Damaged(f"a check of bag {_shown(bag)} ended at {_shown(ended)}")
            since[bag] = ended
        return since

    @_timed
    def repairs(self, bag_ids: Iterable[int]) -> list[Repair]:
        """Every repair of the bags, oldest first."""
        if "repairs" not in self._tables:
            return []  # a ledger of an earlier version read without upgrading it
        ids = list(bag_ids)
        rows = self._db.execute(sql.REPAIRS_OF_BAGS.format(marks=sql.in_list(len(ids))), ids).fetchall()
        repairs = []
        for id, bag, started, ended, source, files, outcome, detail, agent in rows:
            try:
                names = json.loads(_text(files))
                if not (
                    _is_time(started)
                    and _is_time(ended)
                    and outcome in ("pass", "fail")
                    and isinstance(names, list)
                    and all(isinstance(name, str) for name in names)
                    and all(isinstance(_text(v), str) for v in (source, detail, agent))
                ):
                    raise ValueError
            except (ValueError, TypeError):
                damaged = f"the row of repair {_shown(id)} holds values this software never writes"
                raise _Damaged(damaged) from None
            repairs.append(
                Repair(
                    id, bag, started, ended, _text(source), tuple(names), outcome, _text(detail), _text(agent)
                )
            )
        return repairs

    @_timed
    def moves(self, bag_id: int) -> list[Move]:
        rows = self._db.execute(sql.MOVES_OF_BAG, (bag_id,))
        return [Move(bag, _text(old), _text(new), at) for bag, old, new, at in rows]

    # -- writing ---------------------------------------------------------------------------------------

    @_timed
    def add_found(self, found: Sequence[tuple[str, BagKind]], now: str) -> list[BagRecord]:
        """Enter the bags found (path, kind) whose paths are unknown, without an anchor yet, so that they
        can be claimed like any other: their first check (or `register`) takes the anchor. Returns the
        bags entered, in order (a path another run entered meanwhile is left to it): a first run then
        reads its thousands of bags from the ledger once, not twice."""
        with self._write() as db:
            (last,) = db.execute(sql.LAST_BAG_ID).fetchone()
            db.executemany(sql.ENTER_FOUND_BAG, [(_stored(path), kind, now) for path, kind in found])
            # A path remembered as no bag is entered again once it changed: it may be one now.
            db.execute(sql.FORGET_NOT_BAGS_ENTERED)
            # New rows take ids above the largest, and the write lock kept other runs from adding any.
            rows = db.execute(sql.BAGS_AFTER_ID, (last,))
            return [_bag(row) for row in rows.fetchall()]

    @_timed
    def register(
        self,
        bags: Sequence[NewBag],
        moved: Sequence[tuple[int, str]],
        now: str,
        not_bags: Sequence[tuple[str, NotABag]] = (),
    ) -> int:
        """Anchor new bags, record moves (bag id, new path) and forget the entries of paths that hold no
        bag, in one transaction; returns bags anchored. A path another run registered meanwhile is left
        as it is."""
        with self._write() as db:
            for bag_id, new_path in moved:
                _move(db, bag_id, new_path, now)
            for path, found in not_bags:
                _forget(db, path, found, now)
            return sum(_anchor(db, bag, now) for bag in bags)

    @_timed
    def claim(
        self, bag_ids: Sequence[int], owner: str, *, now: str, until: str, not_checked_since: str
    ) -> set[int]:
        """Claim the bags that no live run holds and nobody checked since `not_checked_since`; returns them.

        The second condition stops a run from re-checking a bag that a concurrent run finished meanwhile.
        """
        return self._claim(bag_ids, owner, now, until, not_checked_since)

    def _claim(
        self, bag_ids: Sequence[int], owner: str, now: str, until: str, not_checked_since: str
    ) -> set[int]:
        if not bag_ids:
            return set()
        with self._write() as db:
            marks = sql.in_list(len(bag_ids))
            claimed = db.execute(
                sql.CLAIM_FREE_BAGS.format(marks=marks), (owner, until, *bag_ids, not_checked_since, now)
            ).rowcount
            if claimed == len(bag_ids):
                return set(bag_ids)  # the common case: none was held or checked meanwhile
            rows = db.execute(
                sql.CLAIMS_OF_DUE_BAGS.format(marks=marks), (*bag_ids, not_checked_since)
            ).fetchall()
            mine = {bag_id for bag_id, holder, lease in rows if (holder, lease) == (owner, until)}
            # Claims of a run on this host that died are taken over at once, whatever their lease.
            orphaned = [
                bag_id for bag_id, holder, _ in rows if holder not in (None, owner) and _owner_dead(holder)
            ]
            if orphaned:
                db.execute(
                    sql.TAKE_OVER_CLAIMS.format(marks=sql.in_list(len(orphaned))), (owner, until, *orphaned)
                )
            return mine | set(orphaned)

    @_timed
    def record(self, checks: Sequence[Recording], owner: str, *, agent: str, now: str) -> None:
        """Append an event per complete check and update the bags, anchoring first-checked ones (a move
        recorded at `now` for a bag found moved); one transaction."""
        self._record(checks, owner, agent, now)

    def record_behind(self, checks: Sequence[Recording], owner: str, *, agent: str, now: str) -> None:
        """`record` in a thread of the ledger's own, returning at once, so that the checks are committed
        while the caller waits for other work (a run, for its workers' hashing) instead of before it.
        The next ledger call waits for that commit first: the ledger's writes keep their order, a killed
        run loses only these checks and those in flight, and an error met recording them is raised
        there. Only this thread and the writer use the connection, one at a time."""
        with self._clocked():
            self._hand_over(partial(self._record, tuple(checks), owner, agent, now))

    def claim_behind(
        self, bag_ids: Sequence[int], owner: str, *, now: str, until: str, not_checked_since: str
    ) -> Future[set[int]]:
        """`claim` in the writer thread, after the writes handed to it before, returning at once: a run
        claims the bags of its next batches while its workers hash. What was claimed is read with
        `claimed`; until then nothing else is decided on it."""
        with self._clocked():
            claim = partial(self._claim, tuple(bag_ids), owner, now, until, not_checked_since)
            return self._hand_over(claim)

    @_timed
    def claimed(self, ticket: Future[set[int]]) -> set[int]:
        """The bags a `claim_behind` claimed, once the writes handed over are committed."""
        return ticket.result()

    def _hand_over(self, write: Callable[[], _R]) -> Future[_R]:
        """Run `write` in the writer thread, after the writes handed to it before; the next ledger call
        waits for them all (`_settle`)."""
        if self._writer is None:
            # Imported here: only a run writes behind; status, history and reports never do.
            from concurrent.futures import ThreadPoolExecutor

            self._writer = ThreadPoolExecutor(1, thread_name_prefix="ledger-writer")
        future = self._writer.submit(self._behind_write, write)
        self._behind.append(future)
        return future

    def _behind_write(self, write: Callable[[], _R]) -> _R:
        started = time.perf_counter()
        try:
            with self._guarded():
                return write()
        finally:
            self.behind_seconds += time.perf_counter() - started

    def _start_log(self) -> None:
        """Write the log's first frame, if it has none: the database's user version, unchanged."""
        (version,) = self._db.execute("PRAGMA user_version").fetchone()
        self._db.execute(f"PRAGMA user_version = {int(version)}")

    def _record(self, checks: Sequence[Recording], owner: str, agent: str, now: str) -> None:
        events = []
        updates = []
        # Most checks change only a bag's status and time: one statement per outcome updates them all.
        unchanged: dict[tuple[str, str], list[int]] = {}
        with self._write() as db:
            for check in checks:
                result = check.result
                if isinstance(check.first, NotABag):
                    _forget(db, result.path, check.first, now)
                    continue
                bag_id = result.bag_id
                problems = (
                    _stored(json.dumps([p.to_json() for p in result.problems], ensure_ascii=False))
                    if result.problems
                    else "[]"  # the common case, without the cost of the encoder
                )
                if check.first is None and result.bytes_read in (0, check.size):
                    unchanged.setdefault((result.outcome, check.ended), []).append(bag_id)
                else:
                    identity = anchor = None
                    size = result.bytes_read
                    if isinstance(check.first, NewBag):
                        identity, anchor = _stored_or_none(check.first.identity), check.first.anchor.text
                        size = size or check.first.size or 0
                    elif check.first is not None:
                        bag_id = _move(db, *check.first, now) or bag_id
                    updates.append((result.outcome, check.ended, size, owner, anchor, identity, bag_id))
                events.append(
                    (bag_id, check.started, check.ended, result.bytes_read, result.outcome, problems, agent)
                )
            db.executemany(sql.ADD_EVENT, events)
            # The claim is given back with the outcome.
            for (outcome, ended), ids in unchanged.items():
                db.execute(
                    sql.RECORD_UNCHANGED_BAGS.format(marks=sql.in_list(len(ids))),
                    (outcome, ended, owner, *ids),
                )
            db.executemany(sql.RECORD_CHECKED_BAG, updates)

    @_timed
    def record_repair(
        self,
        bag_id: int,
        *,
        started: str,
        ended: str,
        source: str,
        files: Sequence[str],
        outcome: str,
        detail: str,
        agent: str,
    ) -> None:
        with self._write() as db:
            db.execute(
                sql.ADD_REPAIR,
                (
                    bag_id,
                    started,
                    ended,
                    _stored(source),
                    _stored(json.dumps(list(files), ensure_ascii=False)),
                    outcome,
                    _stored(detail),
                    agent,
                ),
            )

    @_timed
    def release(self, owner: str) -> None:
        """Give back the claims of `owner` that it did not complete (a run stopping early)."""
        with self._write() as db:
            db.execute(sql.RELEASE_CLAIMS_OF_OWNER, (owner,))


def _anchor(db: sqlite3.Connection, bag: NewBag, now: str) -> bool:
    """Anchor the bag entered at `bag.path` (or add it); False when it is anchored already."""
    cursor = db.execute(
        sql.ANCHOR_ENTERED_BAG, (_stored_or_none(bag.identity), bag.anchor.text, bag.size, _stored(bag.path))
    )
    if cursor.rowcount:
        return True
    cursor = db.execute(
        sql.ADD_ANCHORED_BAG,
        (_stored_or_none(bag.identity), _stored(bag.path), bag.kind, bag.anchor.text, now, bag.size),
    )
    return cursor.rowcount > 0


def _forget(db: sqlite3.Connection, path: str, found: NotABag, now: str) -> None:
    """Drop the unanchored entry made at `path` when it was found, and remember that it holds no bag.

    Events of such an entry (a ledger of version 1 recorded the failed reads of non-bags) go with it.
    """
    db.execute(sql.FORGET_EVENTS_OF_ENTRY, (_stored(path),))
    db.execute(sql.FORGET_ENTRY, (_stored(path),))
    db.execute(
        sql.REMEMBER_NOT_BAG, (_stored(path), found.size, found.modified_ns, _stored(found.reason), now)
    )


def _move(db: sqlite3.Connection, bag_id: int, new_path: str, now: str) -> int | None:
    """Record that bag `bag_id` is now at `new_path`, folding the unanchored entry made there when it
    was found into it; None when the path is taken by an anchored bag or the bag is unknown."""
    row = db.execute(sql.PATH_OF_BAG, (bag_id,)).fetchone()
    taken = db.execute(sql.BAG_AT_PATH, (_stored(new_path),)).fetchone()
    if row is None or (taken is not None and taken[1] != "null"):
        return None
    if taken is not None:
        db.execute(sql.HAND_EVENTS_TO_BAG, (bag_id, taken[0]))
        db.execute(sql.DELETE_BAG, (taken[0],))
    db.execute(sql.SET_PATH_OF_BAG, (_stored(new_path), bag_id))
    db.execute(sql.ADD_MOVE, (bag_id, row[0], _stored(new_path), now))  # the old path as stored
    return bag_id


def _bag(row: tuple[Any, ...]) -> BagRecord:
    id, identity, path, kind, anchor, registered_at, last_checked_at, status, size = row
    if type(path) is bytes or type(identity) is bytes:  # rare: a name that is not UTF-8 (see `_stored`)
        identity, path = _text(identity), _text(path)
    # Exact types: a run reads every bag, and this is cheaper than isinstance.
    if not (
        type(path) is str
        and kind in BAG_KINDS
        and type(anchor) is str
        and _is_time_like(registered_at)
        and (identity is None or type(identity) is str)
        and (last_checked_at is None or _is_time_like(last_checked_at))
        and status in STATUSES
        and (size is None or type(size) is int)
    ):
        raise _Damaged(f"the row of bag {_shown(id)} holds values this software never writes")
    return BagRecord(
        id,
        identity,
        path,
        kind,
        None if anchor == "null" else Anchor(anchor),
        registered_at,
        last_checked_at,
        status,
        size,
    )


def _check_anchor(bag_id: int, anchor: Anchor) -> None:
    """The anchor must map tag file names to digests."""
    try:
        _ = anchor.digests
    except ValueError:
        raise _Damaged(f"the anchor of bag {_shown(bag_id)} is not one this software writes") from None


def _events(rows: Iterable[tuple[Any, ...]]) -> list[Event]:
    events = []
    for id, bag, started, ended, size, outcome, problems, agent in rows:
        try:
            if not (
                _is_time(started)
                and _is_time(ended)
                and isinstance(size, int)
                and outcome in OUTCOMES
                and isinstance(agent, str)
            ):
                raise ValueError
            decoded = tuple(Problem.from_json(p) for p in json.loads(_text(problems)))
        except (ValueError, TypeError, KeyError, AttributeError):
            raise _Damaged(f"the row of event {_shown(id)} holds values this software never writes") from None
        events.append(Event(id, bag, started, ended, size, outcome, decoded, agent))
    return events


def _is_time_like(value: object) -> bool:
    """Of `format_time`'s length, ASCII and printable (no terminal control sequence): read for every
    bag a run reads, so this and not `parse_time`, which takes ten times as long."""
    return type(value) is str and len(value) == _TIME_LENGTH and value.isascii() and value.isprintable()


def _is_time(value: object) -> bool:
    try:
        parse_time(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return True


def _is_hour(value: object) -> bool:
    if type(value) is not str or len(value) != len("2026-03-01T08"):  # strptime takes '2026-3-1T8'
        return False
    try:
        datetime.strptime(value, "%Y-%m-%dT%H")
    except (TypeError, ValueError):
        return False
    return True


def _stored_or_none(text: str | None) -> str | bytes | None:
    return None if text is None else _stored(text)
