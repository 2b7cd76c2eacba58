"""A package of real files: an HTML release, its plain-text rendition and PNG attachments (one named .jpg)."""

from __future__ import annotations

from pathlib import Path

import pytest

from preservation import SOFTWARE_NAME, __version__
from preservation.package.model import Package
from preservation.profile import Profile
from tests.metadata.helpers import CREATED, HTML, make_release, payload_file, png_bytes, srgb_chunk


@pytest.fixture
def package(tmp_path: Path, profile: Profile) -> Package:
    release = make_release(tmp_path)
    (tmp_path / "04161.html").write_text(HTML, encoding="utf-8")
    (tmp_path / "04161.txt").write_text(release.title + "\n\n" + release.body + "\n", encoding="utf-8")
    photo = tmp_path / "Foto Radweg 100%.png"
    photo.write_bytes(png_bytes())
    (tmp_path / "Plan ä.jpg").write_bytes(png_bytes(srgb_chunk()))
    payload = (
        # Deliberately not in canonical order: the builders must sort.
        payload_file(tmp_path / "Plan ä.jpg", "data/Plan ä.jpg", "attachment", "Plan ä.jpg"),
        payload_file(tmp_path / "04161.txt", "data/04161.txt", "rendition", "04161.txt", "data/04161.html"),
        payload_file(tmp_path / "04161.html", "data/04161.html", "source", "04161.html"),
        payload_file(photo, "data/Foto Radweg 100%.png", "attachment", "Foto Radweg 100%.png"),
    )
    return Package(
        release=release,
        profile=profile,
        created=CREATED,
        payload=payload,
        software=SOFTWARE_NAME,
        software_version=__version__,
    )
