"""The pure scheduler, and the ledger's schema and claims."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from preservation.fixity.ledger import SCHEMA_VERSION, Ledger, NewBag
from preservation.fixity.model import Anchor, BagRecord, FixityError, format_time
from preservation.fixity.schedule import Budget, select
from tests.fixity.bags import T0


def _bag(id: int, last: int | None, size: int = 100, registered: int = 0) -> BagRecord:
    when = format_time(T0 - timedelta(days=last)) if last is not None else None
    return BagRecord(
        id,
        f"urn:{id}",
        f"/b/{id}",
        "directory",
        Anchor.of({}),
        format_time(T0 + timedelta(seconds=registered)),
        when,
        "pass",
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


def _new(path: str) -> NewBag:
    return NewBag("urn:x", path, "directory", Anchor.of({"tagmanifest-sha512.txt": "ab"}), 10)


def test_schema_wal_and_version(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite") as ledger:
        ledger.register([_new("/a")], [], format_time(T0))
    db = sqlite3.connect(tmp_path / "l.sqlite")
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert db.execute("SELECT version FROM schema_version").fetchone() == (SCHEMA_VERSION,)
    db.execute("UPDATE schema_version SET version = 99")
    db.commit()
    db.close()
    with pytest.raises(FixityError, match="schema version 99"):
        Ledger(tmp_path / "l.sqlite")


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
