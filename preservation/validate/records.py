"""Our METS and DC records, when a bag holds them: schema-valid (offline), METS files equal to the manifests,
DC equal to bag-info. Apart from `metadata` because lxml and the schemas cost tens of milliseconds to load,
which a bag without these records should not pay.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from urllib.parse import unquote

from lxml import etree

from preservation.metadata.mets import href_path, xml_bases
from preservation.metadata.premis import was_note
from preservation.metadata.xsd import validate_dc, validate_mets
from preservation.validate.context import DC, METS, BagContext
from preservation.validate.findings import Finding, finding
from preservation.xmlns import DC_NS, DCTERMS_NS, METS_NS, PREMIS_NS, XLINK_NS, XSI_NS, safe_parser

MAX_SCHEMA_ERRORS = 20
"""More errors add nothing a reader can act on; the rest are counted."""
_DATE_PREFIX = re.compile(r"^(\d{4}-\d{2}-\d{2})-")


def check(bag: BagContext) -> Iterator[Finding]:
    mets = _record(bag, METS, validate_mets)
    if mets is not None:
        yield from mets[1]
        if mets[0] is not None:
            yield from _mets_files(bag, mets[0])
    dc = _record(bag, DC, validate_dc)
    if dc is not None:
        yield from dc[1]
        if dc[0] is not None:
            yield from _dc_vs_bag_info(bag, dc[0], mets[0] if mets is not None else None)


def _record(
    bag: BagContext, path: str, validate: Callable[[bytes], list[str]]
) -> tuple[etree._Element | None, list[Finding]] | None:
    """The parsed record (None when not usable) and its schema findings; None when the bag lacks it."""
    tag = bag.scan.tags.get(path)
    if tag is None or tag.data is None:
        return None  # absent, or unreadable/oversize: the structure checks report that
    errors = validate(tag.data)
    findings = [finding("metadata.schema", path, error=e) for e in errors[:MAX_SCHEMA_ERRORS]]
    if len(errors) > MAX_SCHEMA_ERRORS:
        findings.append(finding("metadata.schema", path, error=f"… {len(errors) - MAX_SCHEMA_ERRORS} more"))
    try:
        root = etree.fromstring(tag.data, safe_parser())
    except etree.XMLSyntaxError:
        return None, findings
    # refused by validate(); never read further (lxml-stubs lack DocInfo.doctype)
    if root.getroottree().docinfo.doctype:  # type: ignore[union-attr]
        return None, findings
    return root, findings


def _algorithm(checksum_type: str) -> str:
    """METS CHECKSUMTYPE (``SHA-256``) as a BagIt algorithm name (``sha256``)."""
    return checksum_type.lower().replace("-", "")


def _mets_files(bag: BagContext, root: etree._Element) -> Iterator[Finding]:
    listing = bag.scan.listing
    manifests = {manifest.algorithm: manifest for manifest in bag.manifests.values()}
    legacy_hrefs: list[tuple[str, str | None]] = []
    for element in root.iter(f"{{{METS_NS}}}file"):
        location = element.find(f"{{{METS_NS}}}FLocat")
        href = location.get(f"{{{XLINK_NS}}}href") if location is not None else None
        if not href or location is None:
            continue
        path = href_path(href, xml_bases(location))
        if path is None or path not in listing:
            # Bags built before hrefs were written relative to metadata/mets.xml have them relative to the
            # bag root: still the file they mean, but a standard resolver does not find it.
            legacy = unquote(href)
            if legacy not in listing:
                yield finding("metadata.file-unlisted", METS, path=path or legacy)
                continue
            legacy_hrefs.append((href, path))
            path = legacy
        checksum, checksum_type = element.get("CHECKSUM"), element.get("CHECKSUMTYPE")
        manifest = manifests.get(_algorithm(checksum_type or ""))
        expected = listing.expected(path, manifest.index) if manifest is not None else None
        if checksum and manifest is not None and expected and expected.hex() != checksum.lower():
            yield finding(
                "metadata.checksum-mismatch",
                METS,
                path=path,
                algorithm=manifest.algorithm,
                mets=checksum,
                manifest=expected.hex(),
            )
        size = element.get("SIZE")
        actual = bag.scan.sizes.get(path)
        if size is not None and actual is not None and size != str(actual):
            yield finding("metadata.size-mismatch", METS, path=path, mets=size, actual=actual)
    if legacy_hrefs:
        href, resolved = legacy_hrefs[0]
        count, resolved = len(legacy_hrefs), resolved or "nothing"
        yield finding("metadata.href-unresolved", METS, count=count, href=href, resolved=resolved)


def _text(root: etree._Element, namespace: str, name: str) -> str | None:
    """The first element's text, except identifiers typed as URIs (the URN beside the plain identifier)."""
    for element in root.iter(f"{{{namespace}}}{name}"):
        if not element.get(f"{{{XSI_NS}}}type", "").endswith("URI"):
            return (element.text or "").strip()
    return None


def _dc_vs_bag_info(bag: BagContext, root: etree._Element, mets: etree._Element | None) -> Iterator[Finding]:
    if bag.info is None:
        return
    pairs = (
        ("title", _text(root, DC_NS, "title"), "External-Description"),
        ("identifier", _text(root, DC_NS, "identifier"), "External-Identifier"),
    )
    for element, dc_value, label in pairs:
        info_value = bag.info.get(label)
        if dc_value is not None and info_value is not None and dc_value != info_value:
            yield finding(
                "metadata.bag-info-mismatch", DC, element=element, dc=dc_value, label=label, value=info_value
            )
    # Our identifiers begin with the issued date when the release has no number of its own: the date as
    # read, which an archivist may have corrected since (build --corrections keeps the identifier).
    issued = _text(root, DCTERMS_NS, "issued")
    match = _DATE_PREFIX.match(bag.info.get("External-Identifier") or "")
    if (
        issued is not None
        and match
        and match.group(1) != issued[:10]
        and not _corrected(mets, match.group(1))
    ):
        yield finding(
            "metadata.bag-info-mismatch",
            DC,
            element="issued",
            dc=issued,
            label="External-Identifier",
            value=match.group(1),
        )


def _corrected(mets: etree._Element | None, issued: str) -> bool:
    """Whether the METS records a correction of the issued date from `issued`."""
    if mets is None:
        return False
    note = was_note("issued", issued)
    return any(
        (element.text or "").strip() == note
        for element in mets.iter(f"{{{PREMIS_NS}}}eventOutcomeDetailNote")
    )
