"""Payload checksums are verified from the bytes serialized: a bag that is corrupt, or changes after it
was validated and listed, is rejected with its reasons and nothing is published for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from preservation.export import api as export_api
from preservation.export import export_bags, verify_transfer
from preservation.export.admission import Admission, admit, reason
from preservation.export.transfer import TRANSFER_LIST
from preservation.profile import Profile
from preservation.validate.api import validate_bag
from preservation.validate.profile_rules import ProfileRules, rules_from_profile

from .conftest import ENV


def _flip(path: Path, offset: int = 3) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01  # same size: only a checksum can tell
    path.write_bytes(bytes(data))


def _published_nothing_for(out: Path, bag: Path) -> None:
    assert not (out / f"{bag.name}.tar").exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary left behind
    assert bag.name.encode() not in (out / TRANSFER_LIST).read_bytes()


def test_corrupt_payload_is_rejected_naming_the_file(
    tmp_path: Path, bags: list[Path], profile: Profile
) -> None:
    bad = bags[1]
    payload = sorted((bad / "data").iterdir())[0]
    _flip(payload)
    out = tmp_path / "t"
    result = export_bags(bags, out, profile, environ=ENV)
    assert [r.bag for r in result.rejected] == [bad]
    (reasons,) = [[reason(r) for r in r.reasons] for r in result.rejected]
    assert reasons and all(
        r.startswith(f"[manifest.checksum-mismatch] data/{payload.name}: ") for r in reasons
    )
    full = validate_bag(bad, mode="full", profile=rules_from_profile(profile))
    assert sorted(reasons) == sorted(reason(f) for f in full.findings if f.severity == "error")
    assert len(result.exported) == len(bags) - 1
    _published_nothing_for(out, bad)
    assert verify_transfer(out, profile).ok


@pytest.mark.parametrize("where", ["payload", "tag file"])
def test_bag_changed_after_it_was_validated_and_listed(
    tmp_path: Path, bags: list[Path], profile: Profile, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    bad = bags[2]
    target = sorted((bad / "data").iterdir())[0] if where == "payload" else bad / "bag-info.txt"

    def admit_then_change(bag: Path, rules: ProfileRules) -> Admission:
        admission = admit(bag, rules)
        if bag == bad:
            assert not admission.reasons
            _flip(target, 40)
        return admission

    monkeypatch.setattr(export_api, "admit", admit_then_change)  # jobs=1: admitted here, just before writing
    out = tmp_path / "t"
    result = export_bags(bags, out, profile, environ=ENV, jobs=1)
    (rejected,) = result.rejected
    assert rejected.bag == bad
    reasons = [reason(r) for r in rejected.reasons]
    if where == "payload":
        assert all(r.startswith(f"[manifest.checksum-mismatch] data/{target.name}: ") for r in reasons)
    else:
        changed = (
            f"[export.changed-since-validated] {target}: changed since it was validated; export it again"
        )
        assert changed in reasons
    _published_nothing_for(out, bad)
    assert verify_transfer(out, profile).ok
