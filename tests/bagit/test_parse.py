"""The reading side of RFC 8493: every malformed input becomes a problem, never an exception."""

from __future__ import annotations

import io
import tracemalloc
from encodings.aliases import aliases

import pytest

from preservation.bagit.parse import (
    _BAD,
    MAX_LINE,
    LineReader,
    ascii_int,
    codec_for,
    manifest_algorithm,
    parse_bagit_txt,
    parse_fetch,
    parse_manifest,
    parse_tag_values,
    payload_oxum,
)

MD5 = "0123456789abcdef0123456789abcdef"


def codes(result) -> list[str]:
    return [p.code for p in result.problems]


@pytest.mark.parametrize(
    "text, version",
    [
        ("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n", (1, 0)),
        ("BagIt-Version: 0.97\r\nTag-File-Character-Encoding: UTF-8\r\n", (0, 97)),
        ("BagIt-Version: 0.96\rTag-File-Character-Encoding: ISO-8859-1\r", (0, 96)),
        ("BagIt-Version: 0.93\nTag-File-Character-Encoding: UTF-16", (0, 93)),
    ],
)
def test_bagit_txt_good(text: str, version: tuple[int, int]) -> None:
    declaration = parse_bagit_txt(text.encode())
    assert declaration.problems == ()
    assert declaration.version == version
    assert declaration.encoding is not None


@pytest.mark.parametrize(
    "data, code",
    [
        (b"\xef\xbb\xbfBagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n", "bagit.bom"),
        (b"BagIt-Version : 1.0\nTag-File-Character-Encoding: UTF-8\n", "bagit.malformed"),
        (b"BagIt-Version: 2.0\nTag-File-Character-Encoding: UTF-8\n", "bagit.version-unsupported"),
        (b"BagIt-Version: 1.0\nTag-File-Character-Encoding: KOI-9\n", "encoding.unsupported"),
        (b"BagIt-Version: 1.0\nTag-File-Character-Encoding: rot13\n", "encoding.unsupported"),
        (b"BagIt-Version: 1.0\n", "bagit.malformed"),
        (b"BagIt-Version: one\nTag-File-Character-Encoding: UTF-8\n", "bagit.malformed"),
        (b"Tag-File-Character-Encoding: UTF-8\nBagIt-Version: 1.0\n", "bagit.malformed"),
        (b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\nX: y\n", "bagit.malformed"),
        (b"\xff\xfe garbage", "bagit.malformed"),
        (b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF\x00-8\n", "encoding.unsupported"),
        (b"", "bagit.malformed"),
    ],
)
def test_bagit_txt_bad(data: bytes, code: str) -> None:
    assert code in codes(parse_bagit_txt(data))


def test_space_before_colon_tolerated_before_1_0() -> None:
    assert parse_bagit_txt(b"BagIt-Version : 0.96\nTag-File-Character-Encoding : UTF-8\n").problems == ()


def test_codecs() -> None:
    assert codec_for("UTF-8") == "utf-8"
    assert codec_for("ISO-8859-1") == "iso8859-1"
    assert codec_for("utf-16") == "utf-16"
    assert codec_for("base64") is None and codec_for("rot13") is None and codec_for("unicode_escape") is None
    assert codec_for("KOI8-R") == "koi8-r" and codec_for("windows-1251") == "cp1251"
    assert codec_for("Shift_JIS") == "shift_jis" and codec_for("IBM037") == "cp037"
    assert codec_for("utf\x00-8") is None  # codecs.lookup raises ValueError here, not LookupError
    assert codec_for("utf-\ud800") is None  # ... and UnicodeEncodeError here


def test_manifest_names() -> None:
    assert manifest_algorithm("manifest-sha256.txt") == (False, "sha256")
    assert manifest_algorithm("tagmanifest-MD5.txt") == (True, "md5")
    assert manifest_algorithm("manifest.txt") is None


@pytest.mark.parametrize("encoding", ["utf-8", "iso8859-1", "utf-16"])
def test_bag_info_continuations_order_and_repeats(encoding: str) -> None:
    text = "Contact-Name: Jürgen\r\nExternal-Description: one\r\n  two\r\n\tthree\r\nContact-Name: Anna\r\n"
    values = parse_tag_values(text.encode(encoding), encoding)
    assert values.problems == ()
    assert values.fields == (
        ("Contact-Name", "Jürgen"),
        ("External-Description", "one two three"),
        ("Contact-Name", "Anna"),
    )
    assert values.get_all("contact-name") == ["Jürgen", "Anna"]


READ_CODECS = sorted({c for name in set(aliases.values()) if (c := codec_for(name)) is not None})


@pytest.mark.parametrize("encoding", READ_CODECS)
def test_a_surrogate_in_decoded_text_is_always_an_undecodable_byte(encoding: str) -> None:
    # `_lines` looks for `_BAD` alone: a codec we read must never decode to any other surrogate.
    surrogates = [b"\xed\xa0\x80", b"\x00\xd8A\x00", b"\xd8\x00\x00A", (0xD800).to_bytes(4, "little")]
    text = b"".join([bytes(range(256)), *surrogates, (0xDFFF).to_bytes(4, "big")]).decode(
        encoding, errors="preservation.mark"
    )
    assert {c for c in text if "\ud800" <= c <= "\udfff"} <= {_BAD}


def test_bag_info_malformed_lines_and_bad_bytes() -> None:
    values = parse_tag_values(b"  orphan\nno colon here\nA: \xff\xfe\nB: ok\n", "utf-8")
    assert codes(values) == ["baginfo.malformed", "baginfo.malformed", "encoding.invalid"]
    assert values.get("B") == "ok"


def test_utf8_bom_in_tag_file_is_a_warning_and_stripped() -> None:
    values = parse_tag_values(b"\xef\xbb\xbfA: b\n", "utf-8")
    assert codes(values) == ["tagfile.bom"]
    assert values.fields == (("A", "b"),)


def test_crlf_split_across_chunks() -> None:
    data = b"x" * (64 * 1024 - 1) + b"\r\nsecond\r\n"
    lines = list(LineReader(io.BytesIO(data), "utf-8", max_line=1 << 20))
    assert [n for n, _, _ in lines] == [1, 2]
    assert lines[1][1] == "second"


def test_line_separators_inside_names_are_not_line_breaks() -> None:
    manifest = parse_manifest(f"{MD5}  data/a\u2028b\x0bc\x1cd\n".encode(), "md5", "utf-8", version_1_0=True)
    assert list(manifest.entries) == ["data/a\u2028b\x0bc\x1cd"]


def test_huge_single_line_bag_info_is_bounded_and_legal() -> None:
    """RFC 8493 bounds no bag-info value: a 40 MB one is cut for the checks with a warning, never held."""
    data = b"External-Description: " + b"x" * (40 << 20) + b"\nA: b\n"
    tracemalloc.start()
    values = parse_tag_values(io.BytesIO(data), "utf-8")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert codes(values) == ["tagfile.line-cut"]
    assert values.fields == (
        ("External-Description", "x" * (MAX_LINE - len("External-Description: "))),
        ("A", "b"),
    )
    assert peak < 4 << 20


def test_an_over_long_manifest_line_is_still_skipped_as_an_error() -> None:
    data = f"{MD5}  data/{'x' * (MAX_LINE + 1)}\n{MD5}  data/a\n".encode()
    for source in (data, io.BytesIO(data)):
        manifest = parse_manifest(source, "md5", "utf-8", version_1_0=True)
        assert codes(manifest) == ["tagfile.line-too-long"] and list(manifest.entries) == ["data/a"]


def test_manifest_lines() -> None:
    data = (
        f"{MD5}  data/a%0Ab%25c%0D\n"
        f"{MD5} *data/star\n"
        f"{MD5}  ./data/dot\n"
        f"{MD5.upper()}\tdata/tab name \n"
        f"nothex data/x\n"
        f"{MD5}\n"
        f"{MD5[:-1]}  data/short\n"
    ).encode()
    manifest = parse_manifest(data, "md5", "utf-8", version_1_0=True)
    assert list(manifest.entries) == ["data/a\nb%c\r", "data/star", "data/dot", "data/tab name "]
    assert codes(manifest) == [
        "manifest.md5sum-star",
        "path.leading-dot",
        "manifest.malformed",
        "manifest.malformed",
        "manifest.malformed",
    ]


@pytest.mark.parametrize(
    "path",
    ["../x", "/etc/passwd", "~/x", "C:\\x", "c:/x", "\\\\server\\share\\x", "../bagAB/x", "data/../../x"],
)
def test_manifest_traversal(path: str) -> None:
    manifest = parse_manifest(f"{MD5}  {path}\n".encode(), "md5", "utf-8", version_1_0=True)
    assert manifest.entries == {}
    assert codes(manifest) == ["path.unsafe"]


def test_duplicates() -> None:
    same = f"{MD5}  data/a\n{MD5}  data/a\n".encode()
    assert codes(parse_manifest(same, "md5", "utf-8", version_1_0=True)) == ["manifest.duplicate"]
    assert codes(parse_manifest(same, "md5", "utf-8", version_1_0=False)) == ["manifest.duplicate-legacy"]
    other = f"{MD5}  data/a\n{'f' * 32}  data/a\n".encode()
    assert codes(parse_manifest(other, "md5", "utf-8", version_1_0=False)) == ["manifest.duplicate"]


def test_fetch() -> None:
    data = (
        b"https://e.org/a 12 data/a\nhttps://e.org/b - data/b%0Ac\nnope 1 data/c\nhttps://e.org/d x data/d\n"
    )
    data += b"https://e.org/e 1 ../e\nhttps://e.org/f 1 tagfile.txt\nhttps://e.org/g 1\n"
    fetch = parse_fetch(data, "utf-8")
    assert [(i.length, i.path) for i in fetch.items] == [(12, "data/a"), (None, "data/b\nc")]
    assert codes(fetch) == [
        "fetch.malformed",
        "fetch.malformed",
        "path.unsafe",
        "fetch.malformed",
        "fetch.malformed",
    ]


NOT_ASCII_NUMBERS = ["\u00b2", "\u0661\u0662", "\uff11", "+1", "-1", "1_000", "", "0x10", "\u2167"]
"""Each passes `int()` or `str.isdigit`, or both, or neither: none is a number in a bag."""


@pytest.mark.parametrize("text", NOT_ASCII_NUMBERS)
def test_a_number_in_a_bag_is_ascii_digits_only(text: str) -> None:
    assert ascii_int(text) is None
    assert payload_oxum(f"{text}.1") is None and payload_oxum(f"1.{text}") is None
    fetch = parse_fetch(f"https://example.org/a {text} data/a.txt\n".encode(), "utf-8")
    assert fetch.items == () and codes(fetch) == ["fetch.malformed"]
    declaration = parse_bagit_txt(f"BagIt-Version: {text}.0\nTag-File-Character-Encoding: UTF-8\n".encode())
    assert declaration.version is None and "bagit.malformed" in codes(declaration)


def test_ascii_numbers_read_as_before() -> None:
    assert (ascii_int("0"), ascii_int("007"), ascii_int(str(10**30))) == (0, 7, 10**30)
    assert ascii_int(" 1") is None and ascii_int("1\n") is None  # blank space is the caller's to strip
    assert payload_oxum(" 10.2 ") == (10, 2)
    assert parse_fetch(b"https://example.org/a 12 data/a.txt\n", "utf-8").items[0].length == 12


def test_blank_space_around_a_label_is_an_error_from_bagit_1_0_and_a_warning_before() -> None:
    data = b"Test-Tag : 3\nTest-Tag    :   5\n"
    strict = parse_tag_values(data, "utf-8", version_1_0=True)
    lax = parse_tag_values(data, "utf-8", version_1_0=False)
    assert [p.code for p in strict.problems] == ["baginfo.malformed"] * 2
    assert [p.code for p in lax.problems] == ["baginfo.label-space"] * 2
    assert strict.get_all("Test-Tag") == lax.get_all("Test-Tag") == ["3", "5"]
