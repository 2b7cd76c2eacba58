"""PREMIS 3: a plain model of a package's objects, events and agents, and its XML serialization.

The model is built from a Package alone (no I/O, no clock), so identifiers and dates are deterministic.
Vocabulary follows the Library of Congress preservation vocabularies (id.loc.gov/vocabulary/preservation).
The serializers also write the fixity history (preservation.fixity.premis): one PREMIS writer for both.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Literal

from lxml import etree

from preservation.package.model import FileFormat, Package, PayloadFile, object_uuid
from preservation.release.model import Correction
from preservation.xmlns import PREMIS_NS, XSI_NS

PREMIS_VERSION = "3.0"
LOC_VOCABULARIES = "http://id.loc.gov/vocabulary/preservation"
EVENT_TYPE_VOCABULARY = f"{LOC_VOCABULARIES}/eventType"
LOC_TERMS: dict[str, dict[str, str]] = {
    "eventType": {
        "creation": "cre",
        "message digest calculation": "mes",
        "format identification": "for",
        "metadata extraction": "mee",
        "metadata modification": "mem",
        "information package creation": "ipc",
        "fixity check": "fix",
    },
    "relationshipType": {"derivation": "der"},
    "relationshipSubType": {"has Source": "hss", "is Source Of": "iso"},
    "agentType": {"organization": "org", "person": "per", "software": "sof"},
    "eventRelatedAgentRole": {"executing program": "exe", "implementer": "imp"},
    "eventRelatedObjectRole": {"source": "sou", "outcome": "out"},
    "cryptographicHashFunctions": {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-512": "sha512"},
}
"""The LoC preservation vocabularies' terms we write, by label as LoC spells it → the term's code; a value
found here is marked with its authority, authorityURI and valueURI (PREMIS's stringPlusAuthority)."""

ALGORITHM_NAMES = {
    "md5": "MD5",
    "sha1": "SHA-1",
    "sha256": "SHA-256",
    "sha384": "SHA-384",
    "sha512": "SHA-512",
}
"""BagIt algorithm names → the spelling of PREMIS (LoC cryptographicHashFunctions) and METS CHECKSUMTYPE."""

_ROLE_ORDER = {"source": 0, "attachment": 1, "rendition": 2}

TimeSpec = Literal["seconds", "microseconds"]


@dataclass(frozen=True)
class Identifier:
    type: str
    value: str


@dataclass(frozen=True)
class Link:
    """A reference from an event to an agent or object, with the role it played."""

    identifier: Identifier
    role: str | None = None


@dataclass(frozen=True)
class Fixity:
    algorithm: str
    digest: str
    originator: str


@dataclass(frozen=True)
class Relationship:
    type: str
    subtype: str
    related_object: Identifier
    related_event: Identifier | None = None


@dataclass(frozen=True)
class PremisObject:
    """A PREMIS file object; ``path`` is not PREMIS but ties the object to its METS file."""

    identifier: Identifier
    path: str
    original_name: str
    size: int
    fixity: tuple[Fixity, ...]
    format: FileFormat
    relationships: tuple[Relationship, ...] = ()


@dataclass(frozen=True)
class Representation:
    """A PREMIS representation object: a whole bag, as the fixity history knows it."""

    identifier: Identifier
    original_name: str


@dataclass(frozen=True)
class Event:
    identifier: Identifier
    type: str
    datetime: datetime
    detail: str
    outcome: str
    outcome_details: tuple[str, ...]
    """One eventOutcomeDetail note each."""
    agents: tuple[Link, ...]
    objects: tuple[Link, ...]
    type_uri: str | None = None
    """The term's URI in EVENT_TYPE_VOCABULARY, when it is not the one LOC_TERMS gives its label."""


@dataclass(frozen=True)
class Agent:
    identifier: Identifier
    name: str
    type: str
    version: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class PremisRecord:
    objects: tuple[PremisObject, ...]
    events: tuple[Event, ...]
    agents: tuple[Agent, ...]


def _uuid(*parts: str) -> Identifier:
    return Identifier("UUID", str(object_uuid(*parts)))


def ordered_payload(package: Package) -> tuple[PayloadFile, ...]:
    """Source, attachments, renditions, each by path: one order for PREMIS and METS, whatever the input's."""
    return tuple(sorted(package.payload, key=lambda f: (_ROLE_ORDER[f.role], f.path)))


def source_file(package: Package) -> PayloadFile:
    """The release document in the payload (the first by path, were there several); ValueError for a
    package without one, which no plan makes."""
    source = min((f for f in package.payload if f.role == "source"), key=lambda f: f.path, default=None)
    if source is None:
        raise ValueError(f"package of {package.release.identifier} has no source file")
    return source


def file_identifier(package: Package, file: PayloadFile) -> Identifier:
    """The file's PREMIS object identifier: a UUID from the release identity and the bag path."""
    return _uuid("file", package.key, file.path)


def premis_record(package: Package) -> PremisRecord:
    """The PREMIS objects, events and agents of one package.

    An object per payload file; then the events: each file's (its creation when the tool derived it, its
    digests, its format's identification), how the release was read, each correction, the package's
    creation; then every agent those events name.
    """
    parts = _parts(package)
    objects = tuple(_file_object(parts, file) for file in parts.files)
    events = (
        *_file_events(parts, objects),
        _extraction_event(parts),
        *(_modification_event(parts, correction) for correction in package.release.corrections),
        _package_event(parts),
    )
    return PremisRecord(objects, events, tuple(parts.agents.values()))


@dataclass(frozen=True)
class _Parts:
    """What the sections of one package's record share."""

    package: Package
    files: tuple[PayloadFile, ...]
    """In `ordered_payload`'s order, which is the objects' and their events'."""
    source: PayloadFile
    ids: Mapping[str, Identifier]
    """Each file's object identifier, by bag path."""
    derivatives: Mapping[str, tuple[str, ...]]
    """The files derived from each file that has any, by bag path."""
    organization: Agent
    software: Agent
    agents: Mapping[str, Agent]
    """By key, as `_agents` made them."""


def _parts(package: Package) -> _Parts:
    files = ordered_payload(package)
    ids = {f.path: file_identifier(package, f) for f in files}
    derivatives: dict[str, list[str]] = {}
    for f in files:
        if f.derived_from is not None:
            if f.derived_from not in ids:
                raise ValueError(f"{f.path} is derived from {f.derived_from}, which is not in the payload")
            derivatives.setdefault(f.derived_from, []).append(f.path)
    organization, software = _organization(package), _software(package)
    return _Parts(
        package,
        files,
        source_file(package),
        ids,
        {path: tuple(paths) for path, paths in derivatives.items()},
        organization,
        software,
        _agents(package, files, organization, software),
    )


def _event_id(package: Package, event_type: str, *about: str) -> Identifier:
    """An event's identifier: a UUID from the package's key, the event's type and what it is about."""
    return _uuid("event", package.key, event_type, *about)


# --- objects ----------------------------------------------------------------------------------------------


def _file_object(parts: _Parts, file: PayloadFile) -> PremisObject:
    return PremisObject(
        parts.ids[file.path],
        file.path,
        file.original_name,
        file.size,
        _fixity(parts.package, file),
        file.format,
        _relationships(parts, file),
    )


def _fixity(package: Package, file: PayloadFile) -> tuple[Fixity, ...]:
    """The file's digests in ALGORITHM_NAMES's order, as computed by this software."""
    originator = f"{package.software} {package.software_version}"
    return tuple(
        Fixity(ALGORITHM_NAMES.get(algorithm, algorithm.upper()), file.digests[algorithm], originator)
        for algorithm in sorted(file.digests, key=_algorithm_order)
    )


def _algorithm_order(algorithm: str) -> tuple[int, str]:
    known = list(ALGORITHM_NAMES)
    return (known.index(algorithm), "") if algorithm in known else (len(known), algorithm)


def _relationships(parts: _Parts, file: PayloadFile) -> tuple[Relationship, ...]:
    """Derivation both ways, each by the derived file's creation event: a file is the source of each file
    derived from it, and a derived file has its source."""
    relationships = [
        Relationship(
            "derivation", "is Source Of", parts.ids[path], _event_id(parts.package, "creation", path)
        )
        for path in parts.derivatives.get(file.path, ())
    ]
    if file.derived_from is not None:
        creation = _event_id(parts.package, "creation", file.path)
        relationships.append(Relationship("derivation", "has Source", parts.ids[file.derived_from], creation))
    return tuple(relationships)


# --- events -----------------------------------------------------------------------------------------------


def _file_events(parts: _Parts, objects: tuple[PremisObject, ...]) -> Iterator[Event]:
    """File by file: its creation when the tool derived it, its digests, its format's identification."""
    for file, obj in zip(parts.files, objects, strict=True):
        if file.derived_from is not None:
            yield _creation_event(parts, file, file.derived_from)
        yield _digest_event(parts, obj)
        yield _identification_event(parts, file)


def _by_software(parts: _Parts) -> tuple[Link, ...]:
    return (Link(parts.software.identifier, "executing program"),)


def _creation_event(parts: _Parts, file: PayloadFile, source: str) -> Event:
    return Event(
        _event_id(parts.package, "creation", file.path),
        "creation",
        parts.package.created,
        f"plain-text rendition derived from {source}",
        "success",
        (),
        _by_software(parts),
        (Link(parts.ids[source], "source"), Link(parts.ids[file.path], "outcome")),
    )


def _digest_event(parts: _Parts, obj: PremisObject) -> Event:
    algorithms = ", ".join(fixity.algorithm for fixity in obj.fixity)
    return Event(
        _event_id(parts.package, "message digest calculation", obj.path),
        "message digest calculation",
        parts.package.created,
        f"{algorithms} of the file as written into the bag",
        "success",
        (),
        _by_software(parts),
        (Link(obj.identifier),),
    )


def _identification_event(parts: _Parts, file: PayloadFile) -> Event:
    """Which tool identified the file's format, and on what basis; "no match" when it found no PUID."""
    fmt = file.format
    return Event(
        _event_id(parts.package, "format identification", file.path),
        "format identification",
        parts.package.created,
        f"format identified with {fmt.tool}",
        "success" if fmt.puid else "no match",
        (fmt.basis,) if fmt.basis else (),
        (Link(parts.agents[fmt.tool].identifier, "executing program"),),
        (Link(parts.ids[file.path]),),
    )


def _extraction_event(parts: _Parts) -> Event:
    """How the release's title, date and the rest were read from its source, and what had to be guessed.

    One note per reader warning (its catalogue code and message), so a reader of the bag decades later
    sees which fields are the tool's guess; outcome "warning" when there is any.
    """
    release = parts.package.release
    source = parts.source
    origins = "; ".join(f"{name}: {where}" for name, where in release.origins)
    detail = f"title, issued date, author, place and notice read from {source.path}"
    return Event(
        _event_id(parts.package, "metadata extraction"),
        "metadata extraction",
        parts.package.created,
        f"{detail}: {origins}" if origins else detail,
        "warning" if release.warnings else "success",
        tuple(f"{w.code}: {w.message}" for w in release.warnings),
        _by_software(parts),
        (Link(parts.ids[source.path], "source"),),
    )


def was_note(field: str, old: str) -> str:
    """The outcome detail of a metadata modification naming the value read; the validator looks for it
    (a corrected issued date no longer begins the identifier derived from the date as read)."""
    return f"{field} was: {old or '(none)'}"


def _modification_event(parts: _Parts, correction: Correction) -> Event:
    """A field an archivist corrected (`build --corrections`): the value read and the value now recorded."""
    source = parts.source
    archivist = parts.agents[f"person {correction.by}"]
    return Event(
        _event_id(parts.package, "metadata modification", correction.field),
        "metadata modification",
        parts.package.created,
        f"{correction.field} corrected by {correction.by} (build --corrections); the value read from "
        f"{source.path} was replaced in the bag's metadata",
        "success",
        (was_note(correction.field, correction.old), f"{correction.field} is: {correction.new or '(none)'}"),
        (Link(archivist.identifier, "implementer"),),
        (Link(parts.ids[source.path], "source"),),
    )


def _package_event(parts: _Parts) -> Event:
    """The bag's creation, by the software for the organization, naming every file it holds."""
    package = parts.package
    return Event(
        _event_id(package, "information package creation"),
        "information package creation",
        package.created,
        f"BagIt bag of release {package.release.identifier} for {package.profile.collection}",
        "success",
        _replacement_note(package),
        (
            Link(parts.software.identifier, "executing program"),
            Link(parts.organization.identifier, "implementer"),
        ),
        tuple(Link(parts.ids[f.path]) for f in parts.files),
    )


def _replacement_note(package: Package) -> tuple[str, ...]:
    old = package.replaces
    if old is None:
        return ()
    which = f"the bag {old.object_id}" if old.object_id else "the earlier bag"
    dated = f" of {old.bagging_date}" if old.bagging_date else ""
    return (f"replaces {which}{dated}, kept as {old.kept_as}",)


# --- agents -----------------------------------------------------------------------------------------------


def _organization(package: Package) -> Agent:
    name = package.profile.organization.name
    return Agent(_uuid("agent", name), name, "organization")


def _software(package: Package) -> Agent:
    return Agent(
        _uuid("agent", package.software, package.software_version),
        package.software,
        "software",
        package.software_version,
    )


def _agents(
    package: Package, files: tuple[PayloadFile, ...], organization: Agent, software: Agent
) -> dict[str, Agent]:
    """The record's agents in its order, by key: the organization's name, the software's name and version,
    each identifying tool string, ``person <name>`` for each archivist; the first agent of a key wins."""
    agents = {organization.name: organization, f"{software.name} {software.version}": software}
    for f in files:
        agents.setdefault(f.format.tool, _agent_from_tool(f.format.tool))
    for correction in package.release.corrections:
        agents.setdefault(f"person {correction.by}", _person(correction.by))
    return agents


@cache  # one tool string per run, and the pattern backtracks along it
def _agent_from_tool(tool: str) -> Agent:
    """An agent from a tool string such as ``siegfried 1.11.9 (DROID_SignatureFile_V125.xml)``."""
    match = re.fullmatch(r"(\S+) (\S+)(?: \((.*)\))?", tool)
    name, version, note = match.groups() if match else (tool, None, None)
    return Agent(_uuid("agent", name, version or ""), name, "software", version, note)


def _person(name: str) -> Agent:
    return Agent(_uuid("agent", "person", name), name, "person")


# --- serialization ----------------------------------------------------------------------------------------


def iso_utc(moment: datetime, timespec: TimeSpec = "seconds") -> str:
    """xsd:dateTime in UTC with a ``Z``; a naive datetime is taken as UTC (the package model's convention)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def _sub(
    parent: etree._Element, name: str, text: str | None = None, attributes: Mapping[str, str] | None = None
) -> etree._Element:
    element = etree.SubElement(parent, _premis_tag(name), attributes)
    if text is not None:
        element.text = text
    return element


@cache
def _premis_tag(name: str) -> str:
    return f"{{{PREMIS_NS}}}{name}"


def _controlled(parent: etree._Element, name: str, text: str, vocabulary: str) -> etree._Element:
    """``<name>text</name>``, naming the LoC term it is when `text` is one of `vocabulary` (LOC_TERMS)."""
    return _sub(parent, name, text, _term(vocabulary, text))


@cache
def _term(vocabulary: str, text: str) -> Mapping[str, str] | None:
    """The authority attributes of `text` in `vocabulary`, once per term: a METS names the same few terms
    dozens of times."""
    code = LOC_TERMS[vocabulary].get(text)
    return None if code is None else _authority(vocabulary, f"{LOC_VOCABULARIES}/{vocabulary}/{code}")


def _authority(vocabulary: str, value_uri: str) -> dict[str, str]:
    return {
        "authority": vocabulary,
        "authorityURI": f"{LOC_VOCABULARIES}/{vocabulary}",
        "valueURI": value_uri,
    }


def _identifier(parent: etree._Element, element: str, identifier: Identifier) -> etree._Element:
    """``<xIdentifier><xIdentifierType/><xIdentifierValue/></xIdentifier>``: PREMIS's one naming pattern."""
    container = _sub(parent, element)
    _sub(container, f"{element}Type", identifier.type)
    _sub(container, f"{element}Value", identifier.value)
    return container


def _root(parent: etree._Element, name: str) -> etree._Element:
    element = _sub(parent, name)
    # A record standing alone (as in METS) names its version; inside premis:premis, the container does.
    if parent.tag != f"{{{PREMIS_NS}}}premis":
        element.set("version", PREMIS_VERSION)
    return element


def object_element(parent: etree._Element, obj: PremisObject) -> etree._Element:
    """Append ``premis:object`` (a file) to ``parent``; the namespaces are expected on an ancestor."""
    element = _root(parent, "object")
    element.set(f"{{{XSI_NS}}}type", "premis:file")
    _identifier(element, "objectIdentifier", obj.identifier)
    characteristics = _sub(element, "objectCharacteristics")
    for fixity in obj.fixity:
        container = _sub(characteristics, "fixity")
        _controlled(container, "messageDigestAlgorithm", fixity.algorithm, "cryptographicHashFunctions")
        _sub(container, "messageDigest", fixity.digest)
        _sub(container, "messageDigestOriginator", fixity.originator)
    _sub(characteristics, "size", str(obj.size))
    fmt = obj.format
    format_element = _sub(characteristics, "format")
    designation = _sub(format_element, "formatDesignation")
    _sub(designation, "formatName", fmt.name or fmt.mime)
    if fmt.version:
        _sub(designation, "formatVersion", fmt.version)
    if fmt.puid:
        registry = _sub(format_element, "formatRegistry")
        _sub(registry, "formatRegistryName", "PRONOM")
        _sub(registry, "formatRegistryKey", fmt.puid)
        _sub(registry, "formatRegistryRole", "specification")
    # PREMIS has no MIME type element; formatNote is its place for such details.
    _sub(format_element, "formatNote", f"MIME type: {fmt.mime}")
    _sub(element, "originalName", obj.original_name)
    for relationship in obj.relationships:
        container = _sub(element, "relationship")
        _controlled(container, "relationshipType", relationship.type, "relationshipType")
        _controlled(container, "relationshipSubType", relationship.subtype, "relationshipSubType")
        _identifier(container, "relatedObjectIdentifier", relationship.related_object)
        if relationship.related_event is not None:
            _identifier(container, "relatedEventIdentifier", relationship.related_event)
    return element


def representation_element(parent: etree._Element, representation: Representation) -> etree._Element:
    """Append ``premis:object`` (a representation) to ``parent``."""
    element = _root(parent, "object")
    element.set(f"{{{XSI_NS}}}type", "premis:representation")
    _identifier(element, "objectIdentifier", representation.identifier)
    _sub(element, "originalName", representation.original_name)
    return element


def event_element(parent: etree._Element, event: Event, timespec: TimeSpec = "seconds") -> etree._Element:
    """Append ``premis:event`` to ``parent``, its date to `timespec` (builds date to the second)."""
    element = _root(parent, "event")
    _identifier(element, "eventIdentifier", event.identifier)
    if event.type_uri:
        _sub(element, "eventType", event.type, _authority("eventType", event.type_uri))
    else:
        _controlled(element, "eventType", event.type, "eventType")
    _sub(element, "eventDateTime", iso_utc(event.datetime, timespec))
    _sub(_sub(element, "eventDetailInformation"), "eventDetail", event.detail)
    outcome = _sub(element, "eventOutcomeInformation")
    _sub(outcome, "eventOutcome", event.outcome)
    for note in event.outcome_details:
        _sub(_sub(outcome, "eventOutcomeDetail"), "eventOutcomeDetailNote", note)
    for kind, links in (("Agent", event.agents), ("Object", event.objects)):
        for link in links:
            container = _identifier(element, f"linking{kind}Identifier", link.identifier)
            if link.role:
                _controlled(container, f"linking{kind}Role", link.role, f"eventRelated{kind}Role")
    return element


def agent_element(parent: etree._Element, agent: Agent) -> etree._Element:
    """Append ``premis:agent`` to ``parent``."""
    element = _root(parent, "agent")
    _identifier(element, "agentIdentifier", agent.identifier)
    _sub(element, "agentName", agent.name)
    _controlled(element, "agentType", agent.type, "agentType")
    if agent.version:
        _sub(element, "agentVersion", agent.version)
    if agent.note:
        _sub(element, "agentNote", agent.note)
    return element
