"""The pure scheduler, and the ledger's schema and claims."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from preservation.fixity import schema
from preservation.fixity.checkpoint import Checkpointer
from preservation.fixity.ledger import Ledger, NewBag, Recording, new_owner
from preservation.fixity.model import Anchor, BagRecord, CheckResult, FixityError, format_time
from preservation.fixity.schedule import Budget, select
from tests.fixity.bags import T0


def _bag(id: int, last: int | None, size: int = 100, registered: int = 0, status: str = "pass") -> BagRecord:
    when = format_time(T0 - timedelta(days=last)) if last is not None else None
    return BagRecord(
        id,
        f"urn:{id}",
        f"/b/{id}",
        "directory",
        Anchor.of({}),
        format_time(T0 + timedelta(seconds=registered)),
        when,
        status,
        size,
    )


BAGS = [_bag(1, 10), _bag(2, None, registered=5), _bag(3, 200), _bag(4, None, registered=1), _bag(5, 100)]


def _ids(bags: tuple[BagRecord, ...]) -> list[int]:
    return [bag.id for bag in bags]


def test_never_checked_first_then_oldest() -> None:
    assert _ids(select(BAGS, now=T0, check_all=True).due) == [4, 2, 3, 5, 1]


def test_older_than() -> None:
    selection = select(BAGS, now=T0, older_than=timedelta(days=90))
    assert _ids(selection.due) == [4, 2, 3, 5]
    assert _ids(select(BAGS, now=T0, older_than=timedelta(days=150)).due) == [4, 2, 3]


def test_budgets() -> None:
    assert _ids(select(BAGS, now=T0, check_all=True, budget=Budget(max_bags=2)).due) == [4, 2]
    selection = select(BAGS, now=T0, check_all=True, budget=Budget(max_bytes=250))
    assert (_ids(selection.due), _ids(selection.deferred)) == ([4, 2], [3, 5, 1])
    assert _ids(select(BAGS, now=T0, check_all=True, budget=Budget(max_bytes=1)).due) == [4]  # never starves


def test_failing_bags_and_bags_in_error_are_due_at_every_run_ahead_of_any_budget() -> None:
    loud = [_bag(6, 1, status="fail"), _bag(7, 2, status="error"), _bag(8, 3, size=10**9, status="fail")]
    selection = select([*BAGS, *loud], now=T0, budget=Budget(max_bags=1))  # checked a day ago, yet due
    assert (_ids(selection.due), _ids(selection.deferred)) == ([8, 7, 6, 4], [2, 3, 5])
    selection = select([*BAGS, *loud], now=T0, budget=Budget(max_bytes=150))
    assert _ids(selection.due) == [8, 7, 6, 4]


def _new(path: str) -> NewBag:
    return NewBag("urn:x", path, "directory", Anchor.of({"tagmanifest-sha512.txt": "ab"}), 10)


def test_schema_wal_and_version(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite") as ledger:
        ledger.register([_new("/a")], [], format_time(T0))
    db = sqlite3.connect(tmp_path / "l.sqlite")
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert db.execute("SELECT version FROM schema_version").fetchone() == (schema.VERSION,)
    db.execute("UPDATE schema_version SET version = 99")
    db.commit()
    db.close()
    with pytest.raises(FixityError, match="schema version 99"):
        Ledger(tmp_path / "l.sqlite")


# What version 1 of this software wrote; kept verbatim to test the upgrade of real old ledgers.
_VERSION_1 = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE bags (
    id INTEGER PRIMARY KEY,
    identity TEXT,
    path TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('directory', 'tar', 'zip')),
    anchor TEXT NOT NULL,
    registered_at TEXT NOT NULL,
    last_checked_at TEXT,
    status TEXT NOT NULL DEFAULT 'unchecked' CHECK (status IN ('unchecked', 'pass', 'fail', 'error')),
    size INTEGER,
    claimed_by TEXT,
    claimed_until TEXT
);
CREATE INDEX bags_identity ON bags (identity);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    bag INTEGER NOT NULL REFERENCES bags (id),
    started TEXT NOT NULL,
    ended TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('pass', 'fail', 'error')),
    problems TEXT NOT NULL,
    agent TEXT NOT NULL
);
CREATE INDEX events_bag ON events (bag, started);
CREATE TABLE moves (
    id INTEGER PRIMARY KEY,
    bag INTEGER NOT NULL REFERENCES bags (id),
    from_path TEXT NOT NULL,
    to_path TEXT NOT NULL,
    at TEXT NOT NULL
);
INSERT INTO schema_version VALUES (1);
INSERT INTO bags VALUES (1, 'urn:a', '/new/a', 'directory', '{"tagmanifest-sha512.txt": "ab"}',
    '2026-01-01T00:00:00.000000Z', '2026-02-01T00:00:00.000000Z', 'fail', 10, NULL, NULL);
INSERT INTO events VALUES (1, 1, '2026-02-01T00:00:00.000000Z', '2026-02-01T00:00:01.000000Z', 10, 'fail',
    '[{"kind": "changed", "file": "data/a.txt", "detail": "sha512 differs"}]', 'preservation 0.1.0');
INSERT INTO moves VALUES (1, 1, '/old/a', '/new/a', '2026-01-15T00:00:00.000000Z');
"""


def test_a_version_1_ledger_is_upgraded_keeping_every_row(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    old = sqlite3.connect(path)
    old.executescript(_VERSION_1)
    old.close()
    with Ledger(path) as ledger:
        [bag] = ledger.bags()
        [event] = ledger.events([bag.id])
        [move] = ledger.moves(1)
    assert (bag.identity, bag.path, bag.status, bag.size) == ("urn:a", "/new/a", "fail", 10)
    assert bag.anchor == Anchor.of({"tagmanifest-sha512.txt": "ab"})
    assert (event.outcome, [p.file for p in event.problems]) == ("fail", ["data/a.txt"])
    assert (move.from_path, move.to_path) == ("/old/a", "/new/a")
    Ledger(tmp_path / "fresh.sqlite").close()
    # The same tables and indexes as a ledger made new (renaming a table makes SQLite quote its name).
    definitions = "SELECT type, name, replace(sql, '\"', '') FROM sqlite_master ORDER BY name"
    db = sqlite3.connect(path)
    fresh = sqlite3.connect(tmp_path / "fresh.sqlite")
    assert db.execute(definitions).fetchall() == fresh.execute(definitions).fetchall()
    assert db.execute("SELECT version FROM schema_version").fetchone() == (schema.VERSION,)


# What version 2 wrote (the schema as its ledgers hold it), with a row in every table.
_VERSION_2 = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE bags (
    id INTEGER PRIMARY KEY,
    identity TEXT,
    path TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind = 'directory' OR kind = 'tar' OR kind = 'zip'),
    anchor TEXT NOT NULL,
    registered_at TEXT NOT NULL,
    last_checked_at TEXT,
    status TEXT NOT NULL DEFAULT 'unchecked'
        CHECK (status = 'unchecked' OR status = 'pass' OR status = 'fail' OR status = 'error'),
    size INTEGER,
    claimed_by TEXT,
    claimed_until TEXT
);
CREATE INDEX bags_identity ON bags (identity);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    bag INTEGER NOT NULL REFERENCES bags (id),
    started TEXT NOT NULL,
    ended TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome = 'pass' OR outcome = 'fail' OR outcome = 'error'),
    problems TEXT NOT NULL,
    agent TEXT NOT NULL
);
CREATE INDEX events_bag ON events (bag, started);
CREATE TABLE moves (
    id INTEGER PRIMARY KEY,
    bag INTEGER NOT NULL REFERENCES bags (id),
    from_path TEXT NOT NULL,
    to_path TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE not_bags (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    modified_ns INTEGER NOT NULL,
    reason TEXT NOT NULL,
    found_at TEXT NOT NULL
);
INSERT INTO schema_version VALUES (2);
INSERT INTO bags VALUES (1, 'urn:a', '/new/a', 'directory', '{"tagmanifest-sha512.txt": "ab"}',
    '2026-01-01T00:00:00.000000Z', '2026-02-01T00:00:00.000000Z', 'fail', 10, NULL, NULL);
INSERT INTO bags VALUES (2, 'urn:a', '/copy/a', 'directory', '{"tagmanifest-sha512.txt": "ab"}',
    '2026-01-01T00:00:00.000000Z', '2026-02-01T00:00:00.000000Z', 'pass', 10, NULL, NULL);
INSERT INTO events VALUES (1, 1, '2026-02-01T00:00:00.000000Z', '2026-02-01T00:00:01.000000Z', 10, 'fail',
    '[{"kind": "changed", "file": "data/a.txt", "detail": "sha512 differs"}]', 'preservation 0.1.0');
INSERT INTO moves VALUES (1, 1, '/old/a', '/new/a', '2026-01-15T00:00:00.000000Z');
INSERT INTO not_bags VALUES ('/new/scans.zip', 20, 1000, 'no bagit.txt in its top-level folder',
    '2026-01-01T00:00:00.000000Z');
"""


def test_a_version_2_ledger_is_upgraded_keeping_every_row_and_can_record_repairs(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    old = sqlite3.connect(path)
    old.executescript(_VERSION_2)
    old.close()
    with Ledger(path, read_only=True) as ledger:  # read as it is, without upgrading it
        assert ledger.repairs([1]) == [] and len(ledger.bags()) == 2
    with Ledger(path) as ledger:
        failing, copy = ledger.bags()
        assert (failing.path, failing.status, copy.path) == ("/new/a", "fail", "/copy/a")
        assert [event.outcome for event in ledger.events([1])] == ["fail"]
        assert [move.from_path for move in ledger.moves(1)] == ["/old/a"]
        assert ledger.not_bags() == {"/new/scans.zip": (20, 1000)}
        assert ledger.replicas(failing) == [copy]
        assert ledger.failing_since([1, 2]) == {1: "2026-02-01T00:00:01.000000Z"}
        ledger.record_repair(
            1,
            started="2026-03-01T00:00:00.000000Z",
            ended="2026-03-01T00:00:01.000000Z",
            source="/copy/a",
            files=["data/a.txt"],
            outcome="pass",
            detail="restored",
            agent="preservation 0.2.0",
        )
        [repair] = ledger.repairs([1])
        assert (repair.source, repair.files, repair.outcome) == ("/copy/a", ("data/a.txt",), "pass")
        ledger._db.execute("UPDATE repairs SET files = 7")  # a row this software never writes
        with pytest.raises(FixityError, match="damaged fixity ledger: the row of repair 1 holds values"):
            ledger.repairs([1])
    Ledger(tmp_path / "fresh.sqlite").close()
    definitions = "SELECT type, name, replace(sql, '\"', '') FROM sqlite_master ORDER BY name"
    db = sqlite3.connect(path)
    fresh = sqlite3.connect(tmp_path / "fresh.sqlite")
    assert db.execute(definitions).fetchall() == fresh.execute(definitions).fetchall()
    assert db.execute("SELECT version FROM schema_version").fetchone() == (schema.VERSION,)


def test_replica_sets_are_the_bags_sharing_identity_and_anchor(tmp_path: Path) -> None:
    anchor, other = Anchor.of({"tagmanifest-sha512.txt": "ab"}), Anchor.of({"tagmanifest-sha512.txt": "cd"})
    bags = [
        NewBag("urn:x", "/a", "directory", anchor, 10),
        NewBag("urn:x", "/b.tar", "tar", anchor, 10),
        NewBag("urn:x", "/c", "directory", other, 10),  # rewritten since: not a copy of the same bag
        NewBag("urn:y", "/d", "directory", anchor, 10),  # another bag that happens to share the anchor
        NewBag(None, "/e", "directory", anchor, 10),
        NewBag(None, "/f", "directory", anchor, 10),
    ]
    with Ledger(tmp_path / "l.sqlite") as ledger:
        ledger.register(bags, [], format_time(T0))
        by_path = {bag.path: bag for bag in ledger.bags()}
        assert [bag.path for bag in ledger.replicas(by_path["/a"])] == ["/b.tar"]
        assert [bag.path for bag in ledger.replicas(by_path["/c"])] == []
        assert [bag.path for bag in ledger.replicas(by_path["/e"])] == ["/f"]


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO bags (path, kind, anchor, registered_at) VALUES ('/b', 'folder', 'null', 't')",
        "UPDATE bags SET status = 'ok'",
        "INSERT INTO events (bag, started, ended, bytes, outcome, problems, agent)"
        " VALUES (1, 't', 't', 0, 'passed', '[]', 'x')",
        "INSERT INTO events (bag, started, ended, bytes, outcome, problems, agent)"
        " VALUES (99, 't', 't', 0, 'pass', '[]', 'x')",
    ],
)
def test_the_ledger_refuses_rows_outside_its_vocabulary(tmp_path: Path, statement: str) -> None:
    with Ledger(tmp_path / "l.sqlite") as ledger:
        ledger.register([_new("/a")], [], format_time(T0))
        with pytest.raises(sqlite3.IntegrityError):
            ledger._db.execute(statement)


def test_claims_are_exclusive_across_connections(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    with Ledger(path) as one, Ledger(path) as two:
        one.register([_new(f"/b{i}") for i in range(4)], [], format_time(T0))
        ids = [bag.id for bag in one.bags()]
        now, until, since = format_time(T0), format_time(T0 + timedelta(hours=1)), format_time(T0)
        first = one.claim(ids[:3], "host:1:a", now=now, until=until, not_checked_since=since)
        second = two.claim(ids, "host:1:b", now=now, until=until, not_checked_since=since)
        assert first == set(ids[:3]) and second == {ids[3]}
        later = format_time(T0 + timedelta(hours=2))  # the lease has run out
        assert two.claim(ids[:1], "host:1:b", now=later, until=later, not_checked_since=since) == {ids[0]}


def test_claims_of_a_dead_run_on_this_host_are_taken_over_before_their_lease_ends(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite") as ledger:
        ledger.register([_new(f"/b{i}") for i in range(3)], [], format_time(T0))
        ids = [bag.id for bag in ledger.bags()]
        now, until, since = format_time(T0), format_time(T0 + timedelta(hours=6)), format_time(T0)
        finished = subprocess.Popen([sys.executable, "-c", ""])
        finished.wait()
        dead = f"{socket.gethostname()}:{finished.pid}:0"
        assert ledger.claim(ids[:2], dead, now=now, until=until, not_checked_since=since) == set(ids[:2])
        live = new_owner()
        assert ledger.claim(ids, live, now=now, until=until, not_checked_since=since) == set(ids)
        other_host = "elsewhere:1:0"  # a run on another machine: only its lease can tell it is gone
        assert ledger.claim(ids, other_host, now=now, until=until, not_checked_since=since) == set()


def test_checkpoints_run_beside_a_writer_that_never_checkpoints(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("CREATE TABLE t (x BLOB)")
    for _ in range(20):
        writer.executemany("INSERT INTO t VALUES (?)", [(os.urandom(1024),)] * 50)
    assert path.stat().st_size < 64 << 10  # everything is still in the log
    checkpointer = Checkpointer(path, interval=0.01)
    try:
        deadline = time.monotonic() + 10
        while path.stat().st_size < 1 << 20 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        checkpointer.close()
    assert path.stat().st_size >= 1 << 20
    writer.close()


def _log_generation(path: Path) -> int:
    """The checkpoint sequence number in the write-ahead log's header: one more each time a commit
    starts the log over (and syncs its header, inside that commit)."""
    return int.from_bytes(Path(f"{path}-wal").read_bytes()[12:16], "big")


@pytest.mark.parametrize("restart_bytes", [0, 64 << 20], ids=["restart allowed", "log held"])
def test_commits_beside_the_checkpoints_do_not_start_the_log_over(restart_bytes: int, tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("CREATE TABLE t (x BLOB)")
    checkpointer = Checkpointer(path, interval=0.01, restart_bytes=restart_bytes)
    try:
        before = _log_generation(path)
        for _ in range(20):
            writer.executemany("INSERT INTO t VALUES (?)", [(os.urandom(1024),)] * 20)
            time.sleep(0.03)  # a checkpoint or two between commits
    finally:
        checkpointer.close()
    assert path.stat().st_size >= 256 << 10  # the checkpoints copied the commits into the database
    restarts = _log_generation(path) - before
    assert restarts > 0 if restart_bytes == 0 else restarts == 0
    writer.close()


def test_a_ledger_with_background_checkpoints_leaves_no_log_behind(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    with Ledger(path, background_checkpoints=True) as ledger:
        ledger.register([_new(f"/b/{i}") for i in range(500)], [], format_time(T0))
    assert not Path(f"{path}-wal").exists()
    with Ledger(path) as ledger:
        assert len(ledger.bags()) == 500


def _check(bag: BagRecord, outcome: str, minute: int) -> Recording:
    when = format_time(T0 + timedelta(minutes=minute))
    return Recording(CheckResult(bag.id, bag.path, outcome, (), 10), when, when, bag.size)  # type: ignore[arg-type]


def test_checks_recorded_behind_are_committed_by_another_thread_before_the_next_call_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A run hands its checks to the ledger's writer thread and goes on at once; whatever it asks the
    # ledger next sees them committed, in the order they were handed over.
    writers = []
    release = threading.Event()
    real = Ledger._record

    def record(self: Ledger, *args: object) -> None:
        writers.append(threading.current_thread())
        assert release.wait(10)  # held until the caller has gone on: it did not wait for this
        real(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Ledger, "_record", record)
    with Ledger(tmp_path / "l.sqlite") as ledger:
        ledger.register([_new("/a"), _new("/b")], [], format_time(T0))
        a, b = ledger.bags()
        ledger.record_behind([_check(a, "fail", 1)], new_owner(), agent="test", now=format_time(T0))
        release.set()
        ledger.record_behind([_check(a, "pass", 2), _check(b, "fail", 2)], "x", agent="test", now="")
        now, until = format_time(T0), format_time(T0 + timedelta(hours=1))
        ticket = ledger.claim_behind([a.id, b.id], "y", now=now, until=until, not_checked_since=now)
        assert [bag.status for bag in ledger.bags()] == ["pass", "fail"]
        # Claimed after the checks were recorded (checked since `now`: not claimed), by the writer.
        assert ledger.claimed(ticket) == set()
        assert ledger.claim([a.id], "z", now=now, until=until, not_checked_since=until) == {a.id}
        assert [(e.bag_id, e.outcome) for e in ledger.events([a.id, b.id])] == [
            (a.id, "fail"),
            (a.id, "pass"),
            (b.id, "fail"),
        ]
    assert len(writers) == 2 and threading.current_thread() not in writers  # the recordings


def test_an_error_recording_behind_is_raised_once_by_the_next_ledger_call(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite") as ledger:
        ledger.register([_new("/a")], [], format_time(T0))
        (bag,) = ledger.bags()
        gone = BagRecord(bag.id + 1, None, "/gone", "directory", None, bag.registered_at, None, "pass", 1)
        ledger.record_behind([_check(gone, "pass", 1)], new_owner(), agent="test", now=format_time(T0))
        with pytest.raises(FixityError, match="FOREIGN KEY"):
            ledger.bags()  # the event of a bag the ledger does not hold was refused, and nothing kept
        assert [b.status for b in ledger.bags()] == ["unchecked"]
        assert ledger.events([bag.id, gone.id]) == []
