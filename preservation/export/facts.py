"""What the transfer list says about a bag, read from its tag files: identifier, title, issued date."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from preservation.bagit.parse import TagValues, parse_tag_values
from preservation.export.serialize import Member, read_member
from preservation.xmlns import DC_NS, DCTERMS_NS, safe_parser

DC_FILE = "metadata/dc.xml"
_DCTERMS = f"{{{DCTERMS_NS}}}"
_DC = f"{{{DC_NS}}}"
_PARSER = safe_parser()


@dataclass(frozen=True)
class BagFacts:
    identifier: str
    title: str
    issued: str
    """As the bag states it (ISO 8601 date), or "" when it does not."""
    payload_files: int
    bagging_date: str
    """bag-info.txt's Bagging-Date, "" when absent."""
    fingerprint: str
    """SHA-256 over every tag file's name and bytes: the manifests in it cover the payload, so a changed
    bag gives a different fingerprint (used to resume an interrupted export only with the same bags)."""


def read_facts(bag: Path, members: tuple[Member, ...]) -> BagFacts:
    """The facts of a bag from its tag files as they are on disk."""
    contents = {m.path: b"".join(read_member(m)) for m in members if not m.is_dir and not in_payload(m.path)}
    payload_files = sum(1 for m in members if not m.is_dir and in_payload(m.path))
    return facts_of(bag.name, contents, payload_files, fingerprint(contents))


def facts_of(
    name: str,
    tag_files: Mapping[str, bytes],
    payload_files: int,
    fingerprint: str,
    info: TagValues | None = None,
) -> BagFacts:
    """Facts of a bag that validated, from its tag files (path → bytes; only bag-info.txt and dc.xml are
    read): bag-info.txt first, dc.xml for what bag-info lacks, the folder `name` as the last resort for
    the identifier. `info`: bag-info.txt as the validator parsed it (it streams by, not kept as bytes)."""
    if info is None:
        info = parse_tag_values(tag_files.get("bag-info.txt", b""), "utf-8")
    dc = _dc_values(tag_files.get(DC_FILE))
    return BagFacts(
        identifier=info.get("External-Identifier") or dc.get("identifier") or name,
        title=dc.get("title") or info.get("External-Description") or "",
        issued=dc.get("issued") or "",
        payload_files=payload_files,
        bagging_date=info.get("Bagging-Date") or "",
        fingerprint=fingerprint,
    )


def fingerprint(tag_files: dict[str, bytes]) -> str:
    """`BagFacts.fingerprint` of these tag files (path → bytes)."""
    digest = hashlib.sha256()
    for path in sorted(tag_files, key=lambda p: p.encode()):
        data = tag_files[path]
        digest.update(path.encode() + b"\0" + len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def in_payload(path: str) -> bool:
    return path == "data" or path.startswith("data/")


def _dc_values(data: bytes | None) -> dict[str, str]:
    """First dc:title, dc:identifier and dcterms:issued; {} when absent or not well-formed (the validator
    judges the metadata; the transfer list only shows it)."""
    if data is None:
        return {}
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError:
        return {}
    found: dict[str, str] = {}
    for key, tag in (
        ("title", f"{_DC}title"),
        ("identifier", f"{_DC}identifier"),
        ("issued", f"{_DCTERMS}issued"),
    ):
        element = root.find(tag)
        if element is not None and element.text:
            found[key] = element.text.strip()
    return found
