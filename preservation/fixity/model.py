"""Plain data shared by the fixity modules: problems, check tasks and results, ledger records, time."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, Literal

from preservation.bagit.locate import BagKind
from preservation.errors import PreservationError
from preservation.validate.findings import Finding, translated

Outcome = Literal["pass", "fail", "error"]
ProblemKind = Literal["changed", "missing", "extra", "tag-changed", "anchor-mismatch", "unreadable"]
Clock = Callable[[], datetime]

OUTCOMES: tuple[Outcome, ...] = ("pass", "fail", "error")
STATUSES = ("unchecked", *OUTCOMES)
"""A bag's status: the outcome of its latest check."""
BAG_KINDS: tuple[BagKind, ...] = ("directory", "tar", "zip")
PROBLEM_KINDS: tuple[ProblemKind, ...] = (
    "changed",
    "missing",
    "extra",
    "tag-changed",
    "anchor-mismatch",
    "unreadable",
)
_FAILING: frozenset[str] = frozenset({"changed", "missing", "extra", "tag-changed", "anchor-mismatch"})
KINDS: dict[str, ProblemKind] = {
    "manifest.checksum-mismatch": "changed",
    "payload.missing": "missing",
    "payload.dir-missing": "missing",
    "fetch.pending": "missing",
    "payload.extra": "extra",
    "path.symlink": "extra",
    "path.special": "extra",
    "serialization.member-unsafe": "extra",
    "serialization.multiple-roots": "extra",
    "serialization.member-duplicate": "extra",
    "serialization.member-conflict": "extra",
    "tagmanifest.checksum-mismatch": "tag-changed",
    "tagfile.missing": "tag-changed",
    "tagfile.not-a-file": "tag-changed",
    "oxum.mismatch": "tag-changed",
    "fixity.anchor-mismatch": "anchor-mismatch",
    "fixity.anchor-gone": "anchor-mismatch",
    "fixity.anchor-appeared": "anchor-mismatch",
}
"""Fixity's `kind` of a problem, a view of its finding code: the one place that says which codes show
content that differs from what was recorded (a failure). Every other code of an error means the bag
could not be verified as it stands (``unreadable``: an error, not a failure)."""
CODE_OF_KIND: dict[ProblemKind, str] = {
    "changed": "manifest.checksum-mismatch",
    "missing": "payload.missing",
    "extra": "payload.extra",
    "tag-changed": "tagmanifest.checksum-mismatch",
    "anchor-mismatch": "fixity.anchor-mismatch",
    "unreadable": "payload.unreadable",
}
"""The code of a problem recorded before problems had codes (a ledger event with only a kind)."""


def kind_of(code: str) -> ProblemKind:
    return KINDS.get(code, "unreadable")


class FixityError(PreservationError):
    """The ledger or a root cannot be used (missing, unreadable, written by a newer version)."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def format_time(moment: datetime) -> str:
    """Fixed-width UTC text, so that the ledger can compare and sort timestamps as strings."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


@dataclass(frozen=True)
class Problem:
    code: str
    """A finding code of the catalogue (`preservation.validate.findings`)."""
    file: str | None
    """Bag-relative path, or None when the problem concerns the whole bag."""
    detail: str
    """The finding's message, in English."""
    params: tuple[tuple[str, str], ...] = ()
    """The parameters the message was made of, so it can be said in another language (`text`)."""

    @property
    def kind(self) -> ProblemKind:
        return kind_of(self.code)

    @classmethod
    def of(cls, item: Finding) -> Problem:
        return cls(item.code, item.file, item.message, item.params)

    def text(self, language: str = "en") -> str:
        """The message in `language` (the catalogue's); the English detail for a problem recorded before
        problems kept their parameters."""
        return translated(self.code, self.detail, self.params, language)

    def to_json(self) -> dict[str, Any]:
        said = {"code": self.code, "kind": self.kind, "file": self.file, "detail": self.detail}
        return {**said, "params": dict(self.params)} if self.params else said

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Problem:
        """ValueError when `data` is not what `to_json` gives (a ledger edited by others). A problem
        recorded before problems had codes gets its kind's code (`CODE_OF_KIND`)."""
        kind, file, detail = data["kind"], data["file"], data["detail"]
        code = data.get("code", CODE_OF_KIND.get(kind))
        params = data.get("params", {})
        if (
            kind not in PROBLEM_KINDS
            or not isinstance(code, str)
            or kind_of(code) != kind
            or not isinstance(file, str | None)
            or not isinstance(detail, str)
            or not isinstance(params, dict)
            or not all(isinstance(k, str) and isinstance(v, str) for k, v in params.items())
        ):
            raise ValueError(f"not a problem: {data!r}")
        return cls(code, file, detail, tuple(params.items()))


def outcome_of(problems: Iterable[Problem]) -> Outcome:
    """Content that demonstrably differs is a failure even if other files could not be read."""
    kinds = {problem.kind for problem in problems}
    if kinds & _FAILING:
        return "fail"
    return "error" if kinds else "pass"


@dataclass(frozen=True)
class Anchor:
    """The sha512 of each anchoring tag file, kept in the ledger as canonical JSON text.

    It travels between ledger and workers as that text: the coordinating process, whose time is the
    ledger's, neither encodes nor decodes it; the workers that compare it do.
    """

    text: str

    @classmethod
    def of(cls, digests: Mapping[str, str]) -> Anchor:
        return cls(json.dumps(dict(digests), sort_keys=True))

    @cached_property
    def digests(self) -> dict[str, str]:
        """Tag file name → digest; ValueError when the text is no anchor (a ledger edited by others)."""
        decoded = json.loads(self.text)
        if not isinstance(decoded, dict) or not all(
            isinstance(name, str) and isinstance(digest, str) for name, digest in decoded.items()
        ):
            raise ValueError(f"not an anchor: {self.text[:40]!r}")
        return decoded


@dataclass(frozen=True)
class Identity:
    """What registration records of a bag: its External-Identifier, anchor and size."""

    identity: str | None
    anchor: Anchor
    size: int | None


@dataclass(frozen=True)
class NotABag:
    """What a first look found at a path taken for a bag: no bagit.txt where RFC 8493 wants it.

    Remembered with the file's size and modification time, so that later runs skip it until it changes.
    """

    size: int
    modified_ns: int
    reason: str


@dataclass(frozen=True)
class CheckTask:
    """What a worker needs to check one bag; plain and picklable, so it travels to Dask workers."""

    bag_id: int
    path: str
    anchor: Anchor | None
    """None for a bag not yet in the ledger: its first check also reads what registration records."""


@dataclass(frozen=True)
class CheckResult:
    bag_id: int
    path: str
    outcome: Outcome
    problems: tuple[Problem, ...]
    bytes_read: int
    registration: Identity | NotABag | str | None = None
    """First checks only: what to register, that the path holds no bag, or why the bag cannot be
    registered (str). None for the checks of registered bags."""


@dataclass(frozen=True)
class BagRecord:
    id: int
    identity: str | None
    """External-Identifier from bag-info.txt."""
    path: str
    kind: BagKind
    anchor: Anchor | None
    """Taken at registration and kept outside the bag; None until the first check of a bag entered when
    found."""
    registered_at: str
    last_checked_at: str | None
    status: str
    """``unchecked`` or the outcome of the latest check."""
    size: int | None
    """Bytes read by the latest check, else the Payload-Oxum or archive size: used for --max-bytes."""


@dataclass(frozen=True)
class Event:
    id: int
    bag_id: int
    started: str
    ended: str
    bytes: int
    outcome: Outcome
    problems: tuple[Problem, ...]
    agent: str


@dataclass(frozen=True)
class Repair:
    """Files of a bag restored from a replica, and the outcome of re-verifying the whole bag after."""

    id: int
    bag_id: int
    started: str
    ended: str
    source: str
    """The replica the files were copied from."""
    files: tuple[str, ...]
    """Bag-relative paths restored; the archive's own name when a serialized bag was replaced whole."""
    outcome: Literal["pass", "fail"]
    detail: str
    agent: str


@dataclass(frozen=True)
class Move:
    bag_id: int
    from_path: str
    to_path: str
    at: str
