"""Round trip, determinism, invalid input, refusals and damaged transfers, through the API and the CLI."""

from __future__ import annotations

import csv
import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest

from preservation.cli import main
from preservation.export import ExportError, export_bags, verify, verify_transfer
from preservation.export.transfer import COLUMNS, JOURNAL, MANIFEST, README, TRANSFER_LIST
from preservation.profile import Profile, load_profile
from tests.extract import extract_tar

from .conftest import ENV, EPOCH, bagit_python_valid

SUFFIX = {"tar": ".tar", "tar.gz": ".tar.gz", "zip": ".zip"}


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _extract(archive: Path, target: Path) -> Path:
    target.mkdir(parents=True)
    if archive.suffix == ".zip":
        with zipfile.ZipFile(archive) as z:
            z.extractall(target)
    else:
        extract_tar(archive, target)
    (root,) = target.iterdir()  # exactly one top-level folder (RFC 8493 §4)
    return root


@pytest.mark.parametrize("kind", ["tar", "tar.gz", "zip"])
def test_round_trip(tmp_path: Path, built_bags: list[Path], profile: Profile, kind: str) -> None:
    out = tmp_path / "transfer"
    result = export_bags(built_bags, out, profile, kind, environ=ENV)
    assert result.ok and result.complete and len(result.exported) == len(built_bags)
    report = verify_transfer(out, profile)
    assert report.ok, report.problems
    names = {bag.name + SUFFIX[kind] for bag in built_bags}
    assert set(_files(out)) == names | {MANIFEST, TRANSFER_LIST, README}
    for bag in built_bags:
        root = _extract(out / (bag.name + SUFFIX[kind]), tmp_path / "x" / bag.name)
        assert root.name == bag.name
        assert bagit_python_valid(root)
        assert (root / "bag-info.txt").read_bytes() == (bag / "bag-info.txt").read_bytes()


def test_two_exports_are_byte_identical(tmp_path: Path, built_bags: list[Path], profile: Profile) -> None:
    export_bags(built_bags, tmp_path / "a", profile, environ=ENV)
    export_bags(built_bags, tmp_path / "b", profile, environ=ENV, jobs=2)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")


def test_without_source_date_epoch_member_times_are_the_bagging_date(
    tmp_path: Path, built_bags: list[Path], profile: Profile
) -> None:
    export_bags(built_bags[:2], tmp_path / "a", profile, environ={})
    export_bags(built_bags[:2], tmp_path / "b", profile, environ={})
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    with tarfile.open(tmp_path / "a" / f"{built_bags[0].name}.tar") as archive:
        # SOURCE_DATE_EPOCH 1700000000 is 2023-11-14 22:13:20 UTC; the bags say Bagging-Date 2023-11-14.
        assert {m.mtime for m in archive} == {int(EPOCH) - (22 * 3600 + 13 * 60 + 20)}


def test_transfer_list_opens_in_excel_and_agrees_with_the_manifest(
    tmp_path: Path, built_bags: list[Path], profile: Profile
) -> None:
    out = tmp_path / "t"
    export_bags(built_bags, out, profile, environ=ENV)
    raw = (out / TRANSFER_LIST).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert tuple(rows[0]) == COLUMNS
    manifest = dict(line.split("  ")[::-1] for line in (out / MANIFEST).read_text().splitlines())
    assert {r["file"]: r["sha512"] for r in rows} == manifest
    row = next(r for r in rows if r["identifier"] == "04161")
    assert row["title"] == "Gründerpreis der Stadt geht an Lastenrad-Verleih"
    assert row["issued"] == "2022-02-14" and row["payload_files"] == "2"
    assert int(row["size"]) == (out / row["file"]).stat().st_size
    readme = (out / README).read_text(encoding="utf-8")
    assert "verify-transfer" in readme and "sha512sum -c manifest-sha512.txt" in readme


def test_invalid_bag_is_listed_with_reasons_and_the_others_exported(
    tmp_path: Path, bags: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    bad = bags[1]
    payload = next((bad / "data").iterdir())
    payload.write_bytes(payload.read_bytes() + b"tampered")
    out = tmp_path / "t"
    assert main(["export", *map(str, bags), "--out", str(out), "--jobs", "1"]) == 1
    captured = capsys.readouterr()
    assert f"not exported: {bad}" in captured.err
    assert "[manifest.checksum-mismatch]" in captured.err
    assert f"exported {len(bags) - 1} bags as tar, 1 invalid and not exported" in captured.out
    assert not (out / f"{bad.name}.tar").exists()
    assert main(["verify-transfer", str(out)]) == 0


def test_folder_of_bags_and_refusing_a_complete_transfer(
    tmp_path: Path, bags: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "t"
    assert main(["export", str(bags[0].parent), "--out", str(out), "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    before = _files(out)
    assert main(["export", str(bags[0].parent), "--out", str(out)]) == 2
    assert "holds a complete transfer; refusing to overwrite it" in capsys.readouterr().err
    assert _files(out) == before


def test_an_output_path_that_is_a_file_is_refused(
    tmp_path: Path, bags: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    in_the_way = tmp_path / "transfer"
    in_the_way.write_text("notes")
    assert main(["export", str(bags[0]), "--out", str(in_the_way)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"preservation: {in_the_way}: cannot be the output folder: a file of that name is in the way"
    ]
    assert in_the_way.read_text() == "notes"


def test_a_folder_with_other_files_is_refused(tmp_path: Path, bags: list[Path], profile: Profile) -> None:
    out = tmp_path / "t"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ExportError, match="not empty and holds no interrupted export"):
        export_bags(bags, out, profile, environ=ENV)
    assert _files(out) == {"notes.txt": b"mine"}


def test_serialization_the_profile_does_not_accept(
    tmp_path: Path, bags: list[Path], profile: Profile, capsys: pytest.CaptureFixture[str]
) -> None:
    text = profile.source.read_text(encoding="utf-8")
    narrow = tmp_path / "tar-only.yaml"
    narrow.write_text(
        text.replace(
            "accept: [application/x-tar, application/gzip, application/zip]", "accept: [application/x-tar]"
        ),
        encoding="utf-8",
    )
    assert load_profile(narrow).accept_serialization == ("application/x-tar",)
    out = tmp_path / "t"
    args = ["export", str(bags[0]), "--out", str(out), "--profile", str(narrow), "--serialization", "zip"]
    assert main(args) == 2
    assert "does not accept zip; it accepts tar" in capsys.readouterr().err
    assert not out.exists()


@pytest.fixture
def transfer(tmp_path: Path, built_bags: list[Path], profile: Profile) -> Path:
    out = tmp_path / "transfer"
    export_bags(built_bags, out, profile, environ=ENV)
    return out


def _verify_json(transfer: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object]]:
    code = main(["verify-transfer", str(transfer), "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_flipped_byte_is_named(transfer: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = sorted(transfer.glob("*.tar"))[2]
    data = bytearray(target.read_bytes())
    data[1024 + 3] ^= 0x01  # inside the first file's content
    target.write_bytes(bytes(data))
    code, document = _verify_json(transfer, capsys)
    assert code == 1 and document["valid"] is False
    reported = document["problems"]
    assert isinstance(reported, list)
    problems = {(p["kind"], p["file"]) for p in reported}
    assert ("changed", target.name) in problems
    assert ("invalid-bag", target.name) in problems
    assert {file for _, file in problems} == {target.name}


@pytest.mark.parametrize("kind", ["tar", "tar.gz"])
def test_a_tar_is_hashed_and_validated_in_one_read(
    tmp_path: Path, built_bags: list[Path], profile: Profile, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    out = tmp_path / "transfer"
    export_bags(built_bags, out, profile, kind, environ=ENV)

    def second_read(path: object, algorithms: object) -> object:
        raise AssertionError(f"{path} read a second time to be hashed")

    monkeypatch.setattr(verify, "hash_file", second_read)
    report = verify_transfer(out, profile)
    assert report.ok, report.problems
    assert len(report.bags) == len(built_bags)


def test_a_changed_byte_after_the_last_member_is_caught(
    transfer: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = sorted(transfer.glob("*.tar"))[0]
    data = bytearray(target.read_bytes())
    data[-1] ^= 0x01  # in the padding after the end-of-archive blocks: no reader of members sees it
    target.write_bytes(bytes(data))
    code, document = _verify_json(transfer, capsys)
    assert code == 1
    reported = document["problems"]
    assert isinstance(reported, list)
    assert [(p["kind"], p["file"]) for p in reported] == [("changed", target.name)]


def test_a_malformed_manifest_line_is_named_with_its_line(transfer: Path) -> None:
    manifest = transfer / MANIFEST
    lines = manifest.read_text().count("\n")
    with manifest.open("a") as stream:
        stream.write("zz  extra.tar\n")
    report = verify_transfer(transfer, load_profile(None))
    assert [(p.kind, p.code, p.file, p.message) for p in report.problems if p.kind == "manifest"] == [
        ("manifest", "manifest.malformed", MANIFEST, f"line {lines + 1}: 'zz' is no sha512")
    ]


def test_missing_and_unexpected_files_are_named(transfer: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gone = sorted(transfer.glob("*.tar"))[0]
    gone.unlink()
    (transfer / "stray.tar").write_bytes(b"x")
    assert main(["verify-transfer", str(transfer)]) == 1
    out = capsys.readouterr().out
    assert (
        f"missing: {gone.name}: [transfer.manifest-missing-file] listed in the manifest but not in the folder"
        in out
    )
    assert "unexpected: stray.tar: [transfer.unexpected] not listed in the manifest" in out


def test_transfer_list_disagreeing_with_the_manifest(
    transfer: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listing = transfer / TRANSFER_LIST
    lines = listing.read_bytes().split(b"\r\n")
    listing.write_bytes(b"\r\n".join([lines[0], *lines[2:]]))
    assert main(["verify-transfer", str(transfer)]) == 1
    assert f"list: {TRANSFER_LIST}: [transfer.list-lacks] does not list" in capsys.readouterr().out


def test_not_a_transfer_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify-transfer", str(tmp_path)]) == 2
    assert "not a transfer folder" in capsys.readouterr().err
    assert main(["verify-transfer", str(tmp_path / "nope")]) == 2


def test_resume_refuses_other_settings(tmp_path: Path, bags: list[Path], profile: Profile) -> None:
    out = tmp_path / "t"
    out.mkdir()
    (out / JOURNAL).write_text('{"journal": 1, "serialization": "zip", "source_date_epoch": null}\n')
    with pytest.raises(ExportError, match="interrupted export with other settings"):
        export_bags(bags, out, profile, environ=ENV)
