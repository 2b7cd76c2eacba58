"""Bag readers: folders, tars and zips yield the same entries; hostile members become problems."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from pathlib import Path
from typing import Literal

import pytest

from preservation.bagit.reader import DirectoryBag, TarBag, ZipBag, open_bag


def make_folder(root: Path) -> Path:
    (root / "data" / "sub").mkdir(parents=True)
    (root / "bagit.txt").write_bytes(b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    (root / "manifest-md5.txt").write_bytes(b"")
    (root / "data" / "a.txt").write_bytes(b"aaa")
    (root / "data" / "sub" / "b.txt").write_bytes(b"bb")
    return root


def listing(reader) -> list[tuple[str, str, int]]:
    return [(e.path, e.kind, e.size) for e in reader.entries()]


EXPECTED = [
    ("bagit.txt", "file", 54),
    ("manifest-md5.txt", "file", 0),
    ("data", "dir", 0),
    ("data/a.txt", "file", 3),
    ("data/sub", "dir", 0),
    ("data/sub/b.txt", "file", 2),
]


def test_directory(tmp_path: Path) -> None:
    reader = DirectoryBag(make_folder(tmp_path / "bag"))
    assert listing(reader) == EXPECTED
    assert reader.problems == []


@pytest.mark.parametrize("suffix, mode", [(".tar", "w"), (".tar.gz", "w:gz"), (".tgz", "w:gz")])
def test_tar(tmp_path: Path, suffix: str, mode: Literal["w", "w:gz"]) -> None:
    folder = make_folder(tmp_path / "bag")
    target = tmp_path / f"bag{suffix}"
    with tarfile.open(target, mode) as archive:
        for rel in ["bagit.txt", "manifest-md5.txt", "data", "data/a.txt", "data/sub", "data/sub/b.txt"]:
            archive.add(folder / rel, f"bag/{rel}", recursive=False)
    reader = open_bag(target)
    assert isinstance(reader, TarBag)
    assert sorted(listing(reader)) == sorted(EXPECTED)
    contents = {e.path: e.open().read() for e in TarBag(target).entries() if e.kind == "file"}
    assert contents["data/a.txt"] == b"aaa"


def test_zip_puts_tag_files_first(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "bag")
    target = tmp_path / "bag.zip"
    with zipfile.ZipFile(target, "w") as archive:
        for rel in ["data/", "data/a.txt", "data/sub/", "data/sub/b.txt", "manifest-md5.txt", "bagit.txt"]:
            archive.write(folder / rel, f"bag/{rel}")
    reader = open_bag(target)
    assert isinstance(reader, ZipBag)
    assert listing(reader) == EXPECTED
    assert [e.open().read() for e in reader.entries() if e.path == "data/a.txt"] == [b"aaa"]


def test_symlinks_in_folder_are_entries_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "secret"
    outside.mkdir()
    (outside / "passwd").write_text("root")
    folder = make_folder(tmp_path / "bag")
    os.symlink(outside / "passwd", folder / "data" / "link.txt")
    os.symlink(outside, folder / "data" / "linkdir")
    reader = DirectoryBag(folder)
    entries = {e.path: e for e in reader.entries()}
    assert entries["data/link.txt"].kind == "symlink"
    assert entries["data/linkdir"].kind == "symlink"
    assert not any(p.startswith("data/linkdir/") for p in entries)
    with pytest.raises(OSError):
        entries["data/link.txt"].open()


def test_o_nofollow_refuses_a_file_swapped_for_a_symlink(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "bag")
    entry = next(e for e in DirectoryBag(folder).entries() if e.path == "data/a.txt")
    (folder / "data" / "a.txt").unlink()
    os.symlink("/etc/hostname", folder / "data" / "a.txt")
    with pytest.raises(OSError):
        entry.open()


def _tar_with(target: Path, members: list[tarfile.TarInfo]) -> None:
    with tarfile.open(target, "w") as archive:
        for info in members:
            archive.addfile(info, io.BytesIO(b"x" * info.size) if info.isfile() else None)


def _info(name: str, kind: bytes = tarfile.REGTYPE, size: int = 1, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = size if kind == tarfile.REGTYPE else 0
    info.linkname = link
    return info


def test_tar_slip_links_devices_and_two_roots(tmp_path: Path) -> None:
    target = tmp_path / "evil.tar"
    _tar_with(
        target,
        [
            _info("bag/bagit.txt"),
            _info("../x"),
            _info("/etc/evil"),
            _info("bag/../../x"),
            _info("bag/data/ln", tarfile.SYMTYPE, link="/etc/passwd"),
            _info("bag/data/hard", tarfile.LNKTYPE, link="bag/bagit.txt"),
            _info("bag/data/dev", tarfile.CHRTYPE),
            _info("other/data/x"),
            _info("stray.txt"),
        ],
    )
    reader = TarBag(target)
    kinds = {e.path: e.kind for e in reader.entries()}
    assert kinds == {"bagit.txt": "file", "data/ln": "symlink", "data/hard": "file", "data/dev": "device"}
    assert [p.code for p in reader.problems] == [
        "serialization.member-unsafe",
        "serialization.member-unsafe",
        "serialization.member-unsafe",
        "serialization.multiple-roots",
        "serialization.multiple-roots",
    ]


def test_zip_slip_symlink_and_two_roots(tmp_path: Path) -> None:
    target = tmp_path / "evil.zip"
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("bag/bagit.txt", "x")
        archive.writestr("../x", "x")
        archive.writestr("C:\\windows\\x", "x")
        link = zipfile.ZipInfo("bag/data/ln")
        link.external_attr = (0o120777) << 16
        archive.writestr(link, "/etc/passwd")
        archive.writestr("other/x", "x")
    reader = ZipBag(target)
    kinds = {e.path: e.kind for e in reader.entries()}
    assert kinds == {"bagit.txt": "file", "data/ln": "symlink"}
    assert [p.code for p in reader.problems] == [
        "serialization.member-unsafe",
        "serialization.member-unsafe",
        "serialization.multiple-roots",
    ]


def test_corrupt_archives_are_problems(tmp_path: Path) -> None:
    for name in ["bad.zip", "bad.tar.gz"]:
        (tmp_path / name).write_bytes(b"not an archive at all" * 100)
        reader = open_bag(tmp_path / name)
        assert list(reader.entries()) == []
        assert [p.code for p in reader.problems] == ["serialization.unreadable"]


def test_not_a_bag_path(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("x")
    with pytest.raises(ValueError):
        open_bag(tmp_path / "x.txt")
