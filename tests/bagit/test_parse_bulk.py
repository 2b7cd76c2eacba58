"""The bulk manifest parser against the careful one: the same entries and problems on any manifest text.

A block of plain lines is read whole (`parse._plain_lines`); the property is that this never changes what
the line-by-line path (`parse._careful_entries`) reads from the same lines: valid and broken digests, odd
separators, escapes, unsafe and odd paths, blank lines, CR/LF/CRLF, a BOM, bytes that are not UTF-8, and
streams cut into chunks anywhere.
"""

from __future__ import annotations

import io
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from preservation.bagit import parse

ALGORITHMS = ("md5", "sha256", "sha512", "sha3")
"""Digests of 32, 64 and 128 hex digits, and an algorithm whose length is not known."""


def careful(data: bytes | io.BytesIO, algorithm: str) -> tuple[list[tuple[int, str, str, bytes]], list]:
    problems: list[parse.Problem] = []
    length = parse.DIGEST_LENGTHS.get(algorithm)
    entries = [
        entry
        for first, lines in parse._line_blocks(data, "utf-8", problems)
        for entry in parse._careful_entries(first, lines, algorithm, length, problems)
    ]
    return entries, problems


def bulk(data: bytes | io.BytesIO, algorithm: str) -> tuple[list[tuple[int, str, str, bytes]], list]:
    problems: list[parse.Problem] = []
    return list(parse._manifest_entries(data, algorithm, "utf-8", problems)), problems


def digests(length: int) -> st.SearchStrategy[str]:
    exact = st.text("0123456789abcdefABCDEF", min_size=length, max_size=length)
    broken = st.text("0123456789abcdefg ", min_size=max(length - 2, 0), max_size=length + 2)
    return st.one_of(exact, exact, exact, broken)


PLAIN_PATHS = st.one_of(
    st.builds(lambda name: "data/" + name, st.text("abé é.-_", min_size=1, max_size=10)),
    st.builds(
        "".join, st.lists(st.sampled_from([*"abé:*~./ \\\x00\t", "./", "..", "%25", "%0A", "a:"]), max_size=4)
    ),
)
PATHS = st.one_of(
    PLAIN_PATHS,
    st.builds(
        "".join,
        st.lists(
            st.sampled_from(
                [*"ab./ *~:%0ADCd25\\\x00\t\x0bé\u2028", "%0A", "%0D", "%25", "..", "./", "data/"]
            ),
            max_size=8,
        ),
    ),
)
SEPARATORS = st.sampled_from([" ", "  ", "  ", "   ", "\t", " \t", "\t ", ""])


@st.composite
def manifests(draw: st.DrawFn) -> tuple[bytes, str]:
    algorithm = draw(st.sampled_from(ALGORITHMS))
    length = parse.DIGEST_LENGTHS.get(algorithm, 40)
    separator = draw(SEPARATORS)  # mostly one per manifest, as tools write them
    plain = st.builds(lambda d, p: d + separator + p, digests(length), PLAIN_PATHS)
    odd = st.builds(lambda d, s, p: d + s + p, digests(length), SEPARATORS, PATHS)
    lines = draw(st.lists(st.one_of(plain, plain, plain, odd, st.sampled_from(["", " ", "\t"])), max_size=8))
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    chunks = [text.encode() for text in lines]
    if chunks and draw(st.booleans()):  # bytes that are not UTF-8 somewhere in a line
        index = draw(st.integers(0, len(chunks) - 1))
        cut = draw(st.integers(0, len(chunks[index])))
        chunks[index] = (
            chunks[index][:cut]
            + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80"]))
            + (chunks[index][cut:])
        )
    data = ending.encode().join(chunks) + (ending.encode() if draw(st.booleans()) else b"")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    return data, algorithm


@settings(max_examples=400, deadline=None)
@given(manifests())
def test_bulk_and_careful_read_the_same_from_bytes(manifest: tuple[bytes, str]) -> None:
    data, algorithm = manifest
    assert bulk(data, algorithm) == careful(data, algorithm)


@settings(max_examples=200, deadline=None)
@given(manifests(), st.integers(1, 80))
def test_bulk_and_careful_read_the_same_from_a_stream_in_any_chunks(
    manifest: tuple[bytes, str], chunk: int
) -> None:
    data, algorithm = manifest
    with mock.patch.object(parse, "CHUNK", chunk), mock.patch.object(parse, "BLOCK", 1 + chunk % 5):
        assert bulk(io.BytesIO(data), algorithm) == careful(io.BytesIO(data), algorithm)
        assert bulk(io.BytesIO(data), algorithm) == bulk(data, algorithm)


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(["md5", "sha256"]),
    st.sampled_from([" ", "  ", "   "]),
    st.lists(st.tuples(st.integers(0, 2**128 - 1), PLAIN_PATHS), min_size=1, max_size=4),
)
def test_bulk_and_careful_read_the_same_from_nearly_plain_lines(
    algorithm: str, separator: str, lines: list[tuple[int, str]]
) -> None:
    # Lines that the bulk path reads whole unless one of their paths needs care.
    length = parse.DIGEST_LENGTHS[algorithm]
    data = "".join(
        f"{digest:0{length}x}"[-length:] + separator + path + "\n" for digest, path in lines
    ).encode()
    assert bulk(data, algorithm) == careful(data, algorithm)


def test_a_block_of_plain_lines_is_read_whole() -> None:
    # The property above holds trivially if every block went line by line; this is the case it is for.
    lines = [f"{index:064x}  data/f {index}.bin" for index in range(3)] + ["A" * 64 + " data/x"]
    assert parse._plain_lines(lines[:3], 64) is not None
    assert parse._plain_lines(lines, 64) is None  # separators differ: line by line
    assert bulk("\n".join(lines).encode(), "sha256")[0][3] == (4, "data/x", "A" * 64, bytes.fromhex("A" * 64))
