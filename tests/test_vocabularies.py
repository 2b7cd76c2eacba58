"""The shared vocabularies: serializations, OS junk names and XML (namespaces, the one safe parser) each
live in one module, and the package's other modules use them instead of copies of their own."""

from __future__ import annotations

import ast
import tarfile
from functools import cache
from pathlib import Path

import pytest
from lxml import etree

from preservation import xmlns
from preservation.bagit.locate import bag_kind
from preservation.fixity.repair import serialization
from preservation.junk import is_os_junk
from preservation.release.discover import is_junk
from preservation.serialization import SERIALIZATIONS, SUFFIX_LIST, SUFFIXES, accepts, serialization_of

PACKAGE = Path(__file__).resolve().parents[1] / "preservation"
NAMESPACES = [xmlns.METS_NS, xmlns.PREMIS_NS, xmlns.DC_NS, xmlns.DCTERMS_NS, xmlns.XLINK_NS, xmlns.XSI_NS]


@cache
def modules() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8"))) for path in sorted(PACKAGE.rglob("*.py"))]


@pytest.mark.parametrize("name", ["r.tar", "R.TAR.GZ", "r.Tgz", "r.ZIP"])
def test_every_suffix_of_a_serialized_bag_is_one_to_the_locator_and_the_repair(
    tmp_path: Path, name: str
) -> None:
    path = tmp_path / name
    with tarfile.open(tmp_path / "empty.tar", "w"):
        pass
    path.write_bytes((tmp_path / "empty.tar").read_bytes())
    form = serialization_of(name)
    assert form is not None and name.lower().endswith(SUFFIXES[form])
    assert bag_kind(path) == ("zip" if form == "zip" else "tar")
    assert serialization(str(path)) == form
    assert all(suffix in SUFFIX_LIST for suffixes in SUFFIXES.values() for suffix in suffixes)


def test_a_profile_naming_a_serialization_by_an_alias_accepts_it() -> None:
    assert accepts(["application/x-gzip"], "tar.gz") and accepts(["application/x-zip-compressed"], "zip")
    assert not accepts(["application/zip"], "tar")


def test_the_profile_schema_names_each_serialization_once_by_a_name_of_the_vocabulary() -> None:
    import json

    schema = json.loads((PACKAGE / "profile_schema.json").read_text(encoding="utf-8"))
    serialization_schema = schema["properties"]["serialization"]["properties"]
    names = serialization_schema["accept"]["items"]["enum"]
    assert [[form for form in SERIALIZATIONS if accepts([name], form)] for name in names] == [
        [form] for form in SERIALIZATIONS
    ]
    assert serialization_schema["default"]["enum"] == list(SERIALIZATIONS)


@pytest.mark.parametrize(
    "name", [".DS_Store", "THUMBS.DB", "Desktop.ini", "._report.pdf", "__MACOSX", "$RECYCLE.BIN"]
)
def test_os_junk_is_told_whatever_its_case_and_discovery_passes_it_by(name: str) -> None:
    assert is_os_junk(name) and is_junk(Path("collection") / name)


@pytest.mark.parametrize("name", ["thumbs.db.txt", "desktop", "report.pdf", "_x"])
def test_ordinary_names_are_no_junk(name: str) -> None:
    assert not is_os_junk(name)


def test_the_safe_parser_reads_no_entity_dtd_or_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret", encoding="utf-8")
    external = f'<!DOCTYPE r [<!ENTITY x SYSTEM "{secret.as_uri()}">]><r>&x;</r>'.encode()
    root = etree.fromstring(external, xmlns.safe_parser())
    assert b"top secret" not in etree.tostring(root)
    dtd = tmp_path / "r.dtd"
    dtd.write_text('<!ATTLIST r read CDATA "yes">', encoding="utf-8")
    with_dtd = f'<!DOCTYPE r SYSTEM "{dtd.as_uri()}"><r/>'.encode()
    assert etree.fromstring(with_dtd, xmlns.safe_parser()).get("read") is None
    laughs = b"<!DOCTYPE r [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>]><r>&b;</r>"
    assert b"aaaaaaaaaa" not in etree.tostring(etree.fromstring(laughs, xmlns.safe_parser()))


def test_every_xml_parse_goes_through_the_safe_parser() -> None:
    """No parser of lxml's defaults (entities resolved) and no second set of options anywhere."""
    for path, tree in modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            where = f"{path.relative_to(PACKAGE)}:{node.lineno}"
            if node.func.attr == "XMLParser":
                assert path.name == "xmlns.py", f"{where}: a parser of its own"
            if (
                node.func.attr in ("fromstring", "XML", "parse")
                and getattr(node.func.value, "id", "") == "etree"
            ):
                assert len(node.args) + len(node.keywords) >= 2, f"{where}: parsed with lxml's default parser"
            if node.func.attr == "iterparse":
                assert any(k.arg is None for k in node.keywords), f"{where}: iterparse without SAFE_OPTIONS"


def test_namespaces_are_spelled_only_in_the_vocabulary() -> None:
    for path, tree in modules():
        if path.name == "xmlns.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                spelled = [ns for ns in NAMESPACES if ns in node.value]
                assert not spelled, f"{path.relative_to(PACKAGE)}:{node.lineno} spells {spelled[0]}"
