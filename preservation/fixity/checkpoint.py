"""Checkpoint the ledger's write-ahead log from a thread of its own.

SQLite's automatic checkpoint runs inside whichever COMMIT lets the log grow past its limit, and with
``synchronous=NORMAL`` a checkpoint is where the fsyncs happen: that commit stalls for tens of
milliseconds while the workers' results wait. A writer that must not stall turns automatic checkpoints
off and checkpoints elsewhere (SQLite's "Write-Ahead Logging", section on checkpointing). A passive
checkpoint never blocks the writer, and costs nothing when the log holds nothing new; the last
connection to close checkpoints whatever is left.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

INTERVAL_SECONDS = 0.5
"""Between checkpoints: a busy run's log then stays near the 4 MiB at which SQLite would checkpoint."""


class Checkpointer:
    def __init__(self, database: Path, *, interval: float = INTERVAL_SECONDS) -> None:
        self._interval = interval
        self._db = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ledger-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.Error:
                continue  # the next one, or the final close, checkpoints

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._db.close()
