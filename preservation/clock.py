"""Time for reproducible output: SOURCE_DATE_EPOCH (reproducible-builds.org) when set, else now."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime

from preservation.errors import PreservationError


def source_date_epoch(environ: Mapping[str, str] | None = None) -> datetime | None:
    value = (os.environ if environ is None else environ).get("SOURCE_DATE_EPOCH")
    if value is None or value == "":
        return None
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (ValueError, OverflowError, OSError):
        raise PreservationError(None, f"SOURCE_DATE_EPOCH={value!r} is not a number of seconds") from None


def build_time(environ: Mapping[str, str] | None = None) -> datetime:
    """When a package is made: SOURCE_DATE_EPOCH when set, else the current time, in UTC to the second."""
    epoch = source_date_epoch(environ)
    return epoch if epoch is not None else datetime.now(UTC).replace(microsecond=0)


def clamp(moment: datetime, environ: Mapping[str, str] | None = None) -> datetime:
    """A file time no later than SOURCE_DATE_EPOCH, so rebuilds at a later date give the same bytes."""
    epoch = source_date_epoch(environ)
    moment = moment.astimezone(UTC).replace(microsecond=0)
    return min(moment, epoch) if epoch is not None else moment
