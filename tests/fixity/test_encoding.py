"""Tag files are read in the encoding bagit.txt declares, through the shared parser."""

from __future__ import annotations

from pathlib import Path

from preservation.fixity.check import check_bag
from preservation.fixity.discover import Found, identify
from preservation.fixity.model import CheckTask, Identity
from tests.fixity.bags import make_bag, refresh_tag_manifests


def _latin1_bag(tmp_path: Path) -> Path:
    bag = make_bag(tmp_path / "bag", "urn:ks:ä", {"Straße.txt": b"Kaiserslautern"})
    for tag in ("manifest-sha256.txt", "manifest-sha512.txt", "bag-info.txt"):
        (bag / tag).write_bytes((bag / tag).read_text(encoding="utf-8").encode("iso-8859-1"))
    bagit_txt = (bag / "bagit.txt").read_text().replace("UTF-8", "ISO-8859-1")
    (bag / "bagit.txt").write_text(bagit_txt)
    refresh_tag_manifests(bag)
    return bag


def test_declared_encoding_is_honoured(tmp_path: Path) -> None:
    bag = _latin1_bag(tmp_path)
    identity = identify(Found(str(bag), "directory"))
    assert isinstance(identity, Identity)
    assert identity.identity == "urn:ks:ä"
    result = check_bag(CheckTask(1, str(bag), identity.anchor))
    assert (result.outcome, result.problems) == ("pass", ())


def test_unreadable_declared_encoding_never_passes(tmp_path: Path) -> None:
    bag = _latin1_bag(tmp_path)
    (bag / "bagit.txt").write_text("BagIt-Version: 1.0\nTag-File-Character-Encoding: KOI-9\n")
    refresh_tag_manifests(bag)
    identity = identify(Found(str(bag), "directory"))
    assert isinstance(identity, Identity)
    result = check_bag(CheckTask(1, str(bag), identity.anchor))
    assert result.outcome == "error"
    assert ("unreadable", "bagit.txt") in [(p.kind, p.file) for p in result.problems]
