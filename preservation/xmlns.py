"""XML as this package writes and reads it: the namespaces, as one vocabulary, and the one way to parse.

Every XML document is parsed by `safe_parser`, whatever its source (a bag's records, an export's own
output read back, a schema): no DTD is loaded, no entity expanded, nothing fetched from the network or
the disk, and no tree beyond libxml2's default limits built (huge_tree stays off: our records are small,
and an oversized one is a mistake or an attack).
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from preservation.errors import PreservationError

METS_NS = "http://www.loc.gov/METS/"
PREMIS_NS = "http://www.loc.gov/premis/v3"
DC_NS = "http://purl.org/dc/elements/1.1/"
DCTERMS_NS = "http://purl.org/dc/terms/"
XLINK_NS = "http://www.w3.org/1999/xlink"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XML_NS = "http://www.w3.org/XML/1998/namespace"
CSIP_NS = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
"""The E-ARK CSIP extension of METS."""

SAFE_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
}
"""`safe_parser`'s options, for the lxml calls that take options rather than a parser (`etree.iterparse`)."""


class _Refuse(etree.Resolver):
    """Loads nothing: a document's DTD, entities and includes stay unread."""

    # The ignore: lxml-stubs omit the ``context`` argument that lxml passes.
    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:  # type: ignore[override]
        # Raising (rather than returning None) keeps libxml2 from falling back to its own loader.
        raise PreservationError(system_url or None, "an XML document's external resources are never loaded")


def safe_parser(resolver: etree.Resolver | None = None) -> etree.XMLParser:
    """A parser for untrusted XML (see the module's docstring). `resolver` serves what a schema imports
    (`metadata.xsd` maps them to the shipped schemas); without one, every external resource is refused."""
    parser = etree.XMLParser(**SAFE_OPTIONS)
    parser.resolvers.add(resolver or _Refuse())
    return parser
