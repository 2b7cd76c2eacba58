"""A found file's size rides on its manifest row; manifests merged after the file was found keep it."""

from __future__ import annotations

import hashlib
import io

from preservation.validate.listing import Listing, PayloadSizes


def _line(algorithm: str, path: str) -> bytes:
    return f"{hashlib.new(algorithm, path.encode()).hexdigest()}  {path}\n".encode()


def test_sizes_survive_manifests_merged_after_the_files_were_found() -> None:
    listing = Listing()
    listing.add(
        "manifest-sha256.txt", _line("sha256", "data/a") + _line("sha256", "data/b"), "sha256", "utf-8", True
    )
    listing.record("data/a", 5)
    listing.record("data/extra", 7)
    # data/a keeps the concatenated form; data/b, missing from md5 but listed by sha512, becomes a tuple row.
    listing.add("manifest-md5.txt", _line("md5", "data/a"), "md5", "utf-8", True)
    listing.record("data/b", 6)
    listing.add(
        "manifest-sha512.txt", _line("sha512", "data/a") + _line("sha512", "data/b"), "sha512", "utf-8", True
    )
    sizes = PayloadSizes(listing)
    assert dict(sizes) == {"data/a": 5, "data/b": 6, "data/extra": 7}
    assert len(sizes) == 3 and "data/c" not in sizes
    assert listing.expected("data/a", 2) == hashlib.sha512(b"data/a").digest()
    assert listing.expected("data/a", 1) == hashlib.md5(b"data/a").digest()
    assert listing.lacking("data/b") == ["manifest-md5.txt"]
    assert listing.lacking("data/a") == []


def _manifest(algorithm: str, paths: list[str]) -> bytes:
    return b"".join(_line(algorithm, path) for path in paths)


def test_manifests_read_side_by_side_merge_as_one_after_the_other() -> None:
    cases = [
        (["data/a", "data/b"], ["data/a", "data/b"]),
        (["data/a", "data/b", "data/c"], ["data/a", "data/c", "data/b"]),  # order differs midway
        (["data/a", "data/a", "data/b"], ["data/a", "data/a", "data/b"]),  # duplicates in both
        (["data/a", "bagit.txt", "data/b"], ["data/a", "bagit.txt", "data/x"]),  # outside data/, one each
        (["data/a"], ["data/a", "data/b"]),
        (["data/a", "data/b"], []),
    ]
    for first, second in cases:
        paired, sequential = Listing(), Listing()
        one, other = _manifest("sha256", first), _manifest("sha512", second)
        paired.add_pair(
            ("manifest-sha256.txt", io.BytesIO(one), "sha256"),
            ("manifest-sha512.txt", io.BytesIO(other), "sha512"),
            "utf-8",
            True,
        )
        sequential.add("manifest-sha256.txt", one, "sha256", "utf-8", True)
        sequential.add("manifest-sha512.txt", other, "sha512", "utf-8", True)
        assert list(paired) == list(sequential), (first, second)
        assert [paired.digests(p) for p in paired] == [sequential.digests(p) for p in sequential]
        assert paired.manifests == sequential.manifests, (first, second)


def test_missing_unlisted_and_total_agree_with_the_mapping() -> None:
    listing = Listing()
    listing.add(
        "manifest-sha256.txt", _manifest("sha256", ["data/a", "data/b", "data/c"]), "sha256", "utf-8", True
    )
    for path, size in (("data/c", 3), ("data/x", 4), ("data/a", 5)):
        listing.record(path, size)
    sizes = PayloadSizes(listing)
    assert list(sizes) == ["data/a", "data/c", "data/x"]
    assert listing.missing() == ["data/b"]
    assert listing.unlisted() == ["data/x"]
    assert sizes.total() == sum(sizes.values()) == 12
