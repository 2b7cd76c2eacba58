"""verify-transfer on an E-ARK SIP export: each SIP's METS, its files and their checksums."""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from preservation.bagit.render import render_manifest
from preservation.cli import main
from preservation.hashing import hash_file


@pytest.fixture
def transfer(tmp_path: Path, eark_dir: Path) -> Path:
    return Path(shutil.copytree(eark_dir, tmp_path / "transfer"))


def _problems(transfer: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict[str, str]]]:
    capsys.readouterr()
    code = main(["verify-transfer", str(transfer), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert report["format"] == "eark-sip"
    return code, report["problems"]


def _rewrite(package: Path, change: Callable[[dict[str, bytes]], object]) -> None:
    """Rewrite a SIP's files, and the transfer manifest's digest of it, as someone covering their tracks
    would: only the checks inside the SIP can tell."""
    with zipfile.ZipFile(package) as archive:
        members = {i.filename: archive.read(i) for i in archive.infolist() if not i.is_dir()}
    change(members)
    with zipfile.ZipFile(package, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    _reseal(package)


def _reseal(package: Path) -> None:
    manifest = package.parent / "manifest-sha512.txt"
    lines = dict(
        (name, digest) for digest, name in (line.split("  ", 1) for line in manifest.read_text().splitlines())
    )
    lines[package.name] = hash_file(package, ["sha512"]).values["sha512"]
    manifest.write_bytes(render_manifest(lines.items()))


def _inside(problems: list[dict[str, str]]) -> list[str]:
    return [f"[{p['code']}] {p['message']}" for p in problems if p["kind"] == "invalid-container"]


def _payload(members: dict[str, bytes]) -> str:
    return next(n for n in sorted(members) if "/representations/rep1/data/" in n)


def test_the_export_verifies(transfer: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _problems(transfer, capsys) == (0, [])


def test_a_changed_payload_file_is_named(transfer: Path, capsys: pytest.CaptureFixture[str]) -> None:
    package = sorted(transfer.glob("*.zip"))[0]
    changed: list[str] = []

    def flip(members: dict[str, bytes]) -> None:
        name = _payload(members)
        changed.append(name)
        members[name] = bytes([members[name][0] ^ 1]) + members[name][1:]

    _rewrite(package, flip)
    code, problems = _problems(transfer, capsys)
    assert code == 1
    (message,) = _inside(problems)
    assert "[eark.file-changed]" in message and changed[0] in message


def test_a_payload_file_with_a_consistently_rewritten_mets_is_still_caught_by_size(
    transfer: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Appending a byte and writing its new SHA-512 into the representation METS: the METS checksum of
    the representation METS in the package METS no longer agrees."""
    package = sorted(transfer.glob("*.zip"))[0]

    def append(members: dict[str, bytes]) -> None:
        name = _payload(members)
        old = hashlib.sha512(members[name]).hexdigest()
        members[name] += b"x"
        rep = next(n for n in members if n.endswith("/representations/rep1/METS.xml"))
        members[rep] = members[rep].replace(old.encode(), hashlib.sha512(members[name]).hexdigest().encode())

    _rewrite(package, append)
    code, problems = _problems(transfer, capsys)
    assert code == 1
    messages = _inside(problems)
    assert any("[eark.file-changed]" in m and "representations/rep1/METS.xml" in m for m in messages)
    assert any("[eark.file-changed]" in m and "size" in m for m in messages)


def test_missing_unreferenced_and_outside_files(transfer: Path, capsys: pytest.CaptureFixture[str]) -> None:
    package = sorted(transfer.glob("*.zip"))[0]
    root = package.name.removesuffix(".zip")

    def swap(members: dict[str, bytes]) -> None:
        members[f"{root}/extra.bin"] = members.pop(_payload(members))
        members["stray.txt"] = b"x"

    _rewrite(package, swap)
    code, problems = _problems(transfer, capsys)
    assert code == 1
    codes = sorted(m.split("]")[0].lstrip("[") for m in _inside(problems))
    assert codes == [
        "eark.file-missing",
        "eark.file-unreferenced",
        "eark.file-unreferenced",
        "eark.root-mismatch",
    ]


def test_a_missing_or_invalid_mets(transfer: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = sorted(transfer.glob("*.zip"))[:2]
    _rewrite(first, lambda m: m.pop(next(n for n in m if n.endswith("/representations/rep1/METS.xml"))))

    def invalidate(members: dict[str, bytes]) -> None:
        mets = second.name.removesuffix(".zip") + "/METS.xml"
        members[mets] = members[mets].replace(b'LABEL="CSIP"', b'LABEL="CSIP" BOGUS="1"')

    _rewrite(second, invalidate)
    code, problems = _problems(transfer, capsys)
    assert code == 1
    messages = {p["file"]: [] for p in problems}  # type: dict[str, list[str]]
    for p in problems:
        messages[p["file"]].append(f"[{p['code']}] {p['message']}")
    assert any("[eark.file-missing]" in m and "rep1/METS.xml" in m for m in messages[first.name])
    assert any("[eark.mets-invalid]" in m and "BOGUS" in m for m in messages[second.name])


def test_a_member_whose_name_begins_with_a_nul_byte_is_reported(
    transfer: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = sorted(transfer.glob("*.zip"))[0]
    _rewrite(package, lambda members: members.update({"NUL-name.txt": b"x"}))
    package.write_bytes(package.read_bytes().replace(b"NUL-name.txt", b"\x00UL-name.txt"))
    _reseal(package)
    code, problems = _problems(transfer, capsys)
    assert code == 1
    (message,) = _inside(problems)
    assert message.startswith("[eark.package-unreadable]") and "name is empty" in message
