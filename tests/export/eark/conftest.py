"""An E-ARK SIP export of the samples, made once per session, and readers of its SIPs."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from preservation.export.formats import export
from preservation.profile import Profile
from tests.conftest import ROOT
from tests.export.conftest import ENV

EARK_REFERENCE = ROOT.parent / "shared" / "reference" / "e-ark"
"""The DILCIS Board's CSIP and SIP material (profiles, schemas, vocabularies), read here independently of
the copy the package ships."""


def export_eark(bags: list[Path], out: Path, profile: Profile, environ: dict[str, str] = ENV) -> Path:
    result = export("eark-sip", bags, out, profile, environ=environ)
    assert result.ok, result.rejected
    return out


def unpack(folder: Path, target: Path) -> list[Path]:
    """Every SIP of `folder` unzipped into `target`; the SIP folders."""
    for package in sorted(folder.glob("*.zip")):
        with zipfile.ZipFile(package) as archive:
            archive.extractall(target)
    return sorted(target.iterdir())


@pytest.fixture(scope="session")
def eark_dir(tmp_path_factory: pytest.TempPathFactory, built_bags: list[Path], profile: Profile) -> Path:
    return export_eark(built_bags, tmp_path_factory.mktemp("eark") / "transfer", profile)


@pytest.fixture(scope="session")
def sips(tmp_path_factory: pytest.TempPathFactory, eark_dir: Path) -> list[Path]:
    return unpack(eark_dir, tmp_path_factory.mktemp("sips"))
