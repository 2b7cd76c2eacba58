"""The ledger's tables, and the upgrade of a ledger written by an earlier version.

Version 2 spells each CHECK constraint as a chain of ORs (SQLite evaluates a constant ``IN (...)`` list
by building a temporary table for every row written, which tripled the cost of each insert and update),
and remembers the archives found that hold no bag (``not_bags``). Version 3 records repairs (``repairs``:
which files of a bag were restored from which replica, and the outcome of re-verifying it). Replica sets
need no table: they are the bags sharing External-Identifier and anchor, found through the index on the
identity (an index on the anchor too would cost every registration for a lookup that is rare).
"""

from __future__ import annotations

import sqlite3
from functools import cache

VERSION = 3

_TABLES = {
    "schema_version": "CREATE TABLE schema_version (version INTEGER NOT NULL)",
    "bags": """CREATE TABLE bags (
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
)""",
    "events": """CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    bag INTEGER NOT NULL REFERENCES bags (id),
    started TEXT NOT NULL,
    ended TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome = 'pass' OR outcome = 'fail' OR outcome = 'error'),
    problems TEXT NOT NULL,
    agent TEXT NOT NULL
)""",
    "moves": """CREATE TABLE moves (
    id INTEGER PRIMARY KEY,
    bag INTEGER NOT NULL REFERENCES bags (id),
    from_path TEXT NOT NULL,
    to_path TEXT NOT NULL,
    at TEXT NOT NULL
)""",
    "not_bags": """CREATE TABLE not_bags (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    modified_ns INTEGER NOT NULL,
    reason TEXT NOT NULL,
    found_at TEXT NOT NULL
)""",
    "repairs": """CREATE TABLE repairs (
    id INTEGER PRIMARY KEY,
    bag INTEGER NOT NULL REFERENCES bags (id),
    started TEXT NOT NULL,
    ended TEXT NOT NULL,
    source TEXT NOT NULL,
    files TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome = 'pass' OR outcome = 'fail'),
    detail TEXT NOT NULL,
    agent TEXT NOT NULL
)""",
}
_INDEXES = {
    "bags": ["CREATE INDEX bags_identity ON bags (identity)"],
    "events": ["CREATE INDEX events_bag ON events (bag, started)"],
    "repairs": ["CREATE INDEX repairs_bag ON repairs (bag, started)"],
}
_CHANGED_IN = {2: ("bags", "events")}
"""Tables whose definition each version changed: an upgrade rebuilds them."""
_ADDED_IN = {2: ("not_bags",), 3: ("repairs",)}
"""Tables each version added: a ledger of an earlier version lacks them."""


def tables(version: int) -> list[str]:
    """The tables a ledger of `version` has (each with this version's columns: no version changed those)."""
    added = {table for v, names in _ADDED_IN.items() if v > version for table in names}
    return [table for table in _TABLES if table not in added]


def not_a_ledger(db: sqlite3.Connection, version: int) -> str | None:
    """Why `db`, whose schema_version says `version`, is no ledger of that version (a table or column
    missing), or None. Read only: a database that is not a ledger must be left as it is."""
    for table in tables(version):
        have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        if not have:
            return f"it has no table '{table}'"
        missing = [column for column in _columns()[table] if column not in have]
        if missing:
            return f"its table '{table}' lacks {', '.join(missing)}"
    return None


@cache
def _columns() -> dict[str, list[str]]:
    """Each table's columns, read from its definition."""
    db = sqlite3.connect(":memory:")
    try:
        for table in _TABLES:
            _create(db, table)
        return {table: [row[1] for row in db.execute(f"PRAGMA table_info({table})")] for table in _TABLES}
    finally:
        db.close()


def create(db: sqlite3.Connection) -> None:
    """Make the tables of an empty ledger, inside the caller's transaction."""
    for table in _TABLES:
        _create(db, table)
        _index(db, table)
    db.execute("INSERT INTO schema_version VALUES (?)", (VERSION,))


def _create(db: sqlite3.Connection, table: str, name: str | None = None) -> None:
    """`table` as this version defines it, under `name` when given."""
    db.execute(_TABLES[table].replace(f"CREATE TABLE {table} ", f"CREATE TABLE {name or table} ", 1))


def _index(db: sqlite3.Connection, table: str) -> None:
    for index in _INDEXES.get(table, []):
        db.execute(index)


def upgrade(db: sqlite3.Connection, version: int) -> None:
    """Bring a ledger of an earlier `version` to `VERSION`, keeping every row, inside the caller's
    transaction: tables added since are created, tables whose definition changed are rebuilt. Foreign
    keys must be off (SQLite's procedure for changing a table's definition)."""
    existing = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for table in _TABLES.keys() - existing:
        _create(db, table)
        _index(db, table)
    for table in sorted({t for v, tables in _CHANGED_IN.items() if v > version for t in tables}):
        _create(db, table, f"{table}_new")
        db.execute(f"INSERT INTO {table}_new SELECT * FROM {table}")
        db.execute(f"DROP TABLE {table}")
        db.execute(f"ALTER TABLE {table}_new RENAME TO {table}")
        _index(db, table)
    if db.execute("PRAGMA foreign_key_check").fetchone() is not None:
        raise sqlite3.IntegrityError("foreign key violations after the upgrade")
    db.execute("UPDATE schema_version SET version = ?", (VERSION,))
