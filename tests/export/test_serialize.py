"""The serializations themselves: member order, fixed metadata, headers; the same bag gives the same bytes."""

from __future__ import annotations

import io
import itertools
import tarfile
import zipfile
from pathlib import Path

import pytest

from preservation.errors import BagError
from preservation.export.serialize import (
    Member,
    _tar_header,
    list_members,
    serialize,
    tar_chunks,
)
from preservation.serialization import SERIALIZATIONS

MTIME = 1_700_000_000


def _bag(tmp_path: Path) -> Path:
    bag = tmp_path / "bag-ä"
    for name, data in {
        "bagit.txt": b"BagIt-Version: 1.0\n",
        "manifest-sha256.txt": b"x",
        "data/z.txt": b"z" * 700,
        "data/a-b.txt": b"ab",
        "data/a/b.txt": b"b",
        "data/" + "long-" * 40 + ".txt": b"long",
        "metadata/dc.xml": b"<x/>",
    }.items():
        (bag / name).parent.mkdir(parents=True, exist_ok=True)
        (bag / name).write_bytes(data)
    return bag


def test_order_tag_files_first_folders_before_contents(tmp_path: Path) -> None:
    paths = [m.path for m in list_members(_bag(tmp_path))]
    assert paths == [
        "",
        "bagit.txt",
        "manifest-sha256.txt",
        "metadata",
        "metadata/dc.xml",
        "data",
        "data/a",
        "data/a/b.txt",
        "data/a-b.txt",
        "data/" + "long-" * 40 + ".txt",
        "data/z.txt",
    ]


def test_tar_members_have_fixed_owner_modes_and_time(tmp_path: Path) -> None:
    bag = _bag(tmp_path)
    members = list_members(bag)
    data = b"".join(tar_chunks(members, bag.name, MTIME))
    assert len(data) % tarfile.RECORDSIZE == 0
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        infos = archive.getmembers()
        assert {i.name.split("/")[0] for i in infos} == {"bag-ä"}
        assert {(i.uid, i.gid, i.uname, i.gname, i.mtime) for i in infos} == {(0, 0, "", "", MTIME)}
        assert {i.mode for i in infos if i.isdir()} == {0o755}
        assert {i.mode for i in infos if i.isfile()} == {0o644}
        assert archive.extractfile("bag-ä/data/z.txt").read() == b"z" * 700  # type: ignore[union-attr]


@pytest.mark.parametrize("kind", SERIALIZATIONS)
def test_same_bytes_wherever_and_whenever_the_bag_lies(tmp_path: Path, kind: str) -> None:
    first = _bag(tmp_path / "one")
    second = _bag(tmp_path / "two")
    (second / "data" / "z.txt").touch()  # another mtime on disk changes nothing
    a = b"".join(serialize(list_members(first), first.name, kind, MTIME))  # type: ignore[arg-type]
    b = b"".join(serialize(list_members(second), second.name, kind, MTIME))  # type: ignore[arg-type]
    assert a == b


def test_gzip_header_has_no_name_and_no_time(tmp_path: Path) -> None:
    bag = _bag(tmp_path)
    data = b"".join(serialize(list_members(bag), bag.name, "tar.gz", MTIME))
    assert data[:10] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        assert len(archive.getmembers()) == len(list_members(bag))


def test_zip_entries_fixed_date_system_and_modes(tmp_path: Path) -> None:
    bag = _bag(tmp_path)
    data = b"".join(serialize(list_members(bag), bag.name, "zip", MTIME))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        infos = archive.infolist()
        assert {i.date_time for i in infos} == {(2023, 11, 14, 22, 13, 20)}
        assert {i.create_system for i in infos} == {3}
        assert {i.external_attr >> 16 for i in infos if not i.is_dir()} == {0o100644}
        assert {i.external_attr >> 16 for i in infos if i.is_dir()} == {0o40755}


def test_symlink_in_a_bag_is_refused(tmp_path: Path) -> None:
    bag = _bag(tmp_path)
    (bag / "data" / "link").symlink_to("/etc/passwd")
    with pytest.raises(BagError, match="neither a regular file nor a folder"):
        list_members(bag)


def test_a_file_that_grows_while_serialized_is_an_error(tmp_path: Path) -> None:
    bag = _bag(tmp_path)
    members = list_members(bag)
    (bag / "data" / "z.txt").write_bytes(b"z" * 800)
    with pytest.raises(BagError, match="changed size while being serialized"):
        b"".join(tar_chunks(members, bag.name, MTIME))


def test_headers_are_those_tarfile_writes() -> None:
    """The hand-made USTAR header equals tarfile's PAX_FORMAT one; beyond USTAR's limits (a name of 101
    characters with a folder's slash, not ASCII, 8 GiB, the year 2242) tarfile still writes it."""
    roots = ["bag", "bag-ä", "b" * 60]
    paths = ["", "data/a.txt", "data/" + "y" * 38, "data/" + "z" * 39, "data/ü.txt"]
    sizes = [0, 700, 8**11 - 1, 8**11]
    for root, path, size, mtime in itertools.product(roots, paths, sizes, [0, MTIME, 8**11 - 1, 8**11]):
        for member in (Member(path, True, 0, Path()), Member(path, False, size, Path())):
            info = tarfile.TarInfo(f"{root}/{path}" if path else root)
            info.type = tarfile.DIRTYPE if member.is_dir else tarfile.REGTYPE
            info.mode = 0o755 if member.is_dir else 0o644
            info.size, info.mtime = member.size, mtime
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            expected = info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")
            assert _tar_header(member, root, mtime) == expected, (root, path, size, mtime)
