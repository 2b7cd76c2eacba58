"""What keeps a fixity job loud until it is resolved: bags failing or in error (and, where a site asks
for it, bags overdue), each with since when, the problems of its latest check and its passing replicas.

Read from the ledger after a run (for the bags under its roots) and by `status` (for every bag), so that a
failure is reported by every later run and every status until a check passes, not once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from preservation.fixity.ledger import Ledger
from preservation.fixity.model import BagRecord, Outcome, Problem, format_time
from preservation.validate.findings import message

CODES = {"fail": "fixity.failing", "error": "fixity.in-error", "overdue": "fixity.overdue"}


@dataclass(frozen=True)
class Alarm:
    status: str
    """``fail``, ``error`` or ``overdue``."""
    bag: str
    identity: str | None
    since: str | None
    """Failing or in error: when the first check after the last passing one ended (see
    `Ledger.failing_since`). Overdue: None."""
    last_checked_at: str | None
    problems: tuple[Problem, ...]
    """Of the latest check."""
    replicas: tuple[str, ...]
    """Paths of the bags of its replica set whose latest check passed: where a repair can copy from."""

    @property
    def code(self) -> str:
        return CODES[self.status]

    def message(self, period: timedelta, language: str = "en") -> str:
        return message(
            self.code,
            language,
            since=shown_time(self.since),
            last=shown_time(self.last_checked_at) if self.last_checked_at else message("cli.never", language),
            days=f"{period.total_seconds() / 86400:g}",
        )

    def replicas_message(self, language: str = "en") -> str:
        if self.replicas:
            return message("fixity.replicas", language, replicas=", ".join(self.replicas))
        return message("fixity.no-replica", language)

    def to_json(self) -> dict[str, Any]:
        return {
            "bag": self.bag,
            "identity": self.identity,
            "status": self.status,
            "code": self.code,
            "since": self.since,
            "last_checked_at": self.last_checked_at,
            "problems": [p.to_json() for p in self.problems],
            "replicas": list(self.replicas),
        }


def shown_time(text: str | None) -> str:
    """A ledger time (``2026-03-01T08:00:01.123456Z``) to the second, for people."""
    return "-" if text is None else f"{text[:19]}Z"


def collect(
    ledger: Ledger,
    *,
    now: datetime,
    period: timedelta,
    overdue: bool = False,
    where: Callable[[BagRecord], bool] = lambda bag: True,
) -> tuple[Alarm, ...]:
    """The alarms of the ledger's bags that `where` accepts: failing first, then in error, then (with
    `overdue`) those not checked within `period`; each group by path. Reads only the bags concerned."""
    bags = [bag for bag in ledger.attention(format_time(now - period) if overdue else None) if where(bag)]
    loud = [bag for bag in bags if bag.status in ("fail", "error")]
    if not bags:
        return ()
    since = ledger.failing_since(bag.id for bag in loud)
    latest = ledger.latest_events(bag.id for bag in loud)
    alarms = []
    for bag in sorted(loud, key=lambda b: (b.status != "fail", b.path)):
        event = latest.get(bag.id)
        replicas = tuple(r.path for r in ledger.replicas(bag) if r.status == "pass")
        alarms.append(
            Alarm(
                bag.status,
                bag.path,
                bag.identity,
                since.get(bag.id, bag.last_checked_at),
                bag.last_checked_at,
                event.problems if event is not None else (),
                replicas,
            )
        )
    alarms += [
        Alarm("overdue", bag.path, bag.identity, None, bag.last_checked_at, (), ())
        for bag in sorted(bags, key=lambda b: b.path)
        if bag.status not in ("fail", "error")
    ]
    return tuple(alarms)


def worst(alarms: Sequence[Alarm]) -> Outcome:
    """``fail`` while any bag fails (or is overdue, an alarm only when asked for), else ``error`` while any
    could not be checked, else ``pass``."""
    statuses = {alarm.status for alarm in alarms}
    if statuses & {"fail", "overdue"}:
        return "fail"
    return "error" if "error" in statuses else "pass"
