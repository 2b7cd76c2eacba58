"""The package model: what a bag holds, as plain data shared by the writer and the metadata builders."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from preservation.profile import Profile
from preservation.release.model import Release

Role = Literal["source", "attachment", "rendition"]
"""`source`: the release document byte for byte; `attachment`: a file beside it; `rendition`: the plain
text the tool derived from an HTML source."""

NAMESPACE = uuid.UUID("6f1c3b9e-5d2a-5b8e-9a43-2f6c7d8e9a10")
"""uuid5 namespace of this tool's identifiers, so that IDs depend only on the release identity."""


def object_uuid(*parts: str) -> uuid.UUID:
    """A deterministic identifier for anything named by its parts (release identity, file path, event)."""
    return uuid.uuid5(NAMESPACE, "\x1f".join(parts))


@dataclass(frozen=True)
class FileFormat:
    """The result of format identification by content."""

    mime: str
    puid: str | None = None
    """PRONOM unique identifier (e.g. ``fmt/11``), None when unidentified."""
    name: str | None = None
    version: str | None = None
    basis: str | None = None
    """Why the identifier chose it (signature, extension, …), for the PREMIS event's outcome detail."""
    tool: str = "unknown"
    """Identifying software and version, e.g. ``siegfried 1.11.9 (DROID_SignatureFile_V125)``."""


@dataclass(frozen=True)
class PayloadFile:
    """One file under ``data/`` of the bag, with what its bytes hash to."""

    path: str
    """Bag-relative POSIX path, Unicode NFC, starting with ``data/``."""
    role: Role
    original_name: str
    """The name the file had in the source, relative to the release folder."""
    size: int
    digests: Mapping[str, str]
    """Hex digest per BagIt algorithm name (``sha256``, ``sha512``)."""
    format: FileFormat
    created: datetime
    """The source file's modification time (UTC), clamped to SOURCE_DATE_EPOCH when that is set."""
    derived_from: str | None = None
    """For a rendition: the bag path of the file it was derived from."""


@dataclass(frozen=True)
class Predecessor:
    """The bag a new bag replaces (`build --replace`), kept, never deleted, under BAGS_DIR/.superseded/."""

    object_id: str | None
    """Its METS OBJID (``urn:uuid:…``); None when its METS could not be read."""
    kept_as: str
    """Where it is kept, relative to BAGS_DIR: ``.superseded/<identifier>/<bagging-date>``."""
    bagging_date: str | None


@dataclass(frozen=True)
class Package:
    """Everything the metadata of one bag is made of."""

    release: Release
    profile: Profile
    created: datetime
    """When the package was made (UTC); from SOURCE_DATE_EPOCH when set, so rebuilds are byte-identical."""
    payload: tuple[PayloadFile, ...]
    software: str
    software_version: str
    replaces: Predecessor | None = None

    @property
    def key(self) -> str:
        """What the package's identifiers are derived from: the release identity, and for a replacement
        also the bag it replaces, so that no two versions of a release share an identifier."""
        if self.replaces is None:
            return self.release.identifier
        return "\x1f".join(
            (self.release.identifier, "replaces", self.replaces.object_id or self.replaces.kept_as)
        )

    @property
    def object_id(self) -> uuid.UUID:
        return object_uuid("release", self.key)
