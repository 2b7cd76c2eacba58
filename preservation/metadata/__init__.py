"""Dublin Core, METS and PREMIS 3 records of a package, checked against the shipped official schemas.

Builders return XML bytes only when they pass their schemas; otherwise they raise MetadataError (a BagError),
so a bag with invalid metadata is never published.
"""

from preservation.metadata.dc import build_dc
from preservation.metadata.mets import build_mets
from preservation.metadata.premis import file_identifier, premis_record
from preservation.metadata.xsd import MetadataError, validate_dc, validate_mets

__all__ = [
    "MetadataError",
    "build_dc",
    "build_mets",
    "file_identifier",
    "premis_record",
    "validate_dc",
    "validate_mets",
]
