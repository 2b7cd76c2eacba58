"""Every bag `build` writes validates with our own validator, against our profile, whatever its size: a
release with ~160 attachments made a METS over the old 1 MiB tag-file cap, and `export` refused the bag."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from preservation.build import build_bags
from preservation.profile import Profile
from preservation.validate.api import validate_bag
from preservation.validate.profile_rules import rules_from_profile
from tests.building.helpers import EPOCH

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "samples" / "2022-04-02-fruehjahrsputz" / "pressemitteilung.txt"
NAME = (
    st.text(st.sampled_from("abcxyzABCXYZ0189 -_äöüßéÑ"), min_size=1, max_size=60).map(str.strip).filter(bool)
)
ATTACHMENTS = st.lists(
    st.tuples(NAME, st.sampled_from([".pdf", ".jpg", ".png", ".bin"]), st.binary(max_size=64)),
    max_size=40,
    unique_by=lambda item: (item[0] + item[1]).casefold(),
)


def _bag_of(attachments: list[tuple[str, str, bytes]], work: Path, profile: Profile) -> Path:
    release = work / "src" / "release"
    release.mkdir(parents=True)
    shutil.copy(DOCUMENT, release)
    for stem, suffix, data in attachments:
        (release / f"{stem}{suffix}").write_bytes(data)
    summary = build_bags([work / "src"], work / "out", profile, environ=EPOCH)
    assert summary.ok, summary.outcomes
    (outcome,) = summary.outcomes
    assert outcome.bag is not None
    return outcome.bag


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(attachments=ATTACHMENTS)
@example(
    attachments=[
        (f"Anlage mit einem recht langen Namen {i:04d}", ".pdf", bytes([i % 256]) * 40) for i in range(200)
    ]
)
def test_every_bag_build_writes_validates(
    profile: Profile, attachments: list[tuple[str, str, bytes]]
) -> None:
    with tempfile.TemporaryDirectory() as work:
        bag = _bag_of(attachments, Path(work), profile)
        report = validate_bag(bag, profile=rules_from_profile(profile))
        assert report.valid, report.findings
        assert not any(f.family in ("structure", "manifests", "metadata") for f in report.findings)
