"""Hostile zip bags: a central directory whose account of its members cannot be true (members sharing data,
as the "better zip bomb" does; sizes their data cannot hold), members that repeat a path, and a number in a
tag file that only looks like one. `validate` and `fixity run` agree on each."""

from __future__ import annotations

import io
import stat
import time
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from preservation.validate.api import validate_bag
from tests.hostile.archives import (
    Member,
    assert_refused,
    content,
    good_members,
    library_verdict,
    place,
    verdict,
    without,
    zip_bytes,
)
from tests.hostile.conftest import Canary

UNREADABLE = "serialization.unreadable"


def _zip(members: list[Member], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate names these cases want
        return zip_bytes(members, method)


def _central(data: bytes) -> tuple[list[bytes], int]:
    """The central directory's records and where it starts (no archive comment, no zip64)."""
    start = int.from_bytes(data[-6:-2], "little")
    records, offset = [], start
    while data[offset : offset + 4] == b"PK\x01\x02":
        lengths = (int.from_bytes(data[offset + at : offset + at + 2], "little") for at in (28, 30, 32))
        length = 46 + sum(lengths)
        records.append(data[offset : offset + length])
        offset += length
    return records, start


def _with_central(data: bytes, records: list[bytes], wide: bool = False) -> bytes:
    """`data` with its central directory replaced by `records`; `wide`: with zip64 end records, whose
    count of records is not limited to 65,535."""
    _, start = _central(data)
    directory = b"".join(records)
    count, size, offset = len(records), len(directory), start
    end = b""
    if wide:
        at = start + size
        end = b"PK\x06\x06" + (44).to_bytes(8, "little") + (45).to_bytes(2, "little") * 2 + bytes(8)
        end += count.to_bytes(8, "little") * 2 + size.to_bytes(8, "little") + offset.to_bytes(8, "little")
        end += b"PK\x06\x07" + bytes(4) + at.to_bytes(8, "little") + (1).to_bytes(4, "little")
        count = 0xFFFF
    entries = count.to_bytes(2, "little")
    end += (
        b"PK\x05\x06"
        + bytes(4)
        + entries
        + entries
        + size.to_bytes(4, "little")
        + offset.to_bytes(4, "little")
    )
    return data[:start] + directory + end + bytes(2)


def _record(records: list[bytes], name: str) -> int:
    return next(i for i, record in enumerate(records) if record[46 : 46 + len(name)] == name.encode())


def _declare_size(data: bytes, name: str, size: int) -> bytes:
    records, _ = _central(data)
    index = _record(records, name)
    record = bytearray(records[index])
    record[24:28] = size.to_bytes(4, "little")
    records[index] = bytes(record)
    return _with_central(data, records)


def test_members_that_share_their_data_are_refused_by_both_in_bounded_time(tmp_path: Path) -> None:
    """A kernel of 64 MiB of zeros, named 300 times by the central directory: 19 GiB to hash."""
    data = _zip([*good_members(tmp_path), ("bag/data/kernel", bytes(64 << 20))])
    records, _ = _central(data)
    kernel = records[_record(records, "bag/data/kernel")]
    target = place(tmp_path, "bag.zip", _with_central(data, records + [kernel] * 300))
    assert target.stat().st_size < 1 << 20
    found = assert_refused(target, UNREADABLE, memory_mib=400)
    assert "overlaps" in found.validate.stdout


def test_a_central_directory_of_900_000_records_costs_no_gigabyte(tmp_path: Path) -> None:
    """zipfile reads the directory whole, about 500 bytes a record, before any member: the count the end
    record gives is checked against what the file can hold first."""
    data = _zip(good_members(tmp_path))
    records, _ = _central(data)
    twin = records[_record(records, "bag/data/a.txt")]
    target = place(tmp_path, "bag.zip", _with_central(data, records + [twin] * 900_000, wide=True))
    found = assert_refused(target, UNREADABLE, memory_mib=300)
    assert "more than a file of" in found.validate.stdout


@pytest.mark.parametrize("count", [0xFFFE, 10**12])
def test_an_end_record_counting_more_members_than_the_file_holds_is_refused(
    tmp_path: Path, count: int
) -> None:
    data = bytearray(_zip(good_members(tmp_path)))
    if count < 0xFFFF:
        data[-14:-10] = count.to_bytes(2, "little") * 2
    else:
        records, _ = _central(bytes(data))
        data = bytearray(_with_central(bytes(data), records, wide=True))
        at = data.rfind(b"PK\x06\x06")
        data[at + 24 : at + 40] = count.to_bytes(8, "little") * 2
    assert library_verdict(place(tmp_path, "bag.zip", bytes(data))) == ({UNREADABLE}, "error")


def test_a_second_member_at_the_same_place_overlaps(tmp_path: Path) -> None:
    data = _zip(good_members(tmp_path))
    records, _ = _central(data)
    twin = records[_record(records, "bag/data/a.txt")]
    started = time.monotonic()
    assert library_verdict(place(tmp_path, "bag.zip", _with_central(data, [*records, twin]))) == (
        {UNREADABLE},
        "error",
    )
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    ("method", "size"),
    [(zipfile.ZIP_STORED, 6), (zipfile.ZIP_STORED, 4), (zipfile.ZIP_DEFLATED, 10**9)],
    ids=["stored, more than its data", "stored, less than its data", "deflated, beyond any expansion"],
)
def test_a_size_its_data_cannot_hold_is_refused_by_both(tmp_path: Path, method: int, size: int) -> None:
    data = _declare_size(_zip(good_members(tmp_path), method), "bag/data/a.txt", size)
    assert library_verdict(place(tmp_path, "bag.zip", data)) == ({UNREADABLE}, "error")


def test_a_member_shorter_than_its_declared_size_fails_both(tmp_path: Path) -> None:
    """zipfile ends such a member early without a word; the bag would be judged on what it says."""
    data = _declare_size(_zip(good_members(tmp_path)), "bag/data/a.txt", 1000)
    codes, outcome = library_verdict(place(tmp_path, "bag.zip", data))
    assert (codes, outcome) == ({"payload.unreadable", "oxum.mismatch"}, "fail")


# --------------------------------------------------------------------------- repeated paths


def _repeated(members: list[Member], name: str, data: bytes | None) -> list[Member]:
    return [*members, (name, data)]


REPEATS: dict[str, Callable[[list[Member]], list[Member]]] = {
    "the manifest again, changed": lambda m: _repeated(
        m, "bag/manifest-sha256.txt", content(m, "bag/manifest-sha256.txt") + b"\n"
    ),
    "a payload file again, changed": lambda m: _repeated(m, "bag/data/a.txt", b"changed"),
    "./bag/data/a.txt beside bag/data/a.txt": lambda m: _repeated(m, "./bag/data/a.txt", b"changed"),
    "bag//data/a.txt beside bag/data/a.txt": lambda m: _repeated(m, "bag//data/a.txt", b"changed"),
    "bag\\data\\a.txt beside bag/data/a.txt": lambda m: _repeated(m, "bag\\data\\a.txt", b"changed"),
    "a folder named twice": lambda m: _repeated(m, "bag/data/sub/", None),
}
CONFLICTS: dict[str, Callable[[list[Member]], list[Member]]] = {
    "a file inside a file": lambda m: _repeated(m, "bag/data/a.txt/inner.txt", b"x"),
    "a file where a folder is": lambda m: _repeated(m, "bag/data/sub", b"x"),
    "a folder where a file is": lambda m: _repeated(m, "bag/data/a.txt/", None),
}


@pytest.mark.parametrize("case", REPEATS)
def test_a_repeated_path_fails_both(tmp_path: Path, case: str) -> None:
    target = place(tmp_path, "bag.zip", _zip(REPEATS[case](good_members(tmp_path))))
    assert library_verdict(target) == ({"serialization.member-duplicate"}, "fail")


@pytest.mark.parametrize("case", CONFLICTS)
def test_a_path_that_is_file_and_folder_fails_both(tmp_path: Path, case: str) -> None:
    target = place(tmp_path, "bag.zip", _zip(CONFLICTS[case](good_members(tmp_path))))
    assert library_verdict(target) == ({"serialization.member-conflict"}, "fail")


def test_a_second_manifest_member_is_one_verdict_of_validate_and_fixity(tmp_path: Path) -> None:
    """validate read the first manifest-sha256.txt, fixity (and unzip) the last."""
    members = good_members(tmp_path)
    forged = content(members, "bag/manifest-sha256.txt").replace(b"data/a.txt", b"data/z.txt")
    target = place(tmp_path, "bag.zip", _zip([*members, ("bag/manifest-sha256.txt", forged)]))
    found = assert_refused(target, "serialization.member-duplicate", fixity="fail")
    assert found.problems == {"extra"}


# --------------------------------------------------------------------------- numbers in tag files


def test_a_fetch_length_in_superscript_digits_is_malformed_for_both(tmp_path: Path) -> None:
    """'²' passes str.isdigit and then int() raised: a traceback."""
    fetch = b"https://example.org/a.txt \xc2\xb2 data/a.txt\n"
    target = place(tmp_path, "bag.zip", _zip([*good_members(tmp_path), ("bag/fetch.txt", fetch)]))
    found = assert_refused(target, "fetch.malformed")
    assert found.problems == {"unreadable"}  # a fetch.txt that cannot be read as one


def test_a_symlink_member_naming_a_file_outside_is_never_followed_by_either(
    tmp_path: Path, canary: Canary
) -> None:
    buffer = io.BytesIO(_zip(without(good_members(tmp_path), "bag/data/a.txt")))
    with zipfile.ZipFile(buffer, "a") as archive:
        link = zipfile.ZipInfo("bag/data/a.txt")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, str(canary.path))
    found = verdict(place(tmp_path, "bag.zip", buffer.getvalue()))
    assert (found.validate.code, found.codes) == (1, {"path.symlink", "oxum.mismatch"}), found.validate.output
    # a link where a file is listed: the file is not there, as validate says
    assert (found.fixity.code, found.fixity_codes) == (1, found.codes), found.fixity.output
    assert canary.content.decode() not in found.validate.output + found.fixity.output
    canary.assert_absent(tmp_path)


def test_a_zip_of_no_members_holds_no_bag(tmp_path: Path) -> None:
    target = place(tmp_path, "bag.zip", b"PK\x05\x06" + bytes(18))
    assert library_verdict(target)[0] == {"bagit.missing", "payload.dir-missing", "manifest.missing"}


@pytest.mark.parametrize(
    ("size", "malformed"),
    [
        ("1 KB", False),
        ("0.5 KiB", False),
        ("\u0661 KB", True),
        ("1.\u0665 KB", True),
        ("+1 KB", True),
        ("KB", True),
    ],
)
def test_a_bag_size_is_read_with_ascii_digits_only(tmp_path: Path, size: str, malformed: bool) -> None:
    members = good_members(tmp_path)
    info = content(members, "bag/bag-info.txt") + f"Bag-Size: {size}\n".encode()
    target = place(
        tmp_path, "bag.zip", _zip([(n, info if n == "bag/bag-info.txt" else d) for n, d in members])
    )
    codes = {finding.code for finding in validate_bag(target).findings}
    assert ("bagsize.malformed" in codes) == malformed
