"""The serializations of a bag, as one vocabulary: their names, the file suffixes that mark them and the
MIME types that name them in a profile's Accept-Serialization.

Read by the bag locator (which files are serialized bags), the profile checks, the export (what it
writes) and the repair (what it replaces). Rules as data: a suffix or alias is added here, nowhere else.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal

Serialization = Literal["tar", "tar.gz", "zip"]
SERIALIZATIONS: tuple[Serialization, ...] = ("tar", "tar.gz", "zip")

SUFFIX: dict[Serialization, str] = {"tar": ".tar", "tar.gz": ".tar.gz", "zip": ".zip"}
"""The suffix this tool writes for each serialization."""
SUFFIXES: dict[Serialization, tuple[str, ...]] = {
    "tar": (".tar",),
    "tar.gz": (".tar.gz", ".tgz"),
    "zip": (".zip",),
}
"""Every suffix that marks a file as a serialized bag, compared without regard to case."""
SUFFIX_LIST = ".tar, .tar.gz, .tgz or .zip"
"""`SUFFIXES` as messages name them."""

MIME_ALIASES: dict[Serialization, frozenset[str]] = {
    "tar": frozenset({"application/x-tar", "application/tar"}),
    "tar.gz": frozenset(
        {"application/gzip", "application/x-gzip", "application/tar+gzip", "application/x-gtar"}
    ),
    "zip": frozenset({"application/zip", "application/x-zip-compressed"}),
}
"""The names for each serialization that profiles in the wild use in Accept-Serialization; our YAML
profiles name each by one of them (application/x-tar, application/gzip, application/zip, as
profile_schema.json lists them)."""


def serialization_of(name: str) -> Serialization | None:
    """The serialization a file of this name holds by its suffix; None for a name without one."""
    lower = name.lower()
    return next((form for form in SERIALIZATIONS if lower.endswith(SUFFIXES[form])), None)


def accepts(accepted: Collection[str], form: Serialization) -> bool:
    """Whether a profile accepting the MIME types `accepted` accepts `form`, under any of its names."""
    return not MIME_ALIASES[form].isdisjoint(accepted)
