"""The catalogue's parsed copy: the same entries as catalogue.yaml, never a stale or damaged one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
import yaml

from preservation.validate.findings import _parsed

ROOT = Path(__file__).resolve().parents[2]
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


def _catalogue_in_a_process(prefix: Path) -> dict[str, dict[str, str]]:
    """The catalogue as a fresh process reads it, with its bytecode (and so the copy) under `prefix`."""
    code = (
        "import json\n"
        "from preservation.validate.findings import catalogue\n"
        "fields = ('code', 'family', 'severity', 'en', 'de')\n"
        "print(json.dumps({c: {f: getattr(e, f) for f in fields} for c, e in catalogue().items()}))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(PYTHONPATH=str(ROOT), PYTHONPYCACHEPREFIX=str(prefix))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_a_process_writes_the_copy_beside_the_bytecode_and_never_trusts_a_stale_one(tmp_path):
    expected = {code: {"code": code, **item} for code, item in yaml.safe_load(TEXT).items()}
    assert _catalogue_in_a_process(tmp_path) == expected
    copies = list(tmp_path.rglob("catalogue*.json"))
    assert [c.parent.name for c in copies] == ["validate"]  # the package's folder under the prefix
    stale = {"source": TEXT.replace("bagit.txt is malformed", "old words"), "entries": {"x": {}}}
    copies[0].write_text(json.dumps(stale), encoding="utf-8")
    assert _catalogue_in_a_process(tmp_path) == expected
    assert json.loads(copies[0].read_text(encoding="utf-8"))["source"] == TEXT
    copies[0].unlink()
    assert _catalogue_in_a_process(tmp_path) == expected
    assert copies[0].exists()
