from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from preservation.errors import ReleaseError
from preservation.package.plan import plan_package
from preservation.release.model import Release

CREATED = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


def release(tmp_path: Path, **changes) -> Release:
    base = Release(
        source=tmp_path / "rel" / "mitteilung.txt",
        identifier="2019-09-17-kongress",
        title="Kaiserslautern nimmt am Kongress teil",
        issued=date(2019, 9, 17),
        author="Pressestelle",
        place="Kaiserslautern",
        number=None,
        notice_in_source=True,
        body="Erster Absatz.\n\nZweiter Absatz.",
        source_format="text",
        encoding="utf-8",
        root=tmp_path / "rel",
    )
    return replace(base, **changes)


def test_bag_info_follows_the_profile_order_with_the_release_fields(tmp_path, profile):
    plan = plan_package(release(tmp_path), profile, CREATED)
    labels = [label for label, _ in plan.bag_info]
    assert labels == [f.name for f in profile.bag_info]
    values = dict(plan.bag_info)
    assert values["External-Identifier"] == "2019-09-17-kongress"
    assert values["External-Description"] == "Kaiserslautern nimmt am Kongress teil"
    assert values["Bagging-Date"] == "2024-05-06"
    assert values["Source-Organization"] == "Stadtverwaltung Kaiserslautern"
    assert values["Bag-Group-Identifier"] == "Pressearchiv der Stadt Kaiserslautern"
    assert (
        values["Archival-Notice"]
        == "Achtung! Diese archivierte Pressemitteilung könnte inhaltlich veraltet sein"
    )
    assert values["BagIt-Profile-Identifier"] == profile.identifier
    assert values["Language"] == "de"
    assert values["Payload-Oxum"] is None and values["Bag-Size"] is None


def test_payload_is_the_source_and_its_attachments_with_nfc_names(tmp_path, profile):
    root = tmp_path / "rel"
    nfd = unicodedata.normalize("NFD", "Bürgermeisterin mit Gästen.jpg")
    plan = plan_package(
        release(tmp_path, attachments=(root / nfd, root / "anhang" / "Programm 100%.pdf")), profile, CREATED
    )
    assert [(f.path, f.role) for f in plan.payload] == [
        ("data/mitteilung.txt", "source"),
        ("data/Bürgermeisterin mit Gästen.jpg", "attachment"),
        ("data/anhang/Programm 100%.pdf", "attachment"),
    ]
    assert unicodedata.is_normalized("NFC", plan.payload[1].path)
    assert plan.payload[1].original_name == nfd


def test_an_html_source_gets_a_plain_text_rendition_derived_from_it(tmp_path, profile):
    source = tmp_path / "04161" / "index.html.de"
    plan = plan_package(
        release(tmp_path, source=source, root=None, source_format="html", identifier="04161"),
        profile,
        CREATED,
    )
    source_file, rendition = plan.payload
    assert source_file.path == "data/index.html.de"
    assert rendition.path == "data/index.txt"
    assert rendition.role == "rendition"
    assert rendition.derived_from == "data/index.html.de"
    text = rendition.content.decode("utf-8")
    assert text.startswith("Kaiserslautern nimmt am Kongress teil\n\nPressemitteilung vom 17.09.2019\n\n")
    assert "Erster Absatz.\n\nZweiter Absatz." in text
    assert text.endswith("Autor/in: Pressestelle\n\nKaiserslautern, 17.09.2019\n")


def test_the_rendition_never_takes_an_attachments_name(tmp_path, profile):
    root = tmp_path / "04161"
    plan = plan_package(
        release(
            tmp_path,
            source=root / "index.html",
            root=root,
            source_format="html",
            identifier="04161",
            attachments=(root / "index.txt",),
        ),
        profile,
        CREATED,
    )
    assert [f.path for f in plan.payload] == ["data/index.html", "data/index.txt", "data/04161.txt"]


def test_the_notice_tag_file_is_the_profiles_notice(tmp_path, profile):
    plan = plan_package(release(tmp_path), profile, CREATED)
    assert plan.notice.decode("utf-8") == profile.notice + "\n"


def test_a_value_outside_the_profiles_values_fails_the_release(tmp_path, profile):
    strict = replace(
        profile,
        bag_info=tuple(
            replace(f, values=("Anderes Archiv",)) if f.name == "Bag-Group-Identifier" else f
            for f in profile.bag_info
        ),
    )
    with pytest.raises(ReleaseError, match="Bag-Group-Identifier.*is not one of"):
        plan_package(release(tmp_path), strict, CREATED)
