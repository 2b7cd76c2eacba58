"""Checkpoint the ledger's write-ahead log from a thread of its own.

SQLite's automatic checkpoint runs inside whichever COMMIT lets the log grow past its limit, and with
``synchronous=NORMAL`` a checkpoint is where the fsyncs happen: that commit stalls for tens of
milliseconds while the workers' results wait. A writer that must not stall turns automatic checkpoints
off and checkpoints elsewhere (SQLite's "Write-Ahead Logging", section on checkpointing). A passive
checkpoint never blocks the writer, and costs nothing when the log holds nothing new; the last
connection to close checkpoints whatever is left.

One fsync is left in the writer: once a checkpoint has copied the whole log into the database, the next
commit starts the log over, and SQLite syncs the log's new header inside that commit (on a busy disk,
hundreds of milliseconds). So the thread keeps a read transaction open on the newest commit it has
copied: a log that a reader still uses is never started over, and grows instead, until it holds
`RESTART_BYTES`; then the thread lets go once, and one commit pays for one restart.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

INTERVAL_SECONDS = 0.5
"""Between checkpoints: the last one, at close, then has little left to copy."""
RESTART_BYTES = 64 << 20
"""The log may grow to about this before a commit starts it over."""


class Checkpointer:
    def __init__(
        self, database: Path, *, interval: float = INTERVAL_SECONDS, restart_bytes: int = RESTART_BYTES
    ) -> None:
        self._interval = interval
        self._restart_bytes = restart_bytes
        self._db = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
        self._page_size: int = self._db.execute("PRAGMA page_size").fetchone()[0]
        self._reader = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
        self._short = True
        """The log is short enough to be held: the reader lets go once it holds `restart_bytes`."""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ledger-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                if not self._reader.in_transaction and self._short:
                    self._begin()  # before the copy, while some of the log is not copied yet
                _, frames, copied = self._db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                self._short = frames * self._page_size < self._restart_bytes
                # Commits after the snapshot: hold the newest instead (or let go of a long log).
                if self._reader.in_transaction and (copied < frames or not self._short):
                    self._reader.execute("COMMIT")
                    if self._short:
                        self._begin()
            except sqlite3.Error:
                continue  # the next one, or the final close, checkpoints

    def _begin(self) -> None:
        """Begin the read transaction on the newest commit. Only ever while part of the log is not copied
        into the database: on a log copied whole, a reader reads the database alone, and holds nothing."""
        self._reader.execute("BEGIN")
        self._reader.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()  # takes the snapshot

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._reader.close()
        self._db.close()
