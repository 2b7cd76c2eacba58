"""The durability layer: an output folder has one writer at a time, which removes what killed runs left;
nothing is ever renamed over an existing path; reports are written whole or not at all, readable by others,
with errors that name the file."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from preservation import durable
from preservation.errors import BagError, PreservationError


def test_a_second_run_cannot_write_into_the_same_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with (
        durable.exclusive_output(out),
        pytest.raises(BagError, match="another run"),
        durable.exclusive_output(out),
    ):
        pass


def test_a_file_in_the_way_of_the_output_folder_is_named(tmp_path: Path) -> None:
    (tmp_path / "out").write_bytes(b"")
    with (
        pytest.raises(BagError, match="a file of that name") as caught,
        durable.exclusive_output(tmp_path / "out"),
    ):
        pass
    assert caught.value.source == str(tmp_path / "out")


def test_entering_the_output_removes_only_temporary_folders_and_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    for name in (".tmp-r-abc_1234", "r", ".tmp-keep", ".git"):
        (out / name).mkdir(parents=True)
    for name in (".tmp-r.tar-abcd1234", "r.tar", ".tmp-x", ".report.json.abcd1234.tmp"):
        (out / name).write_bytes(b"")
    (out / ".tmp-link-abcd1234").symlink_to(out / "r")
    with durable.exclusive_output(out) as removed:
        assert removed == (out / ".tmp-r-abc_1234", out / ".tmp-r.tar-abcd1234")
    assert sorted(p.name for p in out.iterdir()) == [
        ".git", ".report.json.abcd1234.tmp", ".tmp-keep", ".tmp-link-abcd1234", ".tmp-x", "r", "r.tar"
    ]  # fmt: skip


@pytest.mark.parametrize("existing", ["file", "empty folder", "folder"])
def test_a_rename_never_replaces_what_is_there(tmp_path: Path, existing: str) -> None:
    source, target = tmp_path / "new", tmp_path / "old"
    source.write_bytes(b"new")
    if existing == "file":
        target.write_bytes(b"old")
    else:
        target.mkdir()
        if existing == "folder":
            (target / "kept").write_bytes(b"old")
    with pytest.raises(BagError, match="refusing to overwrite") as caught:
        durable.rename_noreplace(source, target)
    assert caught.value.source == str(target)
    assert source.read_bytes() == b"new"
    assert target.read_bytes() == b"old" if existing == "file" else target.is_dir()


def test_a_rename_to_a_free_name_moves_the_file(tmp_path: Path) -> None:
    (tmp_path / "new").write_bytes(b"new")
    durable.rename_noreplace(tmp_path / "new", tmp_path / "final")
    durable.fsync_dir(tmp_path)
    durable.sync_filesystems([tmp_path])
    assert [p.name for p in tmp_path.iterdir()] == ["final"]


def test_a_report_replaces_the_old_one_whole_and_others_may_read_it(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    durable.write_text(target, "neu: Grünfläche")
    assert target.read_text(encoding="utf-8") == "neu: Grünfläche"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary left behind


def test_a_report_that_cannot_be_written_is_named_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(PreservationError, match="cannot be written: No such file or directory") as caught:
        durable.write_text(tmp_path / "missing" / "report.json", "x")
    assert caught.value.source == str(tmp_path / "missing" / "report.json")
    assert list(tmp_path.iterdir()) == []


def test_a_replacement_given_up_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "bag.tar"
    target.write_bytes(b"old")
    replacement = durable.replacing(target, prefix=".bag.tar.repair-")
    with pytest.raises(BagError, match="does not verify"), replacement as (out, temp):
        out.write(b"new")
        out.flush()
        assert temp.read_bytes() == b"new" and temp.parent == tmp_path  # the caller can check what it wrote
        raise BagError(target, "its copy does not verify")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["bag.tar"]


def test_a_replacement_takes_the_place_whole(tmp_path: Path) -> None:
    target = tmp_path / "bag.tar"
    target.write_bytes(b"old")
    with durable.replacing(target, prefix=".bag.tar.repair-", suffix=".tmp.tar") as (out, temp):
        assert temp.name.startswith(".bag.tar.repair-") and temp.name.endswith(".tmp.tar")
        out.write(b"new")
        assert target.read_bytes() == b"old"  # until the block is left
    assert target.read_bytes() == b"new" and stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["bag.tar"]
