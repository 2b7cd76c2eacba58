"""An E-ARK SIP as data: the package METS and the representation METS, apart from their XML (`render`).

Every field is what the METS says; nothing here reads files or the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

SIP_PROFILE = "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml"
"""SIP2: the value of mets/@PROFILE (the same URL for SIP 2.1 and 2.2)."""
STRUCT_MAP_LABEL = "CSIP"
"""CSIP82 (CSIPVocabularyStructMapLabel)."""


@dataclass(frozen=True)
class FileEntry:
    """A file the METS describes (`file` with FLocat, or `mdRef`): CSIP26-30, 40-44, 68-72, 77-79."""

    id: str
    href: str
    """Relative to the folder of the METS that lists it."""
    mime: str
    size: int
    created: datetime
    checksum: str
    checksum_type: str
    """METS CHECKSUMTYPE: "SHA-256" or "SHA-512"."""


@dataclass(frozen=True)
class MetadataRef:
    """A dmdSec or digiprovMD pointing to a metadata file (CSIP17-30, 31-44)."""

    id: str
    mdtype: str
    file: FileEntry


@dataclass(frozen=True)
class Agent:
    role: str
    type: str
    name: str
    other_type: str | None = None
    software_version: str | None = None
    """The note typed "SOFTWARE VERSION" (CSIP15/16)."""


@dataclass(frozen=True)
class FileGroup:
    id: str
    use: str
    """CSIP64: "Documentation", "Schemas", "Representations/rep1", or "Data" in a representation."""
    files: tuple[FileEntry, ...]
    content_information_type: str | None = None
    """CSIP62: stated on a representation's file group."""
    other_content_information_type: str | None = None


@dataclass(frozen=True)
class Representation:
    """A representation: its folder under representations/, its METS entry in the package's fileSec."""

    name: str
    """"rep1"."""
    mets: FileEntry


@dataclass(frozen=True)
class Mets:
    """One METS document: the package's (with metadata, documentation, schemas and representations) or a
    representation's (with its data)."""

    id_prefix: str
    """Of every ID in it, so that IDs are unique across the package (CSIP18 and others): "sip", "rep1"."""
    objid: str
    label: str
    content_category: str
    """mets/@TYPE, from CSIPVocabularyContentCategory (CSIP2)."""
    content_information_type: str
    other_content_information_type: str | None
    created: datetime
    agents: tuple[Agent, ...]
    descriptive: tuple[MetadataRef, ...]
    provenance: tuple[MetadataRef, ...]
    groups: tuple[FileGroup, ...]
    representations: tuple[Representation, ...]
    """Only in the package METS: the structMap points to each representation's METS (CSIP105-112)."""
