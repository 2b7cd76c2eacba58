"""An xdomea export of the samples, made once per session, and readers of its containers."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from lxml import etree

from preservation.export.formats import ExportOptions, export
from preservation.profile import Profile
from tests.export.conftest import ENV

NS = "{urn:xoev-de:xdomea:schema:3.0.0}"


def export_xdomea(bags: list[Path], out: Path, profile: Profile, version: str | None = None) -> Path:
    result = export("xdomea", bags, out, profile, ExportOptions(xdomea_version=version), environ=ENV)
    assert result.ok, result.rejected
    return out


def containers(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.zip"))


def message_of(container: Path) -> etree._Element:
    with zipfile.ZipFile(container) as archive:
        return etree.fromstring(archive.read(container.name.removesuffix(".zip") + ".xml"))


@pytest.fixture(scope="session")
def xdomea_dir(tmp_path_factory: pytest.TempPathFactory, built_bags: list[Path], profile: Profile) -> Path:
    return export_xdomea(built_bags, tmp_path_factory.mktemp("xdomea") / "transfer", profile)
