"""The messages against the xdomea schemas loaded independently (plain lxml, from the files), and their
shape against Landesarchiv NRW's example 0503 (data/nrw-example-0503.xml)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from lxml import etree

from preservation.metadata.xsd import validate_xdomea
from tests.conftest import ROOT
from tests.export.xdomea.conftest import containers, message_of

SCHEMAS = ROOT / "preservation" / "metadata" / "schemas" / "xdomea"
NRW_EXAMPLE = Path(__file__).parent / "data" / "nrw-example-0503.xml"


@cache
def independent_schema(version: str) -> etree.XMLSchema:
    """lxml's own loader, following the relative includes and imports on disk; no resolver of ours."""
    return etree.XMLSchema(etree.parse(str(SCHEMAS / version / "xdomea.xsd")))


def test_the_independent_schema_accepts_the_nrw_example() -> None:
    schema = independent_schema("3.0.0")
    assert schema.validate(etree.parse(str(NRW_EXAMPLE))), schema.error_log


def test_every_message_is_valid(xdomea_dir: Path) -> None:
    schema = independent_schema("3.0.0")
    for container in containers(xdomea_dir):
        message = message_of(container)
        assert schema.validate(message), (container.name, schema.error_log)


def test_the_shipped_loader_rejects_what_the_schema_rejects() -> None:
    broken = NRW_EXAMPLE.read_bytes().replace(b"<code>0503</code>", b"<code>0999</code>")
    assert not independent_schema("3.0.0").validate(etree.fromstring(broken))
    assert validate_xdomea(broken, "3.0.0")
    assert validate_xdomea(NRW_EXAMPLE.read_bytes(), "3.0.0") == []


def _paths(root: etree._Element) -> list[str]:
    """Element paths by local name, in document order, an Anlage read as the Dokument it is a kind of."""
    found: list[str] = []

    def walk(element: etree._Element, prefix: str) -> None:
        if not isinstance(element.tag, str):
            return  # a comment
        path = f"{prefix}/{etree.QName(element).localname}".replace("/Dokument/Anlage", "/Dokument")
        found.append(path)
        for child in element:
            walk(child, path)

    walk(root, "")
    return found


# In the NRW example but not applicable to press releases: no filing plan, no lead unit, no history.
NOT_APPLICABLE = (
    "Aktenbetreff",
    "Aktenplaneinheit",
    "Federfuehrung",
    "HistorienProtokollInformation",
    "Vorgang/AllgemeineMetadaten/Bemerkung",
)
# Ours but not in the example: each primary document's original name, and the format's name for code 100.
ADDED = ("DateinameOriginal", "SonstigerName")


def test_shape_follows_the_nrw_example(xdomea_dir: Path) -> None:
    example = _paths(etree.parse(str(NRW_EXAMPLE)).getroot())
    ours: set[str] = set()
    for container in containers(xdomea_dir):
        message = message_of(container)
        paths = _paths(message)
        ours.update(paths)
        head = [p for p in paths if p.count("/") == 3 and "/Kopf/" in p]
        assert head == [p for p in example if p.count("/") == 3 and "/Kopf/" in p]
    expected = {p for p in example if not any(part in p for part in NOT_APPLICABLE)}
    assert expected <= ours
    assert {p for p in ours if not p.endswith(ADDED)} <= set(example)


@pytest.mark.parametrize("version", ["3.0.0", "3.1.0"])
def test_both_shipped_versions_compile_offline(version: str) -> None:
    assert validate_xdomea(b"<x/>", version)  # compiles, and refuses a foreign document
