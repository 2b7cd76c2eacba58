"""A bag's fixity history as a PREMIS 3 document: the bag as object, this software as agent, one
`fixity check` event per check and one `fixity repair` event per repair. Deterministic: identifiers are
derived from the ledger's records.

Whatever the ledger's names hold, the document is well-formed XML: a character XML cannot carry (a control
character, a lone surrogate from a name that is not UTF-8) is shown as U+FFFD, as in the release reader's
metadata; `history --format json` keeps the names exact."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from lxml import etree

from preservation.display import shown
from preservation.fixity.model import BagRecord, Event, Repair, parse_time
from preservation.metadata.premis import (
    EVENT_TYPE_VOCABULARY,
    PREMIS_VERSION,
    Agent,
    Identifier,
    Link,
    Representation,
    agent_element,
    event_element,
    representation_element,
)
from preservation.metadata.premis import Event as PremisEvent
from preservation.xmlns import PREMIS_NS, XSI_NS

FIXITY_CHECK_URI = f"{EVENT_TYPE_VOCABULARY}/fix"
_EVENT_NAMESPACE = uuid.UUID("6f0f5d3e-5b7a-5c43-9a51-0b1f1e0c4a7d")
"""Namespace of the uuid5 event identifiers (any fixed UUID; changing it would change every identifier)."""


def object_identifier(bag: BagRecord) -> Identifier:
    # `shown`: XML cannot carry every character a path or a bag-info value may hold.
    return (
        Identifier("External-Identifier", shown(bag.identity))
        if bag.identity
        else Identifier("local path", shown(bag.path))
    )


def event_identifier(bag: BagRecord, event: Event) -> str:
    return str(uuid.uuid5(_EVENT_NAMESPACE, f"{object_identifier(bag).value}|{event.started}|{event.id}"))


def _check(bag: BagRecord, event: Event) -> PremisEvent:
    return PremisEvent(
        Identifier("UUID", event_identifier(bag, event)),
        "fixity check",
        parse_time(event.ended),
        f"started {event.started}, ended {event.ended}, {event.bytes} bytes read, bag at {shown(bag.path)}",
        event.outcome,
        tuple(
            f"{problem.kind}: {shown(problem.file or '(bag)')}: [{problem.code}] {shown(problem.detail)}"
            for problem in event.problems
        ),
        (Link(Identifier("software", shown(event.agent)), "executing program"),),
        (Link(object_identifier(bag), "source"),),
        FIXITY_CHECK_URI,
    )


def _repair(bag: BagRecord, repair: Repair) -> PremisEvent:
    """A ``fixity repair`` event (not a term of the LoC vocabulary, so without its URI): the files restored
    and the replica they came from, with the outcome of re-verifying the whole bag after."""
    digest = f"{object_identifier(bag).value}|repair|{repair.started}|{repair.id}"
    return PremisEvent(
        Identifier("UUID", str(uuid.uuid5(_EVENT_NAMESPACE, digest))),
        "fixity repair",
        parse_time(repair.ended),
        f"started {repair.started}, ended {repair.ended}, {len(repair.files)} files restored from the"
        f" replica {shown(repair.source)} into the bag at {shown(bag.path)}: {shown(repair.detail)}",
        repair.outcome,
        tuple(f"restored: {shown(name)}" for name in repair.files),
        (Link(Identifier("software", shown(repair.agent)), "executing program"),),
        (
            Link(Identifier("local path", shown(repair.source)), "source"),
            Link(object_identifier(bag), "outcome"),
        ),
    )


def _agent(value: str) -> Agent:
    """The agent of a ledger's ``"NAME VERSION"``, identified by that text."""
    value = shown(value)
    name, _, version = value.rpartition(" ")
    return Agent(Identifier("software", value), name or value, "software", version)


def history_document(
    bags: Sequence[BagRecord],
    events: Sequence[Event],
    repairs: Sequence[Repair] = (),
    *,
    software: str,
    version: str,
) -> bytes:
    """PREMIS 3 XML for `bags`, their check `events` and `repairs`, oldest first. Agents are taken from
    them (``"NAME VERSION"``); `software`/`version` name the agent when there are none yet."""
    nsmap = {"premis": PREMIS_NS, "xsi": XSI_NS}
    root = etree.Element(f"{{{PREMIS_NS}}}premis", nsmap=nsmap, version=PREMIS_VERSION)
    for bag in bags:
        representation_element(root, Representation(object_identifier(bag), shown(bag.path)))
    by_id = {bag.id: bag for bag in bags}
    # In the ledger's order (by start), repairs among the checks.
    timed = [(event.started, 0, event.id, _check(by_id[event.bag_id], event)) for event in events]
    timed += [(repair.started, 1, repair.id, _repair(by_id[repair.bag_id], repair)) for repair in repairs]
    for *_, premis_event in sorted(timed, key=lambda item: item[:3]):
        # The ledger times checks to the microsecond; so does the history.
        event_element(root, premis_event, "microseconds")
    # One agent per software version that made a check or repair (the ledger keeps it with each).
    agents = {event.agent for event in events} | {repair.agent for repair in repairs}
    for agent in sorted(agents or {f"{software} {version}"}):
        agent_element(root, _agent(agent))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
