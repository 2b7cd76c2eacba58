"""Which bags are due, in which order, within which budget. Pure: no I/O, time passed in."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from preservation.fixity.defaults import DEFAULT_PERIOD as DEFAULT_PERIOD
from preservation.fixity.model import BagRecord, format_time


@dataclass(frozen=True)
class Budget:
    max_bags: int | None = None
    max_bytes: int | None = None
    """Sizes are those the ledger knows (bytes read at the last check, else Payload-Oxum or file size)."""


NO_BUDGET = Budget()


@dataclass(frozen=True)
class Selection:
    due: tuple[BagRecord, ...]
    """In checking order."""
    deferred: tuple[BagRecord, ...]
    """Due, but beyond the budget."""


def priority(bag: BagRecord) -> tuple[bool, str, str, str]:
    """Never-checked bags first (oldest registration first), then the longest unchecked."""
    return (bag.last_checked_at is not None, bag.last_checked_at or "", bag.registered_at, bag.path)


LOUD = ("fail", "error")
"""Statuses that keep a bag due at every run until a check passes: a repair must be noticed, and a failure
reported again by every run, not only by the one that found it."""


def is_due(bag: BagRecord, *, now: datetime, older_than: timedelta, check_all: bool = False) -> bool:
    if check_all or bag.last_checked_at is None or bag.status in LOUD:
        return True
    return bag.last_checked_at < format_time(now - older_than)


def select(
    bags: Sequence[BagRecord],
    *,
    now: datetime,
    older_than: timedelta = DEFAULT_PERIOD,
    check_all: bool = False,
    budget: Budget = NO_BUDGET,
    missing: Collection[int] = (),
) -> Selection:
    """The due bags in priority order, cut at the budget. Failing bags, bags in error and the bags
    `missing` from where the ledger has them (ids) come first and are never cut: they are few, and each
    run must say whether they are still failing, or gone. The first other
    due bag is always taken, even when it alone exceeds --max-bytes: otherwise a bag larger than the
    budget would never be checked."""
    loud = sorted((b for b in bags if b.status in LOUD or b.id in missing), key=priority)
    due = sorted(
        (
            b
            for b in bags
            if b.status not in LOUD
            and b.id not in missing
            and is_due(b, now=now, older_than=older_than, check_all=check_all)
        ),
        key=priority,
    )
    limit = len(due) if budget.max_bags is None else max(0, budget.max_bags)
    if budget.max_bytes is not None:
        total = 0
        for index, bag in enumerate(due[:limit]):
            total += bag.size or 0
            if total > budget.max_bytes and index > 0:
                limit = index
                break
    return Selection(tuple(loud + due[:limit]), tuple(due[limit:]))
