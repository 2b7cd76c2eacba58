"""The catalogue's parsed copy: the same entries as catalogue.yaml, never a stale or damaged one."""

from __future__ import annotations

import json
import sys
from importlib import resources

import pytest
import yaml

from preservation.validate.findings import _parsed

TEXT = (resources.files("preservation.validate") / "catalogue.yaml").read_text(encoding="utf-8")


@pytest.fixture
def writing(monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", False)


def test_the_copy_gives_the_entries_of_the_yaml(tmp_path, writing):
    copy = tmp_path / "__pycache__" / "catalogue.cpython-311.json"
    expected = yaml.safe_load(TEXT)
    assert _parsed(TEXT, copy) == expected
    assert json.loads(copy.read_text(encoding="utf-8"))["entries"] == expected
    assert _parsed(TEXT, copy) == expected


def test_a_copy_of_another_text_is_not_used_but_replaced(tmp_path, writing):
    copy = tmp_path / "catalogue.json"
    copy.write_text(json.dumps({"source": "old: {}", "entries": {"old": {}}}), encoding="utf-8")
    assert _parsed(TEXT, copy) == yaml.safe_load(TEXT)
    assert json.loads(copy.read_text(encoding="utf-8"))["source"] == TEXT


@pytest.mark.parametrize("damaged", [b"", b'{"source": ', b"[]", b"\xff\xfe", b'{"entries": {}}'])
def test_a_damaged_copy_is_not_used(tmp_path, writing, damaged):
    copy = tmp_path / "catalogue.json"
    copy.write_bytes(damaged)
    assert _parsed(TEXT, copy) == yaml.safe_load(TEXT)


def test_no_copy_is_written_where_python_writes_no_bytecode(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    copy = tmp_path / "catalogue.json"
    assert _parsed(TEXT, copy) == yaml.safe_load(TEXT)
    assert not copy.exists()


def test_an_unwritable_place_for_the_copy_is_no_error(tmp_path, writing):
    (tmp_path / "file").write_text("not a folder", encoding="utf-8")
    assert _parsed(TEXT, tmp_path / "file" / "__pycache__" / "catalogue.json") == yaml.safe_load(TEXT)
    assert list(tmp_path.iterdir()) == [tmp_path / "file"]


def test_a_copy_of_this_text_is_read_instead_of_the_yaml(tmp_path, writing):
    copy = tmp_path / "catalogue.json"
    copy.write_text(json.dumps({"source": TEXT, "entries": {"from.copy": {}}}), encoding="utf-8")
    assert _parsed(TEXT, copy) == {"from.copy": {}}
