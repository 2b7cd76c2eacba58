"""A bag's fixity history as a PREMIS 3 document: the bag as object, this software as agent, and one
`fixity check` event per check. Deterministic: identifiers are derived from the ledger's records."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from lxml import etree

from preservation.fixity.model import BagRecord, Event

PREMIS_NS = "http://www.loc.gov/premis/v3"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
_P = f"{{{PREMIS_NS}}}"
EVENT_TYPE_URI = "http://id.loc.gov/vocabulary/preservation/eventType"
FIXITY_CHECK_URI = f"{EVENT_TYPE_URI}/fix"
_EVENT_NAMESPACE = uuid.UUID("6f0f5d3e-5b7a-5c43-9a51-0b1f1e0c4a7d")
"""Namespace of the uuid5 event identifiers (any fixed UUID; changing it would change every identifier)."""


def object_identifier(bag: BagRecord) -> tuple[str, str]:
    return ("External-Identifier", bag.identity) if bag.identity else ("local path", bag.path)


def event_identifier(bag: BagRecord, event: Event) -> str:
    return str(uuid.uuid5(_EVENT_NAMESPACE, f"{object_identifier(bag)[1]}|{event.started}|{event.id}"))


def _add(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, _P + tag, attrs)
    if text is not None:
        element.text = text
    return element


def history_document(
    bags: Sequence[BagRecord], events: Sequence[Event], *, software: str, version: str
) -> bytes:
    """PREMIS 3 XML for `bags` and their `events`, oldest first. Agents are taken from the events
    (``"NAME VERSION"``); `software`/`version` name the agent when there are no events yet."""
    root = etree.Element(_P + "premis", nsmap={"premis": PREMIS_NS, "xsi": XSI_NS}, version="3.0")
    for bag in bags:
        obj = _add(root, "object", **{f"{{{XSI_NS}}}type": "premis:representation"})
        identifier = _add(obj, "objectIdentifier")
        kind, value = object_identifier(bag)
        _add(identifier, "objectIdentifierType", kind)
        _add(identifier, "objectIdentifierValue", value)
        _add(obj, "originalName", bag.path)
    by_id = {bag.id: bag for bag in bags}
    for event in events:
        bag = by_id[event.bag_id]
        element = _add(root, "event")
        identifier = _add(element, "eventIdentifier")
        _add(identifier, "eventIdentifierType", "UUID")
        _add(identifier, "eventIdentifierValue", event_identifier(bag, event))
        attrs = {"authority": "eventType", "authorityURI": EVENT_TYPE_URI, "valueURI": FIXITY_CHECK_URI}
        _add(element, "eventType", "fixity check", **attrs)
        _add(element, "eventDateTime", event.ended)
        detail = _add(element, "eventDetailInformation")
        text = f"started {event.started}, ended {event.ended}, {event.bytes} bytes read, bag at {bag.path}"
        _add(detail, "eventDetail", text)
        outcome = _add(element, "eventOutcomeInformation")
        _add(outcome, "eventOutcome", event.outcome)
        for problem in event.problems:
            note = f"{problem.kind}: {problem.file or '(bag)'}: {problem.detail}"
            _add(_add(outcome, "eventOutcomeDetail"), "eventOutcomeDetailNote", note)
        agent = _add(element, "linkingAgentIdentifier")
        _add(agent, "linkingAgentIdentifierType", "software")
        _add(agent, "linkingAgentIdentifierValue", event.agent)
        _add(agent, "linkingAgentRole", "executing program")
        linked = _add(element, "linkingObjectIdentifier")
        kind, value = object_identifier(bag)
        _add(linked, "linkingObjectIdentifierType", kind)
        _add(linked, "linkingObjectIdentifierValue", value)
        _add(linked, "linkingObjectRole", "source")
    # One agent per software version that made a check (the ledger keeps it with each event).
    for agent_value in sorted({event.agent for event in events} or {f"{software} {version}"}):
        name, _, agent_version = agent_value.rpartition(" ")
        agent = _add(root, "agent")
        identifier = _add(agent, "agentIdentifier")
        _add(identifier, "agentIdentifierType", "software")
        _add(identifier, "agentIdentifierValue", agent_value)
        _add(agent, "agentName", name or agent_value)
        _add(agent, "agentType", "software")
        _add(agent, "agentVersion", agent_version)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
