"""PREMIS 3: a plain model of a package's objects, events and agents, and its XML serialization.

The model is built from a Package alone (no I/O, no clock), so identifiers and dates are deterministic.
Vocabulary follows the Library of Congress preservation vocabularies (id.loc.gov/vocabulary/preservation).
The serializers also write the fixity history (preservation.fixity.premis): one PREMIS writer for both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
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


def file_identifier(package: Package, file: PayloadFile) -> Identifier:
    """The file's PREMIS object identifier: a UUID from the release identity and the bag path."""
    return _uuid("file", package.key, file.path)


@cache  # one tool string per run, and the pattern backtracks along it (~60 µs a match)
def _agent_from_tool(tool: str) -> Agent:
    """An agent from a tool string such as ``siegfried 1.11.9 (DROID_SignatureFile_V125.xml)``."""
    match = re.fullmatch(r"(\S+) (\S+)(?: \((.*)\))?", tool)
    name, version, note = match.groups() if match else (tool, None, None)
    return Agent(_uuid("agent", name, version or ""), name, "software", version, note)


def premis_record(package: Package) -> PremisRecord:
    """The PREMIS objects, events and agents of one package."""
    release_id = package.release.identifier
    key = package.key  # identifiers: of the release, and of the bag replaced, if any
    when = package.created
    organization = package.profile.organization.name
    org_agent = Agent(_uuid("agent", organization), organization, "organization")
    software = Agent(
        _uuid("agent", package.software, package.software_version),
        package.software,
        "software",
        package.software_version,
    )
    agents: dict[str, Agent] = {organization: org_agent, f"{software.name} {software.version}": software}
    originator = f"{package.software} {package.software_version}"

    files = ordered_payload(package)
    ids = {f.path: file_identifier(package, f) for f in files}
    creation_ids = {f.path: _uuid("event", key, "creation", f.path) for f in files}
    sources_of: dict[str, list[str]] = {}
    for f in files:
        if f.derived_from is not None:
            if f.derived_from not in ids:
                raise ValueError(f"{f.path} is derived from {f.derived_from}, which is not in the payload")
            sources_of.setdefault(f.derived_from, []).append(f.path)

    objects: list[PremisObject] = []
    events: list[Event] = []
    for f in files:
        relationships = [
            Relationship("derivation", "is Source Of", ids[path], creation_ids[path])
            for path in sources_of.get(f.path, ())
        ]
        if f.derived_from is not None:
            relationships.append(
                Relationship("derivation", "has Source", ids[f.derived_from], creation_ids[f.path])
            )
        fixity = tuple(
            Fixity(ALGORITHM_NAMES.get(algorithm, algorithm.upper()), f.digests[algorithm], originator)
            for algorithm in sorted(f.digests, key=_algorithm_order)
        )
        objects.append(
            PremisObject(ids[f.path], f.path, f.original_name, f.size, fixity, f.format, tuple(relationships))
        )

        target = (Link(ids[f.path]),)
        by_software = (Link(software.identifier, "executing program"),)
        if f.derived_from is not None:
            events.append(
                Event(
                    creation_ids[f.path],
                    "creation",
                    when,
                    f"plain-text rendition derived from {f.derived_from}",
                    "success",
                    (),
                    by_software,
                    (Link(ids[f.derived_from], "source"), Link(ids[f.path], "outcome")),
                )
            )
        algorithms = ", ".join(fx.algorithm for fx in fixity)
        events.append(
            Event(
                _uuid("event", key, "message digest calculation", f.path),
                "message digest calculation",
                when,
                f"{algorithms} of the file as written into the bag",
                "success",
                (),
                by_software,
                target,
            )
        )
        identifying = agents.setdefault(f.format.tool, _agent_from_tool(f.format.tool))
        events.append(
            Event(
                _uuid("event", key, "format identification", f.path),
                "format identification",
                when,
                f"format identified with {f.format.tool}",
                "success" if f.format.puid else "no match",
                (f.format.basis,) if f.format.basis else (),
                (Link(identifying.identifier, "executing program"),),
                target,
            )
        )
    events.append(_extraction_event(package, software, ids))
    for correction in package.release.corrections:
        person = agents.setdefault(f"person {correction.by}", _person(correction.by))
        events.append(_modification_event(package, correction, person, ids))
    events.append(
        Event(
            _uuid("event", key, "information package creation"),
            "information package creation",
            when,
            f"BagIt bag of release {release_id} for {package.profile.collection}",
            "success",
            _replacement_note(package),
            (Link(software.identifier, "executing program"), Link(org_agent.identifier, "implementer")),
            tuple(Link(ids[f.path]) for f in files),
        )
    )
    return PremisRecord(tuple(objects), tuple(events), tuple(agents.values()))


def _replacement_note(package: Package) -> tuple[str, ...]:
    old = package.replaces
    if old is None:
        return ()
    which = f"the bag {old.object_id}" if old.object_id else "the earlier bag"
    dated = f" of {old.bagging_date}" if old.bagging_date else ""
    return (f"replaces {which}{dated}, kept as {old.kept_as}",)


def _extraction_event(package: Package, software: Agent, ids: dict[str, Identifier]) -> Event:
    """How the release's title, date and the rest were read from its source, and what had to be guessed.

    One note per reader warning (its catalogue code and message), so a reader of the bag decades later
    sees which fields are the tool's guess; outcome "warning" when there is any.
    """
    release = package.release
    source = next(f for f in ordered_payload(package) if f.role == "source")
    origins = "; ".join(f"{name}: {where}" for name, where in release.origins)
    detail = f"title, issued date, author, place and notice read from {source.path}"
    return Event(
        _uuid("event", package.key, "metadata extraction"),
        "metadata extraction",
        package.created,
        f"{detail}: {origins}" if origins else detail,
        "warning" if release.warnings else "success",
        tuple(f"{w.code}: {w.message}" for w in release.warnings),
        (Link(software.identifier, "executing program"),),
        (Link(ids[source.path], "source"),),
    )


def was_note(field: str, old: str) -> str:
    """The outcome detail of a metadata modification naming the value read; the validator looks for it
    (a corrected issued date no longer begins the identifier derived from the date as read)."""
    return f"{field} was: {old or '(none)'}"


def _person(name: str) -> Agent:
    return Agent(_uuid("agent", "person", name), name, "person")


def _modification_event(
    package: Package, correction: Correction, archivist: Agent, ids: dict[str, Identifier]
) -> Event:
    """A field an archivist corrected (`build --corrections`): the value read and the value now recorded."""
    source = next(f for f in ordered_payload(package) if f.role == "source")
    return Event(
        _uuid("event", package.key, "metadata modification", correction.field),
        "metadata modification",
        package.created,
        f"{correction.field} corrected by {correction.by} (build --corrections); the value read from "
        f"{source.path} was replaced in the bag's metadata",
        "success",
        (was_note(correction.field, correction.old), f"{correction.field} is: {correction.new or '(none)'}"),
        (Link(archivist.identifier, "implementer"),),
        (Link(ids[source.path], "source"),),
    )


def _algorithm_order(algorithm: str) -> tuple[int, str]:
    known = list(ALGORITHM_NAMES)
    return (known.index(algorithm), "") if algorithm in known else (len(known), algorithm)


def iso_utc(moment: datetime, timespec: TimeSpec = "seconds") -> str:
    """xsd:dateTime in UTC with a ``Z``; a naive datetime is taken as UTC (the package model's convention)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


# --- serialization ----------------------------------------------------------------------------------------


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
