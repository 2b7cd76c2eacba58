"""Reports written whole or not at all: beside the target, made durable, then renamed over it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from preservation.errors import PreservationError

REPORT_MODE = 0o644
"""Reports are for others to read; mkstemp would leave them 0600."""


def write_text(target: Path, text: str) -> None:
    """Replace `target` with `text` (UTF-8): a reader sees the old file or the new one, never part of one.
    PreservationError naming `target` when it cannot be written."""
    try:
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise PreservationError(target, f"cannot be written: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            os.fchmod(stream.fileno(), REPORT_MODE)
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, target)
    except BaseException as exc:
        os.unlink(temp)
        if isinstance(exc, OSError):
            raise PreservationError(target, f"cannot be written: {exc.strerror}") from None
        raise
