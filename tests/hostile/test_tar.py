"""Hostile tar bags: headers that lie about sizes, headers too large or too many to read, members tarfile
and GNU tar would see differently, and members that repeat a path. `validate` and `fixity run` agree on each:
an archive that cannot be trusted is unreadable (validate exit 1, fixity "could not check", exit 3); a
repeated path is a failure of both (exit 1)."""

from __future__ import annotations

import tarfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import pytest

from tests.hostile.archives import (
    Member,
    assert_refused,
    content,
    good_members,
    library_verdict,
    place,
    tar_bytes,
    tar_info,
    verdict,
    with_tag_files,
    without,
)
from tests.hostile.conftest import Canary

UNREADABLE = "serialization.unreadable"
EOA = bytes(1024)
"""The end-of-archive marker: two zero blocks."""


def _file(name: str, data: bytes, **pax: str) -> tuple[tarfile.TarInfo, bytes]:
    info = tar_info(name, data)
    info.pax_headers = pax
    return info, data


def _header(name: str, kind: bytes, size: int, fmt: Literal[0, 1, 2] = tarfile.GNU_FORMAT) -> bytes:
    """One raw header block as `tarfile` writes it, whatever the size says."""
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = size
    return info.tobuf(fmt, "utf-8", "surrogateescape")[-512:]


def _pax_record(keyword: str, value: str) -> bytes:
    body = f" {keyword}={value}\n".encode()
    length = len(body)
    while length != len(body) + len(str(length)):
        length = len(body) + len(str(length))
    return str(length).encode() + body


def _pax_header(records: bytes, kind: bytes = tarfile.XHDTYPE) -> bytes:
    padding = -len(records) % 512
    return _header("././@PaxHeader", kind, len(records), tarfile.USTAR_FORMAT) + records + bytes(padding)


def _body(members: list[Member]) -> bytes:
    """The good bag's tar without its end-of-archive marker, so that a case can add members."""
    whole = tar_bytes(members)
    end = len(whole.rstrip(b"\0"))
    return whole[: end + -end % 512]


def _member(name: str, data: bytes) -> bytes:
    return tar_info(name, data).tobuf(tarfile.USTAR_FORMAT) + data + bytes(-len(data) % 512)


def _resealed(member: bytes) -> bytes:
    """`member` with its header's checksum made right again after an edit."""
    header = member[:148] + b" " * 8 + member[156:512]
    return header[:148] + b"%06o\x00 " % sum(header) + member[156:]


def _long(kind: bytes) -> bytes:
    """A GNU long name or long link name of two megabytes, for the member after it."""
    name = b"bag/data/" + b"x" * (2 << 20)
    return _header("././@LongLink", kind, len(name)) + name + bytes(-len(name) % 512)


# Each: the bytes after the good bag's members, before the end-of-archive marker.
LIES: dict[str, Callable[[], bytes]] = {
    "PAX size beyond the archive": lambda: (
        _pax_header(_pax_record("size", str(10**30))) + _member("bag/data/evil.txt", b"evil")
    ),
    "PAX size not in ASCII digits": lambda: (
        _pax_header(_pax_record("size", "\u00b2")) + _member("bag/data/evil.txt", b"evil")
    ),
    "PAX size negative": lambda: (
        _pax_header(_pax_record("size", "-512")) + _member("bag/data/evil.txt", b"evil")
    ),
    "a size field that int() reads but GNU tar refuses": lambda: _resealed(
        _member("bag/data/evil.txt", b"evil").replace(b"00000000004\x00", b"0o000000004\x00", 1)
    ),
    "GNU base-256 size beyond the archive": lambda: _header("bag/data/evil.txt", tarfile.REGTYPE, 1 << 70),
    "GNU base-256 negative size": lambda: _header("bag/data/evil.txt", tarfile.REGTYPE, -(1 << 20)),
    "GNU long name of two megabytes": lambda: (
        _long(tarfile.GNUTYPE_LONGNAME) + _member("bag/data/evil.txt", b"evil")
    ),
    "GNU long link name of two megabytes": lambda: (
        _long(tarfile.GNUTYPE_LONGLINK) + _header("bag/data/link", tarfile.SYMTYPE, 0)
    ),
    "PAX path of two megabytes": lambda: (
        _pax_header(_pax_record("path", "bag/data/" + "x" * (2 << 20)))
        + _member("bag/data/evil.txt", b"evil")
    ),
    "PAX linkpath of two megabytes": lambda: (
        _pax_header(_pax_record("linkpath", "y" * (2 << 20))) + _header("bag/data/link", tarfile.SYMTYPE, 0)
    ),
    "a thousand GNU long names in a row": lambda: (
        (_header("././@LongLink", tarfile.GNUTYPE_LONGNAME, 512) + b"bag/data/long" + bytes(499)) * 1000
    ),
    "an old GNU sparse member": lambda: _header("bag/data/sparse", tarfile.GNUTYPE_SPARSE, 512) + bytes(512),
    "a PAX sparse member whose map never ends": lambda: (
        _pax_header(
            _pax_record("GNU.sparse.major", "1")
            + _pax_record("GNU.sparse.minor", "0")
            + _pax_record("GNU.sparse.name", "bag/data/sparse")
            + _pax_record("GNU.sparse.realsize", "10")
        )
        + _header("bag/data/sparse", tarfile.REGTYPE, 512, tarfile.USTAR_FORMAT)
        + b"999999999\n".ljust(512, b"0")
    ),
    "a global PAX header that sizes every member": lambda: (
        _pax_header(_pax_record("size", "4"), tarfile.XGLTYPE) + _member("bag/data/evil.txt", b"evil")
    ),
    "a global PAX header that names every member": lambda: (
        _pax_header(_pax_record("path", "bag/data/a.txt"), tarfile.XGLTYPE)
        + _member("bag/data/evil.txt", b"evil")
    ),
    "a symlink that declares data (tarfile reads headers in it)": lambda: (
        _header("bag/data/link", tarfile.SYMTYPE, 1024, tarfile.USTAR_FORMAT)
        + _member("bag/data/smuggled.txt", b"evil")
    ),
    "a damaged header, then members GNU tar still unpacks": lambda: (
        b"\xff" * 512 + _member("bag/data/smuggled.txt", b"evil")
    ),
    "a PAX record of length zero, which ends tarfile's reading": lambda: (
        _pax_header(b"0 size=4\n") + _member("bag/data/smuggled.txt", b"evil")
    ),
}


@pytest.mark.parametrize("case", LIES)
def test_a_header_that_lies_is_refused_by_both(tmp_path: Path, case: str) -> None:
    target = place(tmp_path, "bag.tar", _body(good_members(tmp_path)) + LIES[case]() + EOA)
    started = time.monotonic()
    assert library_verdict(target) == ({UNREADABLE}, "error")
    assert time.monotonic() - started < 10


def test_a_pax_size_of_ten_to_the_thirty_is_one_verdict_not_a_traceback_or_a_loop(tmp_path: Path) -> None:
    evil = _pax_header(_pax_record("size", str(10**30))) + _member("bag/data/evil.txt", b"evil")
    target = place(tmp_path, "bag.tar", _body(good_members(tmp_path)) + evil + EOA)
    found = assert_refused(target, UNREADABLE, memory_mib=512)
    assert "more than the archive can hold" in found.validate.stdout


def test_a_pax_header_of_digits_costs_no_quadratic_search(tmp_path: Path) -> None:
    """tarfile's search for `hdrcharset` takes the square of a run of digits (CVE-2024-6232)."""
    evil = _pax_header(_pax_record("comment", "1" * 60_000)) + _member("bag/data/evil.txt", b"evil")
    target = place(tmp_path, "bag.tar", _body(good_members(tmp_path)) + evil + EOA)
    started = time.monotonic()
    assert library_verdict(target) == ({UNREADABLE}, "error")
    assert time.monotonic() - started < 3


def test_members_after_the_end_of_archive_marker_are_unreadable_for_both(tmp_path: Path) -> None:
    smuggled = _member("bag/data/smuggled.txt", b"unpacked by tar --ignore-zeros")
    target = place(tmp_path, "bag.tar", tar_bytes(good_members(tmp_path)) + smuggled + EOA)
    assert library_verdict(target) == ({UNREADABLE}, "error")


def test_a_global_header_as_git_archive_writes_it_is_harmless(tmp_path: Path) -> None:
    comment = _pax_header(_pax_record("comment", "0123abcd" * 5), tarfile.XGLTYPE)
    target = place(tmp_path, "bag.tar", comment + _body(good_members(tmp_path)) + EOA)
    assert library_verdict(target) == (set(), "pass")


# --------------------------------------------------------------------------- repeated paths


def _repeated(members: list[Member], name: str, data: bytes | None) -> list[Member]:
    return [*members, (name, data)]


REPEATS: dict[str, Callable[[list[Member]], list[Member]]] = {
    "the manifest again, changed": lambda m: _repeated(
        m, "bag/manifest-sha256.txt", content(m, "bag/manifest-sha256.txt") + b"\n"
    ),
    "a payload file again, changed": lambda m: _repeated(m, "bag/data/a.txt", b"changed"),
    "a payload file again, the same": lambda m: _repeated(m, "bag/data/a.txt", content(m, "bag/data/a.txt")),
    "./bag/data/a.txt beside bag/data/a.txt": lambda m: _repeated(m, "./bag/data/a.txt", b"changed"),
    "bag//data/a.txt beside bag/data/a.txt": lambda m: _repeated(m, "bag//data/a.txt", b"changed"),
    "bag/data/./a.txt beside bag/data/a.txt": lambda m: _repeated(m, "bag/data/./a.txt", b"changed"),
    "bagit.txt first, then again": lambda m: _repeated(m, "bag/bagit.txt", content(m, "bag/bagit.txt")),
    "a folder named twice": lambda m: _repeated(m, "bag/data/sub/", None),
}
CONFLICTS: dict[str, Callable[[list[Member]], list[Member]]] = {
    "a file inside a file": lambda m: _repeated(m, "bag/data/a.txt/inner.txt", b"x"),
    "a file where a folder is": lambda m: _repeated(m, "bag/data/sub", b"x"),
    "a folder where a file is": lambda m: _repeated(m, "bag/data/a.txt/", None),
}


@pytest.mark.parametrize("case", REPEATS)
def test_a_repeated_path_fails_both(tmp_path: Path, case: str) -> None:
    target = place(tmp_path, "bag.tar", tar_bytes(REPEATS[case](good_members(tmp_path))))
    assert library_verdict(target) == ({"serialization.member-duplicate"}, "fail")


@pytest.mark.parametrize("case", CONFLICTS)
def test_a_path_that_is_file_and_folder_fails_both(tmp_path: Path, case: str) -> None:
    target = place(tmp_path, "bag.tar", tar_bytes(CONFLICTS[case](good_members(tmp_path))))
    assert library_verdict(target) == ({"serialization.member-conflict"}, "fail")


def test_a_second_manifest_member_is_one_verdict_of_validate_and_fixity(tmp_path: Path) -> None:
    """validate read the first manifest-sha256.txt, fixity (and extractors) the last: valid and failed."""
    members = good_members(tmp_path)
    forged = content(members, "bag/manifest-sha256.txt").replace(b"data/a.txt", b"data/z.txt")
    target = place(tmp_path, "bag.tar", tar_bytes([*members, ("bag/manifest-sha256.txt", forged)]))
    found = assert_refused(target, "serialization.member-duplicate", fixity="fail")
    assert found.problems == {"extra"}


def test_a_good_tar_stays_valid_for_both(tmp_path: Path) -> None:
    found = verdict(place(tmp_path, "bag.tar", tar_bytes(good_members(tmp_path))))
    assert (found.validate.code, found.fixity.code) == (0, 0), found.validate.output + found.fixity.output


# --------------------------------------------------------------------------- manifests in unknown algorithms


def test_a_tag_manifest_in_an_unknown_algorithm_is_one_verdict_not_a_traceback(tmp_path: Path) -> None:
    """fixity hashed the tag files with it: hashlib raised."""
    members = [*good_members(tmp_path), ("bag/tagmanifest-bar.txt", b"abab  bagit.txt\n")]
    assert_refused(place(tmp_path, "bag.tar", tar_bytes(members)), "manifest.algorithm-unknown")


def test_a_thousand_manifests_in_unknown_algorithms_cost_no_thousand_fold_listing(tmp_path: Path) -> None:
    """Each was merged into the listing: every path a row of a thousand, 412 s for 1,000 of 100 lines."""
    lines = "".join(f"{'ab' * 16}  data/f{i}\n" for i in range(100))
    unknown = [
        (f"bag/manifest-x{k}.txt", lines.replace("data/f", f"data/{k}-").encode()) for k in range(1000)
    ]
    target = place(tmp_path, "bag.tar", tar_bytes(with_tag_files(good_members(tmp_path), unknown)))
    started = time.monotonic()
    assert library_verdict(target) == ({"manifest.algorithm-unknown"}, "error")
    assert time.monotonic() - started < 10


# --------------------------------------------------------------------------- links


def test_links_to_a_file_outside_are_never_followed_by_either(tmp_path: Path, canary: Canary) -> None:
    """A symlink and a hard link where the bag lists data/a.txt, both naming the canary: neither command
    reads it, and its bytes reach no output (reports, ledger)."""
    members = without(good_members(tmp_path), "bag/data/a.txt")
    links = []
    for kind, name in ((tarfile.SYMTYPE, "bag/data/a.txt"), (tarfile.LNKTYPE, "bag/data/hard.txt")):
        link = tarfile.TarInfo(name)
        link.type, link.linkname = kind, str(canary.path)
        links.append((link, b""))
    target = place(tmp_path, "bag.tar", tar_bytes(members, extra=links))
    found = verdict(target)
    expected = {"path.symlink", "path.special", "payload.extra", "oxum.mismatch"}
    assert (found.validate.code, found.codes) == (1, expected), found.validate.output
    assert (found.fixity.code, found.fixity_codes) == (1, expected), found.fixity.output
    assert canary.content.decode() not in found.validate.output + found.fixity.output
    canary.assert_absent(tmp_path)
