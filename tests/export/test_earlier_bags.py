"""Bags built by an earlier version (tests/validate/data/) export as the bags of today do, in both formats."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from preservation.cli import main
from preservation.export.formats import export
from preservation.profile import Profile
from tests.export.conftest import ENV
from tests.export.xdomea.conftest import NS, containers, message_of
from tests.validate.conftest import unpack_earlier_bags


@pytest.fixture
def earlier(tmp_path: Path) -> list[Path]:
    return unpack_earlier_bags(tmp_path / "bags")


@pytest.mark.parametrize("fmt", ["bagit", "xdomea"])
def test_exported_and_verified(tmp_path: Path, earlier: list[Path], profile: Profile, fmt: str) -> None:
    out = tmp_path / "transfer"
    result = export(fmt, earlier, out, profile, environ=ENV)
    assert result.ok and len(result.exported) == len(earlier), result.rejected
    assert main(["verify-transfer", str(out)]) == 0


def test_xdomea_reads_their_hrefs_dc_and_charsets(
    tmp_path: Path, earlier: list[Path], profile: Profile
) -> None:
    out = tmp_path / "transfer"
    assert export("xdomea", earlier, out, profile, environ=ENV).ok
    payload = sorted(
        hashlib.sha256(p.read_bytes()).hexdigest()
        for bag in earlier
        for p in (bag / "data").rglob("*")
        if p.is_file()
    )
    seen, titles, codes = [], set(), {}
    for container in containers(out):
        message = message_of(container)
        titles |= {e.text for e in message.iter(f"{NS}Betreff")}
        with zipfile.ZipFile(container) as archive:
            for fmt in message.iter(f"{NS}Format"):
                name = fmt.findtext(f"{NS}Primaerdokument/{NS}Dateiname") or ""
                original = fmt.findtext(f"{NS}Primaerdokument/{NS}DateinameOriginal")
                codes[original] = fmt.findtext(f"{NS}Name/code")
                seen.append(hashlib.sha256(archive.read(name)).hexdigest())
    assert sorted(seen) == payload  # every file found through its bag-root href, each once
    assert "Freibad Waschmühle startet in die Saison" in titles  # from the DC under <metadata>
    # Their METS, found through the bag-root hrefs, gives each file's format.
    assert (codes["Flyer-Sammelstellen.pdf"], codes["bilder/Sammelstelle Gänsbrunnen.png"]) == ("018", "019")
    # Declared us-ascii by that version, Windows-1252 in fact: not "Unicode text" (045).
    assert codes["2017-05-22-gruenflaechen-cp1252.txt"] == "100"
