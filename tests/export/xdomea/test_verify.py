"""verify-transfer on an xdomea export: each container's message, documents and checksums."""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from preservation.bagit.render import render_manifest
from preservation.cli import main
from preservation.hashing import hash_file
from tests.export.xdomea.conftest import containers


@pytest.fixture
def transfer(tmp_path: Path, xdomea_dir: Path) -> Path:
    return Path(shutil.copytree(xdomea_dir, tmp_path / "transfer"))


def _problems(transfer: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict[str, str]]]:
    capsys.readouterr()
    code = main(["verify-transfer", str(transfer), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert report["format"] == "xdomea"
    return code, report["problems"]


def _rewrite(container: Path, change: Callable[[dict[str, bytes]], object], *, reseal: bool) -> None:
    """Rewrite a container's members; with `reseal`, also the transfer manifest's digest of it, as
    someone covering their tracks would."""
    with zipfile.ZipFile(container) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    change(members)
    with zipfile.ZipFile(container, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    if reseal:
        _reseal(container)


def _reseal(container: Path) -> None:
    manifest = container.parent / "manifest-sha512.txt"
    lines = dict(
        (name, digest) for digest, name in (line.split("  ", 1) for line in manifest.read_text().splitlines())
    )
    lines[container.name] = hash_file(container, ["sha512"]).values["sha512"]
    manifest.write_bytes(render_manifest(lines.items()))


def test_the_export_verifies(transfer: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _problems(transfer, capsys) == (0, [])


def test_a_changed_document_is_named_even_when_the_manifest_is_resealed(
    transfer: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    container = containers(transfer)[0]
    name = next(n for n in zipfile.ZipFile(container).namelist() if not n.endswith(".xml"))

    def flip(members: dict[str, bytes]) -> None:
        members[name] = bytes([members[name][0] ^ 1]) + members[name][1:]

    _rewrite(container, flip, reseal=True)
    code, problems = _problems(transfer, capsys)
    assert code == 1
    inside = [p for p in problems if p["kind"] == "invalid-container"]
    assert [p["file"] for p in inside] == [container.name] * 2  # SHA-256 and SHA-512
    assert all(p["code"] == "xdomea.document-changed" and name in p["message"] for p in inside)


def test_missing_and_unreferenced_documents(transfer: Path, capsys: pytest.CaptureFixture[str]) -> None:
    container = containers(transfer)[0]
    name = next(n for n in zipfile.ZipFile(container).namelist() if not n.endswith(".xml"))

    def swap(members: dict[str, bytes]) -> None:
        members["extra.bin"] = members.pop(name)

    _rewrite(container, swap, reseal=True)
    code, problems = _problems(transfer, capsys)
    assert code == 1
    messages = [f"[{p['code']}] {p['message']}" for p in problems]
    assert any("[xdomea.document-missing]" in m and name in m for m in messages)
    assert any("[xdomea.document-unreferenced]" in m and "extra.bin" in m for m in messages)


def test_an_invalid_or_missing_message(transfer: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = containers(transfer)[:2]
    message = first.name.removesuffix(".zip") + ".xml"

    def break_it(members: dict[str, bytes]) -> None:
        members[message] = members[message].replace(b"<code>0503</code>", b"<code>0999</code>")

    _rewrite(first, break_it, reseal=True)
    _rewrite(second, lambda members: members.pop(second.name.removesuffix(".zip") + ".xml"), reseal=True)
    code, problems = _problems(transfer, capsys)
    assert code == 1
    assert (first.name, "xdomea.message-invalid") in [(p["file"], p["code"]) for p in problems]
    assert (second.name, "xdomea.message-missing") in [(p["file"], p["code"]) for p in problems]


def test_a_changed_container_without_resealing(transfer: Path, capsys: pytest.CaptureFixture[str]) -> None:
    container = containers(transfer)[0]
    _rewrite(container, lambda members: None, reseal=False)  # same members, other zip bytes
    code, problems = _problems(transfer, capsys)
    assert code == 1
    assert [(p["kind"], p["file"]) for p in problems] == [("changed", container.name)]


def test_the_documents_list_is_covered_by_the_manifest(
    transfer: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listing = transfer / "primary-documents.csv"
    listing.write_bytes(listing.read_bytes().replace(b";", b";x", 1))
    code, problems = _problems(transfer, capsys)
    assert code == 1
    assert ("changed", "primary-documents.csv") in [(p["kind"], p["file"]) for p in problems]


def test_a_member_name_flagged_utf8_that_is_not_is_reported(
    transfer: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    container = containers(transfer)[0]
    _rewrite(container, lambda members: members.update({"Xname.bin": b"x"}), reseal=False)
    data = container.read_bytes()
    record = data.rindex(b"PK\x01\x02")  # the central directory record of the member added last
    flags = int.from_bytes(data[record + 8 : record + 10], "little") | 0x800  # bit 11: the name is UTF-8
    data = data[: record + 8] + flags.to_bytes(2, "little") + data[record + 10 :]
    container.write_bytes(data.replace(b"Xname.bin", b"\xffname.bin"))
    _reseal(container)
    code, problems = _problems(transfer, capsys)
    assert code == 1
    assert [p["code"] for p in problems if p["file"] == container.name] == ["xdomea.container-unreadable"]
