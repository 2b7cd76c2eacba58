"""The progress journal of an unfinished export: one JSON line per bag whose file is complete.

Lines are appended and fsynced (a batch at a time) after the bags' temporary files are complete and
durable and *before* they are renamed into place; so every bag file under its final name has its
digests recorded, and a re-run keeps it without reading it again. The first line holds the settings
that decide the bytes; a re-run with other settings refuses rather than mix two kinds of files.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from preservation.durable import fsync_dir
from preservation.export.transfer import TransferItem

VERSION = 1


@dataclass(frozen=True)
class Settings:
    serialization: str
    source_date_epoch: str | None


@dataclass(frozen=True)
class Entry:
    bag: str
    fingerprint: str
    item: TransferItem


@dataclass(frozen=True)
class Journal:
    settings: Settings
    entries: dict[str, Entry]
    """By file name; a later line for the same file wins."""


def read_journal(path: Path) -> Journal | None:
    """None when there is no journal or its settings line is unreadable; a torn last line (a kill during
    the append, before its fsync) is ignored: that bag's file was not renamed into place yet."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return None
    try:
        head = json.loads(lines[0])
        settings = Settings(head["serialization"], head["source_date_epoch"])
    except (IndexError, ValueError, KeyError, TypeError):
        return None
    entries: dict[str, Entry] = {}
    for line in lines[1:]:
        try:
            raw = json.loads(line)
            entry = Entry(raw["bag"], raw["fingerprint"], TransferItem(**raw["item"]))
        except (ValueError, KeyError, TypeError):
            continue
        entries[entry.item.file] = entry
    return Journal(settings, entries)


class JournalWriter:
    def __init__(self, path: Path, settings: Settings) -> None:
        """Open the journal for appending; create it with the settings line when it does not exist."""
        self.path = path
        fresh = not path.exists()
        self._file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        if fresh:
            self._append({"journal": VERSION, **asdict(settings)})
            fsync_dir(path.parent)

    def record(self, entries: Sequence[Entry]) -> None:
        """Append a batch of entries with one fsync."""
        self._append(*({"bag": e.bag, "fingerprint": e.fingerprint, "item": asdict(e.item)} for e in entries))

    def _append(self, *documents: Mapping[str, object]) -> None:
        self._file.write("".join(json.dumps(d, ensure_ascii=False, sort_keys=True) + "\n" for d in documents))
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()
