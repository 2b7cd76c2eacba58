"""The offline schema loader: refuses unknown URLs, never expands entities, reports errors with lines."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from preservation.metadata import MetadataError, validate_dc, validate_mets
from preservation.metadata.xsd import SCHEMA_DIR, compile_schema, metadata_schema

VALID_DC = b"""<?xml version="1.0" encoding="UTF-8"?>
<qualifieddc xmlns:dc="http://purl.org/dc/elements/1.1/">
  <dc:title>Radwege</dc:title>
</qualifieddc>
"""


def _importing(location: str) -> bytes:
    return (
        b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        b'<xs:import namespace="http://www.loc.gov/premis/v3" schemaLocation="%s"/></xs:schema>'
    ) % location.encode()


@pytest.mark.parametrize(
    "location",
    ["http://example.org/evil.xsd", "https://www.loc.gov/standards/premis/v3/premis.xsd", "../../errors.py"],
)
def test_resolver_refuses_unknown_locations(location: str) -> None:
    with pytest.raises(MetadataError, match="refused to load"):
        compile_schema(_importing(location))


def test_resolver_refuses_a_local_copy_outside_the_schema_folder(tmp_path: Path) -> None:
    copy = tmp_path / "premis.xsd"
    copy.write_bytes((SCHEMA_DIR / "premis.xsd").read_bytes())
    with pytest.raises(MetadataError, match="refused to load"):
        compile_schema(_importing(str(copy)))


def test_shipped_schemas_load_by_relative_name() -> None:
    compile_schema(_importing("premis.xsd"))


def test_external_entity_is_not_expanded() -> None:
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE metadata [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>&x;</dc:title></metadata>'
    )
    assert validate_dc(xxe) == ["line 1: document type declarations are not allowed"]


def test_external_dtd_is_rejected_without_fetching() -> None:
    doc = b'<?xml version="1.0"?><!DOCTYPE metadata SYSTEM "http://example.org/x.dtd"><metadata/>'
    assert validate_dc(doc) == ["line 1: document type declarations are not allowed"]


def test_billion_laughs_is_rejected_quickly() -> None:
    entities = b'<!ENTITY l0 "lol">' + b"".join(
        b'<!ENTITY l%d "%s">' % (i, b"&l%d;" % (i - 1) * 10) for i in range(1, 10)
    )
    doc = b'<?xml version="1.0"?><!DOCTYPE metadata [' + entities + b"]><metadata>&l9;</metadata>"
    start = time.perf_counter()
    errors = validate_mets(doc)
    assert time.perf_counter() - start < 1
    assert errors and errors[0].startswith("line 1:")


def test_not_well_formed() -> None:
    assert validate_dc(b"<metadata>\n<dc:title>")[0].startswith("line 2:")


def test_root_element_must_match() -> None:
    assert validate_mets(VALID_DC) == [
        "line 2: root element is qualifieddc, expected {http://www.loc.gov/METS/}mets"
    ]
    assert validate_dc(VALID_DC) == []


def test_schema_load_time() -> None:
    metadata_schema.cache_clear()
    start = time.perf_counter()
    metadata_schema()
    elapsed = time.perf_counter() - start
    print(f"\nschema load (METS + PREMIS 3 + DC/dcterms): {elapsed * 1000:.1f} ms")
    assert metadata_schema() is metadata_schema()
    assert elapsed < 2


def _provenance() -> dict[str, str]:
    """file → sha256 from the table in schemas/PROVENANCE.md."""
    rows = (SCHEMA_DIR / "PROVENANCE.md").read_text(encoding="utf-8").splitlines()
    cells = [[c.strip() for c in row.strip("|").split("|")] for row in rows if row.startswith("| ")]
    return {row[0]: row[-1] for row in cells if row[0].endswith(".xsd")}


@pytest.mark.parametrize("name", sorted(_provenance()))
def test_shipped_schema_is_the_file_its_provenance_names(name: str) -> None:
    assert hashlib.sha256((SCHEMA_DIR / name).read_bytes()).hexdigest() == _provenance()[name]


def test_official_mets_imports_xlink_from_the_loc_and_loads_offline() -> None:
    # The official file, unchanged, names the LoC's URL; the resolver serves the shipped copy.
    assert (
        b'schemaLocation="http://www.loc.gov/standards/xlink/xlink.xsd"'
        in (SCHEMA_DIR / "mets.xsd").read_bytes()
    )
    compile_schema(_importing("mets.xsd").replace(b"premis/v3", b"METS/"))
