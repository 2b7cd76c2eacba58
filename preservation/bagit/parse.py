"""Reading side of RFC 8493: bagit.txt, bag-info.txt, manifests and fetch.txt.

Pure functions on bytes or binary streams. Bad input never raises: every function returns the data it could
read plus a list of `Problem`s (a finding code and its parameters); the validator attaches file names.
Lines are split only at CR, LF and CRLF (RFC 8493 §2.1.1) — never at U+2028, VT or FS, which are legal in
file names — and each line is bounded, so a 40 MB single-line tag file costs no more than its cap.
"""

from __future__ import annotations

import codecs
import itertools
import operator
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import BinaryIO, NamedTuple

from preservation.bagit.paths import decode_path, unsafe_reason

MAX_LINE = 64 * 1024
"""Longest tag-file line we read (characters); longer manifest and fetch lines are reported and skipped,
longer bag-info values cut to it with a warning (RFC 8493 bounds neither)."""
TAG_FILE_LIMIT = 256 << 20
"""The one limit on a tag file this software parses (bagit.txt, bag-info.txt, manifests, fetch.txt, METS,
DC), for validate, fixity and export alike; a larger one is not read and the finding says it is our limit.
High enough for real bags: a manifest of 256 MiB lists about a million files, the METS of a large package
is tens of MB. Tag files that are only hashed stream and have no limit. `validate --tag-file-limit` sets
another per run."""
CHUNK = 64 * 1024
BLOCK = 4096
"""Lines a block of text already in memory holds: what a reader of whole blocks copies at once stays small."""

SUPPORTED_VERSIONS = frozenset({(0, 93), (0, 94), (0, 95), (0, 96), (0, 97), (1, 0)})
DIGEST_LENGTHS = {"md5": 32, "sha1": 40, "sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128}
_NOT_CHARSETS = frozenset(
    {
        "idna",
        "punycode",
        "raw-unicode-escape",
        "unicode-escape",
        "undefined",
        "utf-7",
        "charmap",
        "mbcs",
        "oem",
    }
)
"""Text codecs that are no IANA charset a tag file could be written in (or, as UTF-7 and the escape codecs,
decode to lone surrogates, which `_BAD` must alone stand for)."""
_BAD = "\udcff"
"""Stands in for undecodable bytes. No codec we read decodes valid bytes to a lone surrogate, so
`_BAD in text` tells whether text holds any: a str search, many times faster than a regex for the
surrogate range (benchmarks/README.md)."""


def _mark_undecodable(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)  # registered for decoding only
    return _BAD, error.end


codecs.register_error("preservation.mark", _mark_undecodable)
_BAGIT_LINE = re.compile(r"^(?P<label>[^:]*?)(?P<space>[ \t]*):(?P<value>.*)$")
_HEX_DIGITS = "0123456789abcdefABCDEF"
_MANIFEST_NAME = re.compile(r"^(tag)?manifest-([A-Za-z0-9]+)\.txt$")


class Problem(NamedTuple):
    """A finding code and its parameters, from a parser that knows no file names."""

    code: str
    params: tuple[tuple[str, str], ...] = ()
    line: int | None = None


def problem(code: str, line: int | None = None, **params: object) -> Problem:
    if line is not None:
        params = {"line": line, **params}
    return Problem(code, tuple((k, str(v)) for k, v in params.items()), line)


def ascii_int(text: str) -> int | None:
    """A count or size written in a bag or archive: ASCII digits only, else None. The one rule for every
    number read from a bag: `int()` and `str.isdigit` also take "²", "١٢", "+1", " 1" and "1_000", which
    other tools refuse or read otherwise."""
    return int(text) if text and text.isascii() and text.isdigit() else None


def payload_oxum(value: str) -> tuple[int, int] | None:
    """Payload-Oxum ``octets.files`` as (octets, files); None when it is not two ASCII numbers."""
    octets, dot, files = value.strip().partition(".")
    numbers = ascii_int(octets), ascii_int(files)
    return (numbers[0], numbers[1]) if dot and numbers[0] is not None and numbers[1] is not None else None


def codec_for(declared: str) -> str | None:
    """The Python codec for a declared Tag-File-Character-Encoding (any IANA charset Python reads:
    UTF-8/16/32, ISO-8859-*, KOI8-R, Windows-125x, Shift_JIS, GB18030, EBCDIC code pages …), or None when
    we do not read it (unknown, or a codec such as base64 or rot13 that is no charset)."""
    try:
        info = codecs.lookup(declared.strip())
    except (LookupError, ValueError, UnicodeError):  # unknown; a NUL or a lone surrogate in the name
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_CHARSETS:
        return None
    return info.name


@lru_cache(maxsize=256)
def manifest_algorithm(name: str) -> tuple[bool, str] | None:
    """``manifest-sha256.txt`` → (False, "sha256"); ``tagmanifest-md5.txt`` → (True, "md5"); else None.

    Cached: a check asks it of the same few tag-file names dozens of times per bag."""
    match = _MANIFEST_NAME.match(name)
    return (bool(match.group(1)), match.group(2).lower()) if match else None


# --------------------------------------------------------------------------- lines


class LineReader:
    """Decode a binary stream and yield (line number, text, cut); an over-long line yields its first
    `max_line` characters with cut True, and the rest of it is never held in memory."""

    def __init__(
        self, stream: BinaryIO, encoding: str, max_line: int = MAX_LINE, problems: list[Problem] | None = None
    ) -> None:
        self.stream = stream
        self.encoding = encoding
        self.max_line = max_line
        self.problems: list[Problem] = [] if problems is None else problems

    def __iter__(self) -> Iterator[tuple[int, str, bool]]:
        for first, lines, cut in self.blocks():
            for number, text in enumerate(lines, first):
                yield number, text, cut

    def blocks(self) -> Iterator[tuple[int, list[str], bool]]:
        """The lines in blocks of consecutive lines: (number of the first, lines, cut); a cut line comes
        as a block of its own, so that a reader of whole blocks needs no test per line."""
        decoder = codecs.getincrementaldecoder(self.encoding)(errors="preservation.mark")
        buffer = ""
        head = ""
        """The first `max_line` characters of the over-long line being skipped."""
        number = 0
        skipping = False
        first = True
        while True:
            chunk = self.stream.read(CHUNK)
            text = decoder.decode(chunk, final=not chunk)
            if first and text:
                first = False
                if text.startswith("\ufeff"):  # the utf-8 codec keeps a BOM; utf-16 consumes its own
                    if self.encoding == "utf-8":
                        self.problems.append(problem("tagfile.bom"))
                    text = text[1:]
            buffer += text
            # A trailing CR may be the first half of a CRLF that the next chunk completes.
            hold = "\r" if chunk and buffer.endswith("\r") else ""
            complete = buffer[: len(buffer) - len(hold)]
            if "\r" in complete:  # str.replace and split run in C; re.split costs several times more
                complete = complete.replace("\r\n", "\n").replace("\r", "\n")
            pieces = complete.split("\n")
            buffer = pieces.pop() + hold
            # One search per chunk; only a chunk holding an undecodable byte or a long line goes line by
            # line (each line's problems come in its turn).
            if pieces and not skipping and _BAD not in complete and max(map(len, pieces)) <= self.max_line:
                yield number + 1, pieces, False
                number += len(pieces)
            else:
                for piece in pieces:
                    number += 1
                    if skipping:
                        skipping = False
                        yield number, [self._checked(number, head)], True
                    elif len(piece) > self.max_line:  # ended in the chunk that made it too long
                        yield number, [self._checked(number, piece[: self.max_line])], True
                    else:
                        yield number, [self._checked(number, piece)], False
            if len(buffer) > self.max_line:
                if not skipping:
                    head = buffer[: self.max_line]
                skipping = True
                buffer = ""
            if not chunk:
                break
        if skipping:
            number += 1
            yield number, [self._checked(number, head)], True
        elif buffer:
            number += 1
            yield number, [self._checked(number, buffer)], False

    def _checked(self, number: int, text: str) -> str:
        if _BAD in text:
            self.problems.append(problem("encoding.invalid", number, encoding=self.encoding))
        return text


def _lines(
    data: bytes | BinaryIO,
    encoding: str,
    problems: list[Problem],
    max_line: int = MAX_LINE,
    *,
    cut: bool = False,
) -> Iterator[tuple[int, str]]:
    """Each line; one longer than `max_line` is skipped as an error, or with `cut` (a bag-info value, which
    RFC 8493 does not bound) given as its first `max_line` characters with a warning."""
    for first, lines in _line_blocks(data, encoding, problems, max_line, cut=cut):
        yield from enumerate(lines, first)


def _line_blocks(
    data: bytes | BinaryIO,
    encoding: str,
    problems: list[Problem],
    max_line: int = MAX_LINE,
    *,
    cut: bool = False,
) -> Iterator[tuple[int, list[str]]]:
    """`_lines` in blocks of consecutive lines: (number of the first, lines)."""
    if isinstance(data, bytes):
        blocks = _blocks_in_memory(data, encoding, problems, max_line)
    else:
        blocks = LineReader(data, encoding, max_line, problems).blocks()
    for first, lines, long in blocks:
        if not long:
            yield first, lines
        elif cut:
            problems.append(problem("tagfile.line-cut", first, limit=max_line))
            yield first, lines
        else:
            problems.append(problem("tagfile.line-too-long", first, limit=max_line))


def _blocks_in_memory(
    data: bytes, encoding: str, problems: list[Problem], max_line: int
) -> Iterator[tuple[int, list[str], bool]]:
    """`LineReader.blocks` for bytes already in memory, decoded and split in C rather than per chunk.

    Same rules: CR, LF and CRLF only; a BOM reported for UTF-8; undecodable lines reported; over-long
    lines cut; a text holding either comes one line a block. Tag files are capped when read, so decoding
    them whole is bounded.
    """
    text = data.decode(encoding, errors="preservation.mark")
    if text.startswith("\ufeff"):  # the utf-8 codec keeps a BOM; utf-16 consumes its own
        if encoding == "utf-8":
            problems.append(problem("tagfile.bom"))
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    if _BAD not in text and (not lines or max(map(len, lines)) <= max_line):
        for start in range(0, len(lines), BLOCK):
            yield start + 1, lines[start : start + BLOCK], False
        return
    for number, line in enumerate(lines, 1):  # each line's problems in its turn
        long = len(line) > max_line
        if long:
            line = line[:max_line]
        if _BAD in line:
            problems.append(problem("encoding.invalid", number, encoding=encoding))
        yield number, [line], long


# --------------------------------------------------------------------------- bagit.txt


class Declaration(NamedTuple):
    """What bagit.txt declares. `encoding` is a Python codec name, None when unusable."""

    version: tuple[int, int] | None
    version_text: str | None
    encoding: str | None
    problems: tuple[Problem, ...]


def rules_1_0(declaration: Declaration | None) -> bool:
    """The one test of whether a bag is held to BagIt 1.0's rules (no bagit.txt, or no readable version:
    the strictest); an earlier version's laxness is at most a warning, for validate as for fixity."""
    version = declaration.version if declaration else None
    return version is None or version >= (1, 0)


def parse_bagit_txt(data: bytes) -> Declaration:
    problems: list[Problem] = []
    if data.startswith(codecs.BOM_UTF8):
        problems.append(problem("bagit.bom"))
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        problems.append(problem("bagit.malformed", reason="not UTF-8"))
        text = data.decode("utf-8", errors="replace")
    lines = re.split(r"\r\n|\r|\n", text)
    if lines and lines[-1] == "":
        lines.pop()
    fields: dict[str, tuple[str, bool]] = {}
    for number, line in enumerate(lines, 1):
        match = _BAGIT_LINE.match(line)
        if not match or not match.group("label"):
            problems.append(problem("bagit.malformed", number, reason="not a 'Label: value' line"))
            continue
        label = match.group("label")
        if label in fields:
            problems.append(problem("bagit.malformed", number, reason=f"'{label}' repeated"))
            continue
        fields[label] = (match.group("value"), bool(match.group("space")))
    expected = ["BagIt-Version", "Tag-File-Character-Encoding"]
    if set(fields) - set(expected):
        extra = ", ".join(sorted(set(fields) - set(expected)))
        problems.append(problem("bagit.malformed", reason=f"unexpected label(s): {extra}"))
    version_text, version = _version(fields.get("BagIt-Version"), problems)
    # Before 1.0 some tools wrote "Label : value" and the older drafts did not forbid it.
    if any(space for _, space in fields.values()) and (version is None or version >= (1, 0)):
        problems.append(problem("bagit.malformed", reason="space before the colon (BagIt 1.0)"))
    encoding = None
    declared = fields.get("Tag-File-Character-Encoding")
    if declared is None:
        problems.append(problem("bagit.malformed", reason="Tag-File-Character-Encoding is missing"))
    else:
        value = declared[0].strip()
        encoding = codec_for(value) if value else None
        if encoding is None:
            problems.append(problem("encoding.unsupported", encoding=value))
    if version == (1, 0) and list(fields)[:1] != expected[:1]:
        problems.append(problem("bagit.malformed", reason="BagIt-Version must be the first line"))
    return Declaration(version, version_text, encoding, tuple(problems))


def _version(
    entry: tuple[str, bool] | None, problems: list[Problem]
) -> tuple[str | None, tuple[int, int] | None]:
    if entry is None:
        problems.append(problem("bagit.malformed", reason="BagIt-Version is missing"))
        return None, None
    text = entry[0].strip()
    major, dot, minor = text.partition(".")
    numbers = ascii_int(major), ascii_int(minor)
    if not dot or numbers[0] is None or numbers[1] is None:
        problems.append(problem("bagit.malformed", reason=f"BagIt-Version '{text}' is not M.N"))
        return text, None
    version = (numbers[0], numbers[1])
    if version not in SUPPORTED_VERSIONS:
        problems.append(problem("bagit.version-unsupported", version=text))
    return text, version


# --------------------------------------------------------------------------- bag-info.txt


class TagValues(NamedTuple):
    """Labels in file order; repeated labels stay repeated (RFC 8493 §2.2.2: order may matter)."""

    fields: tuple[tuple[str, str], ...]
    problems: tuple[Problem, ...]

    def get_all(self, label: str) -> list[str]:
        lowered = label.lower()
        return [value for name, value in self.fields if name.lower() == lowered]

    def get(self, label: str) -> str | None:
        values = self.get_all(label)
        return values[0] if values else None


def parse_tag_values(data: bytes | BinaryIO, encoding: str, *, version_1_0: bool = True) -> TagValues:
    """bag-info.txt / package-info.txt: ``Label: value`` lines, continuation lines start with blank space.

    Blank space around a label is an error from BagIt 1.0 on (RFC 8493 §2.2.2); the drafts before did not
    forbid it and bagit-python wrote ``Label : value``, so before 1.0 it is a warning."""
    problems: list[Problem] = []
    fields: list[tuple[str, str]] = []  # tuples, kept as they are: a bag-info may hold a million lines
    for number, line in _lines(data, encoding, problems, cut=True):
        if not line.strip():
            continue
        if line[0] in " \t":
            if not fields:
                problems.append(problem("baginfo.malformed", number, reason="continuation without a label"))
            else:
                fields[-1] = (fields[-1][0], fields[-1][1] + " " + line.strip())
            continue
        label, colon, value = line.partition(":")
        if not colon or not label.strip():
            problems.append(problem("baginfo.malformed", number, reason="not a 'Label: value' line"))
            continue
        if label != label.strip():
            if version_1_0:
                problems.append(problem("baginfo.malformed", number, reason="blank space around the label"))
            else:
                problems.append(problem("baginfo.label-space", number, label=label.strip()))
        fields.append((label.strip(), value.strip()))
    return TagValues(tuple(fields), tuple(problems))


# --------------------------------------------------------------------------- manifests


class Manifest(NamedTuple):
    """A manifest or tag manifest as read."""

    algorithm: str
    entries: dict[str, str]
    """Decoded bag-relative path → lower-case hex digest, in file order."""
    problems: tuple[Problem, ...]


def parse_manifest(data: bytes | BinaryIO, algorithm: str, encoding: str, *, version_1_0: bool) -> Manifest:
    problems: list[Problem] = []
    entries: dict[str, str] = {}
    for number, path, digest in manifest_lines(data, algorithm, encoding, problems):
        if path in entries:
            same = entries[path] == digest
            code = "manifest.duplicate-legacy" if same and not version_1_0 else "manifest.duplicate"
            problems.append(problem(code, number, path=path))
            continue
        entries[path] = digest
    return Manifest(algorithm, entries, tuple(problems))


def manifest_lines(
    data: bytes | BinaryIO, algorithm: str, encoding: str, problems: list[Problem]
) -> Iterator[tuple[int, str, str]]:
    """Each well-formed, safe line as (line number, decoded path, lower-case hex digest), streamed.

    Bad lines are appended to `problems`; duplicates are left to the caller, who holds the entries.
    """
    for number, path, digest, value in _manifest_entries(data, algorithm, encoding, problems):
        yield number, path, value.hex() if value else digest.lower()


def manifest_digests(
    data: bytes | BinaryIO, algorithm: str, encoding: str, problems: list[Problem]
) -> Iterator[tuple[int, str, bytes]]:
    """`manifest_lines` with raw digests (b"" for an algorithm not in `DIGEST_LENGTHS`): half the memory
    of hex and compared as they are, for the validator that keeps one per listed file."""
    return map(_WITHOUT_TEXT, _manifest_entries(data, algorithm, encoding, problems))


_WITHOUT_TEXT = operator.itemgetter(0, 1, 3)
"""(number, path, raw digest) of an entry, in C: no generator frame per line."""


def _manifest_entries(
    data: bytes | BinaryIO, algorithm: str, encoding: str, problems: list[Problem]
) -> Iterator[tuple[int, str, str, bytes]]:
    """(line number, path, digest as written, raw digest or b"" when the algorithm is unknown).

    A block of lines is read whole, with a few operations in C, when every line in it is a plain
    ``digest  path`` line (`_plain_lines`); any other block line by line (`_careful_entries`), which gives
    the same for plain lines."""
    length = DIGEST_LENGTHS.get(algorithm)
    for first, lines in _line_blocks(data, encoding, problems):
        plain = _plain_lines(lines, length) if length else None
        if plain is None:
            yield from _careful_entries(first, lines, algorithm, length, problems)
        else:
            yield from zip(itertools.count(first), *plain)


_CAREFUL = ("%", "\\", "\x00", "/..")
"""A block holding any of these is read line by line: escapes, backslashes, NUL bytes and ".." segments
(one that is not first follows a slash; a path starting with "." is never plain)."""


def _plain_lines(lines: list[str], length: int) -> tuple[list[str], list[str], list[bytes]] | None:
    """The paths, digests as written and raw digests of `lines` when every line is a digest of `length`
    hex digits, one or two spaces (as many on every line) and a path that `_careful_entries` takes as it
    is; else None."""
    text = "\n".join(lines)
    if any(mark in text for mark in _CAREFUL):
        return None
    digests = [line[:length] for line in lines]
    try:
        raw = bytes.fromhex("".join(digests))
    except ValueError:
        return None
    size = length // 2
    if len(raw) != size * len(lines):  # a short line, or blank space in a digest (fromhex skips it)
        return None
    widths = {_separator(head) for head in {line[length : length + 4] for line in lines}}
    width = widths.pop() if len(widths) == 1 else None
    if width is None:
        return None
    paths = [line[length + width :] for line in lines]
    return paths, digests, [raw[start : start + size] for start in range(0, len(raw), size)]


def _separator(head: str) -> int | None:
    """How many spaces part digest and path, from the four characters after the digest; None unless one
    or two, followed by a path's first character that needs no care (no blank space, md5sum star, "./",
    "/", "~" or drive letter's colon)."""
    width = len(head) - len(head.lstrip(" "))
    if not 1 <= width <= 2 or width == len(head):
        return None
    start = head[width]
    if start.isspace() or start in "*./~" or head[width + 1 : width + 2] == ":":
        return None
    return width


def _careful_entries(
    first: int, lines: list[str], algorithm: str, expected_length: int | None, problems: list[Problem]
) -> Iterator[tuple[int, str, str, bytes]]:
    """`_manifest_entries` of a block line by line: blank lines, tabs, bad digests and paths that need
    decoding or checking."""
    for number, line in enumerate(lines, first):
        if not line.strip():
            continue
        # Split at the first run of blanks: str.partition is several times faster than re.split.
        digest, _, raw = line.partition(" ")
        if "\t" in digest:  # rare: a tab as the separator
            parts = re.split(r"[ \t]+", line, maxsplit=1)
            digest, raw = parts if len(parts) == 2 else (line, "")
        else:
            raw = raw.lstrip(" \t")
        if not raw:
            problems.append(problem("manifest.malformed", number, reason="not 'digest path'"))
            continue
        value = _digest_value(digest, expected_length)
        if value is None:
            problems.append(
                problem("manifest.malformed", number, reason=f"'{digest[:20]}' is no {algorithm}")
            )
            continue
        # The common line needs none of `_entry_path`'s work: no md5sum star, no %-encoding, no leading
        # "./", and none of the characters `unsafe_reason` looks for (its own fast path, done inline).
        if (
            raw[0] not in "*./\\~"
            and "%" not in raw
            and ".." not in raw
            and "\\" not in raw
            and "\x00" not in raw
            and raw[1:2] != ":"
        ):
            yield number, raw, digest, value
        elif (path := _entry_path(raw, number, problems)) is not None:
            yield number, path, digest, value


def _digest_value(digest: str, expected_length: int | None) -> bytes | None:
    """The raw digest; b"" for a hex digest of an unknown algorithm; None when not a valid digest."""
    if expected_length is None:
        return b"" if digest and not digest.strip(_HEX_DIGITS) else None
    if len(digest) != expected_length:
        return None
    try:
        value = bytes.fromhex(digest)  # validates in C, where str.strip(hex digits) costs a µs per line
    except ValueError:
        return None
    return value if len(value) * 2 == expected_length else None  # fromhex skips blank space


def _entry_path(raw: str, number: int, problems: list[Problem]) -> str | None:
    if raw.startswith("*"):  # md5sum's binary-mode marker
        problems.append(problem("manifest.md5sum-star", number))
        raw = raw[1:]
    path = decode_path(raw)
    if path.startswith("./"):
        problems.append(problem("path.leading-dot", number, path=path))
        while path.startswith("./"):
            path = path[2:]
    reason = unsafe_reason(path)
    if reason is not None:
        problems.append(problem("path.unsafe", number, path=path, reason=reason))
        return None
    return path


# --------------------------------------------------------------------------- fetch.txt


class FetchItem(NamedTuple):
    """One line of fetch.txt: where to get a payload file, its length if given, and its bag path."""

    url: str
    length: int | None
    path: str


class Fetch(NamedTuple):
    """fetch.txt as read."""

    items: tuple[FetchItem, ...]
    problems: tuple[Problem, ...]


def parse_fetch(data: bytes | BinaryIO, encoding: str) -> Fetch:
    """fetch.txt: ``url length path`` with length an integer or ``-`` (RFC 8493 §2.2.3)."""
    problems: list[Problem] = []
    items: list[FetchItem] = []
    for number, line in _lines(data, encoding, problems):
        if not line.strip():
            continue
        parts = re.split(r"[ \t]+", line, maxsplit=2)
        if len(parts) != 3:
            problems.append(problem("fetch.malformed", number, reason="not 'url length path'"))
            continue
        url, length, raw = parts
        if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$", url):
            problems.append(problem("fetch.malformed", number, reason=f"'{url[:60]}' is not a URL"))
            continue
        size = None if length == "-" else ascii_int(length)
        if length != "-" and size is None:
            problems.append(problem("fetch.malformed", number, reason=f"length '{length[:20]}'"))
            continue
        path = decode_path(raw)
        reason = unsafe_reason(path)
        if reason is not None:
            problems.append(problem("path.unsafe", number, path=path, reason=reason))
            continue
        if not path.startswith("data/"):
            problems.append(problem("fetch.malformed", number, reason=f"'{path}' is not in data/"))
            continue
        items.append(FetchItem(url, size, path))
    return Fetch(tuple(items), tuple(problems))
