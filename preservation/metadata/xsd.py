"""Offline, cached XML Schema validation of the bags' METS and Dublin Core records and of xdomea messages.

The official schemas ship in ``schemas/`` (see PROVENANCE.md there; xdomea's in ``schemas/xdomea/``). Nothing
is ever fetched: the parser has no network access and a resolver maps the two remote locations the schemas
import to their local copies and refuses every other URL.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from lxml import etree

from preservation.errors import BagError
from preservation.xmlns import METS_NS, safe_parser

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"

DC_CONTAINER = "qualifieddc"
"""Root element of a DC record (dc.xml, and inside the METS dmdSec): the one DCMI declares for qualified DC
(``qdc/2008/02/11/qualifieddc.xsd``: no target namespace, type ``dcterms:elementOrRefinementContainer``)."""
DC_LEGACY_CONTAINER = "metadata"
"""The root earlier builds wrote, of the same type; their records still validate."""

_REMOTE = {
    "http://www.w3.org/2001/03/xml.xsd": "xml.xsd",
    "http://www.w3.org/2001/xml.xsd": "xml.xsd",
    "http://www.loc.gov/standards/xlink/xlink.xsd": "xlink.xsd",
    "https://www.loc.gov/standards/xlink/xlink.xsd": "xlink.xsd",
}

# One schema for everything: METS (with xlink), dcterms (pulls dc, dcmitype, xml) and PREMIS 3, so that DC
# and PREMIS embedded in METS are checked wherever METS's lax wildcards find a declaration. Declaring the DC
# container here also makes the DC inside the dmdSec strict: without it, a stray <dc:sprache> would pass.
# `qualifieddc` as DCMI's qualifieddc.xsd declares it (see PROVENANCE.md); `metadata` for earlier bags.
_DRIVER = b"""<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:dcterms="http://purl.org/dc/terms/">
  <xs:import namespace="http://www.loc.gov/METS/" schemaLocation="mets.xsd"/>
  <xs:import namespace="http://purl.org/dc/terms/" schemaLocation="dcterms.xsd"/>
  <xs:import namespace="http://www.loc.gov/premis/v3" schemaLocation="premis.xsd"/>
  <xs:element name="qualifieddc" type="dcterms:elementOrRefinementContainer"/>
  <xs:element name="metadata" type="dcterms:elementOrRefinementContainer"/>
</xs:schema>
"""


class MetadataError(BagError):
    """A metadata record failed its schema (the bag must not be published), or the schemas cannot load."""


class _OfflineResolver(etree.Resolver):
    """Serve the shipped schemas only; any other URL is an error, never a fetch."""

    def __init__(self) -> None:
        super().__init__()
        self.refused: list[str] = []
        """URLs refused, for the error message: libxml2 reports only that the resource failed to load."""

    # The ignores: lxml-stubs omit the ``context`` argument and ``resolve_filename`` that lxml has.
    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:  # type: ignore[override]
        url = system_url or ""
        name = _REMOTE.get(url) or _shipped_schema_name(url)
        if name is None:
            self.refused.append(url)
            # Raising (rather than returning None) keeps libxml2 from falling back to its own loader.
            raise MetadataError(url, "not one of the shipped schemas")
        return self.resolve_filename(str(SCHEMA_DIR / name), context)  # type: ignore[attr-defined]


def _shipped_schema_name(url: str) -> str | None:
    """The path relative to SCHEMA_DIR when ``url`` is a path (or file: URL) of a file in it or in one of
    its folders (xdomea's modules include each other relatively), else None."""
    parts = urlsplit(url)
    if parts.scheme not in ("", "file") or parts.netloc not in ("", "localhost"):
        return None
    path = Path(unquote(parts.path)).resolve()
    if not path.is_relative_to(SCHEMA_DIR) or not path.is_file():
        return None
    return path.relative_to(SCHEMA_DIR).as_posix()


def compile_schema(document: bytes, base: Path = SCHEMA_DIR / "driver.xsd") -> etree.XMLSchema:
    """Compile a schema document whose imports are resolved against the shipped schemas, offline;
    relative locations in it are relative to `base`."""
    resolver = _OfflineResolver()
    try:
        root = etree.fromstring(document, safe_parser(resolver), base_url=str(base))
        return etree.XMLSchema(root)
    except (etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        refused = "".join(f"; refused to load {url}" for url in resolver.refused)
        raise MetadataError(None, f"cannot load the metadata schemas: {exc}{refused}") from exc


@cache
def metadata_schema() -> etree.XMLSchema:
    """METS 1.12.1 + PREMIS 3 + DC/dcterms, compiled once per process."""
    return compile_schema(_DRIVER)


XDOMEA_VERSIONS = ("3.0.0", "3.1.0")
XDOMEA_DIR = SCHEMA_DIR / "xdomea"


def xdomea_namespace(version: str) -> str:
    return f"urn:xoev-de:xdomea:schema:{version}"


@cache
def xdomea_schema(version: str) -> etree.XMLSchema:
    """xdomea `version` (every message module, as its `xdomea.xsd` includes them), compiled once per
    process; MetadataError for a version not shipped."""
    if version not in XDOMEA_VERSIONS:
        raise MetadataError(None, f"xdomea {version} is not shipped; use one of {', '.join(XDOMEA_VERSIONS)}")
    main = XDOMEA_DIR / version / "xdomea.xsd"
    return compile_schema(main.read_bytes(), main)


def validate_xdomea(xml: bytes, version: str) -> list[str]:
    """Schema errors of an xdomea message of `version`, each with its line; [] when valid."""
    return _validate(xml, (), xdomea_schema(version))


def _validate(xml: bytes, root_tags: tuple[str, ...], schema: etree.XMLSchema | None = None) -> list[str]:
    try:
        tree = etree.fromstring(xml, safe_parser())
    except etree.XMLSyntaxError as exc:
        return [f"line {exc.lineno}: {exc.msg}"]
    if tree.getroottree().docinfo.doctype:  # type: ignore[union-attr]
        return ["line 1: document type declarations are not allowed"]
    if root_tags and tree.tag not in root_tags:
        return [f"line {tree.sourceline}: root element is {tree.tag}, expected {' or '.join(root_tags)}"]
    schema = schema or metadata_schema()
    if schema.validate(tree):
        return []
    return [f"line {error.line}: {error.message}" for error in schema.error_log]  # type: ignore[attr-defined]


def validate_mets(xml: bytes) -> list[str]:
    """Schema errors of a METS document with embedded DC and PREMIS, each with its line; [] when valid."""
    return _validate(xml, (f"{{{METS_NS}}}mets",))


def validate_dc(xml: bytes) -> list[str]:
    """Schema errors of a stand-alone DC record. Needed beside METS: METS wraps DC laxly."""
    return _validate(xml, (DC_CONTAINER, DC_LEGACY_CONTAINER))


def serialize_valid(root: etree._Element, what: str, check: Callable[[bytes], list[str]]) -> bytes:
    """`root` as an indented UTF-8 document; MetadataError with `check`'s errors of those bytes unless the
    tree follows the metadata schema.

    The tree is validated as built rather than parsed back from its bytes (parsing a METS costs about as
    much as building it): lxml writes exactly what the tree holds, and indentation goes only between
    elements, where the schemas allow whitespace. `check` (validate_mets, validate_dc) runs only on failure,
    to name each error's line.
    """
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    if metadata_schema().validate(root):
        return xml
    return require_valid(xml, check(xml) or [str(metadata_schema().error_log)], what)


def require_valid(xml: bytes, errors: list[str], what: str) -> bytes:
    """Return ``xml`` when it has no errors; otherwise raise MetadataError listing them."""
    if errors:
        raise MetadataError(what, "does not follow its schema: " + "; ".join(errors))
    return xml
