"""The ledger's SQL statements, each named for what it does (the tables are in `schema`).

A statement with ``{marks}`` takes a list of ids: `in_list` gives its placeholders. Every value is bound,
never formatted in; ``'null'`` is the anchor of a bag entered when found and not yet registered.
"""

from __future__ import annotations

BAG_COLUMNS = "id, identity, path, kind, anchor, registered_at, last_checked_at, status, size"
"""As `ledger._bag` reads them."""
EVENT_COLUMNS = "id, bag, started, ended, bytes, outcome, problems, agent"
"""As `ledger._events` reads them."""


def in_list(count: int) -> str:
    """The placeholders of a list of `count` values, for a statement's ``{marks}``."""
    return ",".join("?" * count)


# -- what the file is ----------------------------------------------------------------------------------------

ANY_SCHEMA_OBJECT = "SELECT 1 FROM sqlite_master LIMIT 1"
TABLE_NAMES = "SELECT name FROM sqlite_master WHERE type = 'table'"
SCHEMA_VERSIONS = "SELECT version FROM schema_version LIMIT 2"
"""Two at most: a ledger holds one."""

# -- reading -------------------------------------------------------------------------------------------------

ALL_BAGS = f"SELECT {BAG_COLUMNS} FROM bags ORDER BY id"
BAGS_AT_PATHS = f"SELECT {BAG_COLUMNS} FROM bags WHERE path IN (?, ?) ORDER BY id"
BAGS_WITH_IDENTITY = f"SELECT {BAG_COLUMNS} FROM bags WHERE identity = ? ORDER BY id"
BAGS_AFTER_ID = f"SELECT {BAG_COLUMNS} FROM bags WHERE id > ? ORDER BY id"
BAGS_NEEDING_ATTENTION = (
    f"SELECT {BAG_COLUMNS} FROM bags WHERE status = 'fail' OR status = 'error'"
    " OR (?1 IS NOT NULL AND (last_checked_at IS NULL OR last_checked_at < ?1)) ORDER BY id"
)
"""Failing or in error, and with ?1 (a time) those never checked or last checked before it."""
REPLICAS_OF_BAG = f"SELECT {BAG_COLUMNS} FROM bags WHERE identity IS ? AND anchor = ? AND id != ? ORDER BY id"
"""The other bags with the same identity and anchor."""
LAST_BAG_ID = "SELECT COALESCE(MAX(id), 0) FROM bags"
EVENTS_OF_BAGS = "SELECT " + EVENT_COLUMNS + " FROM events WHERE bag IN ({marks}) ORDER BY started, id"
LATEST_EVENT_OF_BAGS = (
    "SELECT " + EVENT_COLUMNS + " FROM events WHERE id IN"
    " (SELECT MAX(id) FROM events WHERE bag IN ({marks}) GROUP BY bag)"
)
CHECKS_PER_HOUR = (
    "SELECT substr(ended, 1, 13) AS hour, outcome, COUNT(*) FROM events GROUP BY hour, outcome ORDER BY hour"
)
"""Counted per UTC hour (``YYYY-MM-DDTHH``) and outcome."""
FAILING_SINCE = (
    "SELECT bag, MIN(ended) FROM events AS e WHERE bag IN ({marks}) AND id > COALESCE("
    "(SELECT MAX(id) FROM events WHERE bag = e.bag AND outcome = 'pass'), 0) GROUP BY bag"
)
"""For each bag, when the first check after its last passing one ended."""
REPAIRS_OF_BAGS = (
    "SELECT id, bag, started, ended, source, files, outcome, detail, agent FROM repairs"
    " WHERE bag IN ({marks}) ORDER BY started, id"
)
MOVES_OF_BAG = "SELECT bag, from_path, to_path, at FROM moves WHERE bag = ? ORDER BY id"
NOT_BAGS = "SELECT path, size, modified_ns FROM not_bags"
PATH_OF_BAG = "SELECT path FROM bags WHERE id = ?"
BAG_AT_PATH = "SELECT id, anchor FROM bags WHERE path = ?"

# -- entering and registering bags ---------------------------------------------------------------------------

ENTER_FOUND_BAG = "INSERT OR IGNORE INTO bags (path, kind, anchor, registered_at) VALUES (?, ?, 'null', ?)"
"""Without an anchor yet; a path already known is left as it is."""
FORGET_NOT_BAGS_ENTERED = "DELETE FROM not_bags WHERE path IN (SELECT path FROM bags)"
"""A path remembered as no bag, entered again because it changed."""
ANCHOR_ENTERED_BAG = (
    "UPDATE bags SET identity = ?, anchor = ?, size = COALESCE(size, ?) WHERE path = ? AND anchor = 'null'"
)
ADD_ANCHORED_BAG = (
    "INSERT OR IGNORE INTO bags (identity, path, kind, anchor, registered_at, size) VALUES (?, ?, ?, ?, ?, ?)"
)
FORGET_EVENTS_OF_ENTRY = (
    "DELETE FROM events WHERE bag IN (SELECT id FROM bags WHERE path = ? AND anchor = 'null')"
)
FORGET_ENTRY = "DELETE FROM bags WHERE path = ? AND anchor = 'null'"
REMEMBER_NOT_BAG = (
    "INSERT OR REPLACE INTO not_bags (path, size, modified_ns, reason, found_at) VALUES (?, ?, ?, ?, ?)"
)

# -- moves ---------------------------------------------------------------------------------------------------

HAND_EVENTS_TO_BAG = "UPDATE events SET bag = ? WHERE bag = ?"
DELETE_BAG = "DELETE FROM bags WHERE id = ?"
SET_PATH_OF_BAG = "UPDATE bags SET path = ? WHERE id = ?"
ADD_MOVE = "INSERT INTO moves (bag, from_path, to_path, at) VALUES (?, ?, ?, ?)"

# -- claims --------------------------------------------------------------------------------------------------

_DUE = "id IN ({marks}) AND (last_checked_at IS NULL OR last_checked_at < ?)"
CLAIM_FREE_BAGS = (
    "UPDATE bags SET claimed_by = ?, claimed_until = ? WHERE "
    + _DUE
    + " AND (claimed_by IS NULL OR claimed_until < ?)"
)
"""Of the bags listed, those nobody checked since the time given and no claim holds (or its lease ran out)."""
CLAIMS_OF_DUE_BAGS = "SELECT id, claimed_by, claimed_until FROM bags WHERE " + _DUE
TAKE_OVER_CLAIMS = "UPDATE bags SET claimed_by = ?, claimed_until = ? WHERE id IN ({marks})"
RELEASE_CLAIMS_OF_OWNER = "UPDATE bags SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = ?"

# -- recording checks and repairs ----------------------------------------------------------------------------

ADD_EVENT = (
    "INSERT INTO events (bag, started, ended, bytes, outcome, problems, agent) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
RECORD_UNCHANGED_BAGS = (
    "UPDATE bags SET status = ?1, last_checked_at = ?2,"
    " claimed_by = CASE WHEN claimed_by = ?3 THEN NULL ELSE claimed_by END,"
    " claimed_until = CASE WHEN claimed_by = ?3 THEN NULL ELSE claimed_until END"
    " WHERE id IN ({marks})"
)
"""Status and time of bags whose check changed nothing else, the claim of owner ?3 given back; the ids
follow ?3."""
RECORD_CHECKED_BAG = (
    "UPDATE bags SET status = ?1, last_checked_at = ?2, size = COALESCE(NULLIF(?3, 0), size),"
    " claimed_by = CASE WHEN claimed_by = ?4 THEN NULL ELSE claimed_by END,"
    " claimed_until = CASE WHEN claimed_by = ?4 THEN NULL ELSE claimed_until END,"
    " identity = CASE WHEN ?5 IS NOT NULL AND anchor = 'null' THEN ?6 ELSE identity END,"
    " anchor = CASE WHEN ?5 IS NOT NULL AND anchor = 'null' THEN ?5 ELSE anchor END"
    " WHERE id = ?7"
)
"""Status, time and size (a gone bag read 0 bytes: the size known from before stays, for --max-bytes
planning), the claim of owner ?4 given back, and after a first check the anchor ?5 and identity ?6."""
ADD_REPAIR = (
    "INSERT INTO repairs (bag, started, ended, source, files, outcome, detail, agent)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
