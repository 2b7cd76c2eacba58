"""Hostile .tar.gz bags: what hides in the gzip layer. Every gzip member is read, as `tar xz` reads them
(RFC 1952 §2.2), so payload in a second member is seen and a bag split over two members is whole; a header
of a gigabyte inside a small gzip costs no gigabyte of memory. `validate` and `fixity run` agree on each."""

from __future__ import annotations

import bz2
import gzip
import io
import tarfile
import tracemalloc
import zlib
from pathlib import Path

import pytest

from preservation.validate.api import validate_bag
from tests.hostile.archives import (
    Member,
    assert_refused,
    assert_valid,
    content,
    good_members,
    library_verdict,
    place,
    tar_bytes,
    tar_info,
    verdict,
    with_tag_files,
)

UNREADABLE = "serialization.unreadable"


def _open_tar(members: list[Member]) -> bytes:
    """A tar of `members` without its end-of-archive marker: more members may follow."""
    whole = tar_bytes(members)
    end = len(whole.rstrip(b"\0"))
    return whole[: end + -end % 512]


def test_payload_in_a_second_gzip_member_is_seen_by_both(tmp_path: Path) -> None:
    first = gzip.compress(_open_tar(good_members(tmp_path)))
    second = gzip.compress(tar_bytes([("bag/data/smuggled.txt", b"unpacked by tar xz, unseen by validate")]))
    found = verdict(place(tmp_path, "bag.tar.gz", first + second))
    expected = (1, {"payload.extra", "oxum.mismatch"})
    assert (found.validate.code, found.codes) == expected, found.validate.output
    assert (found.fixity.code, found.fixity_codes) == expected, found.fixity.output


def test_members_after_the_end_of_the_first_members_tar_are_unreadable_for_both(tmp_path: Path) -> None:
    """A whole tar, end-of-archive marker and all, then a second gzip member holding a tar of more members:
    tar --ignore-zeros unpacks them."""
    first = gzip.compress(tar_bytes(good_members(tmp_path)))
    second = gzip.compress(tar_bytes([("bag/data/smuggled.txt", b"after the end")]))
    found = assert_refused(place(tmp_path, "bag.tar.gz", first + second), UNREADABLE)
    assert "after the end-of-archive marker" in found.validate.stdout


def test_a_valid_bag_split_over_two_gzip_members_is_valid_for_both(tmp_path: Path) -> None:
    whole = tar_bytes(good_members(tmp_path))
    middle = whole.index(b"Payload-Oxum")  # inside bag-info.txt, with most members still to come
    assert_valid(place(tmp_path, "bag.tgz", gzip.compress(whole[:middle]) + gzip.compress(whole[middle:])))


def test_a_manifest_repeated_in_a_second_gzip_member_fails_both(tmp_path: Path) -> None:
    members = good_members(tmp_path)
    forged = content(members, "bag/manifest-sha256.txt") + b"\n"
    data = gzip.compress(_open_tar(members)) + gzip.compress(tar_bytes([("bag/manifest-sha256.txt", forged)]))
    duplicate = {"serialization.member-duplicate"}
    assert library_verdict(place(tmp_path, "bag.tar.gz", data)) == (duplicate, "fail")


def test_zero_padding_after_the_gzip_stream_is_harmless(tmp_path: Path) -> None:
    data = gzip.compress(tar_bytes(good_members(tmp_path))) + bytes(4096)
    assert library_verdict(place(tmp_path, "bag.tar.gz", data)) == (set(), "pass")


def _crc_broken(data: bytes) -> bytes:
    damaged = bytearray(data)
    damaged[-8] ^= 0xFF  # the CRC-32 in the trailer
    return bytes(damaged)


@pytest.mark.parametrize(
    "damage",
    [
        lambda first, second: first + second[: len(second) // 2],
        lambda first, second: first + b"not gzip at all" + bytes(100),
        lambda first, second: first + _crc_broken(second),
    ],
    ids=["second member cut short", "data after the gzip stream", "second member fails its CRC"],
)
def test_a_damaged_second_gzip_member_is_unreadable_for_both(tmp_path: Path, damage) -> None:  # type: ignore[no-untyped-def]
    whole = tar_bytes(good_members(tmp_path))
    first, second = gzip.compress(whole[:4096]), gzip.compress(whole[4096:])
    codes, outcome = library_verdict(place(tmp_path, "bag.tar.gz", damage(first, second)))
    assert UNREADABLE in codes and outcome == "error"


def _gzip_then_zeros(prefix: bytes, mebibytes: int) -> bytes:
    """A gzip member of `prefix` and that many MiB of zeros, in a fraction of the time zlib takes to
    compress them: one fully flushed block of a MiB of zeros, repeated."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    head = deflate.compress(prefix) + deflate.flush(zlib.Z_FULL_FLUSH)
    zeros = bytes(1 << 20)
    block = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    crc = zlib.crc32(prefix)
    for _ in range(mebibytes):
        crc = zlib.crc32(zeros, crc)
    size = (len(prefix) + (mebibytes << 20)) & 0xFFFFFFFF
    trailer = crc.to_bytes(4, "little") + size.to_bytes(4, "little")
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + head + block * mebibytes + deflate.flush() + trailer


def test_a_pax_header_of_a_gigabyte_in_a_small_tgz_costs_no_gigabyte(tmp_path: Path) -> None:
    """It cost 3.1 GB: tarfile reads an extended header whole."""
    header = tarfile.TarInfo("././@PaxHeader")
    header.type, header.size = tarfile.XHDTYPE, 1 << 30
    prefix = _open_tar(good_members(tmp_path)) + header.tobuf(tarfile.USTAR_FORMAT)
    target = place(tmp_path, "bag.tar.gz", _gzip_then_zeros(prefix, 1 << 10))
    assert target.stat().st_size < 2 << 20
    found = assert_refused(target, UNREADABLE, memory_mib=400)
    assert "extended header of 1073741824 bytes" in found.validate.stdout


def test_a_tar_compressed_otherwise_than_with_gzip_is_unreadable(tmp_path: Path) -> None:
    data = bz2.compress(tar_bytes(good_members(tmp_path)))
    assert library_verdict(place(tmp_path, "bag.tar", data)) == ({UNREADABLE}, "error")


def test_many_tag_files_are_hashed_as_they_stream_by_not_kept(tmp_path: Path) -> None:
    """10,000 tag files of 49 KB held 538 MB in validate: only the tag files a check reads are kept."""
    extra = [(f"bag/tags/note-{i:04}.txt", f"{i:04}".encode() * (49_000 // 4)) for i in range(2_000)]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as archive:
        for name, data in with_tag_files(good_members(tmp_path), extra):
            archive.addfile(tar_info(name, data), None if data is None else io.BytesIO(data))
    target = place(tmp_path, "bag.tar.gz", buffer.getvalue())
    tracemalloc.start()
    report = validate_bag(target)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert report.findings == ()
    assert peak < 16 << 20
