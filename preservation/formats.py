"""Format identification by content, offline: Siegfried with its bundled PRONOM signatures (via pygfried)."""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from preservation import SOFTWARE_NAME, __version__
from preservation.errors import BagError
from preservation.package.model import FileFormat

OCTET_STREAM = "application/octet-stream"
PLAIN_TEXT_PUID = "x-fmt/111"

# Siegfried's text matcher names the encoding it saw, but its names are not charsets ("Non-ISO
# extended-ASCII" is Windows-1252 or another 8-bit code page, not ASCII): a charset is declared only when the
# bytes decode with it, and 8-bit text stays bare (Latin-1 or windows-1252?): a wrong charset is worse than
# none. Text that is ASCII throughout is us-ascii, not utf-8.
_CHARSETS = (("us-ascii", "ascii"), ("utf-8", "utf-8"))
_DECODE_CHUNK = 1 << 20


GO_MEMORY_LIMIT = "100MiB"
"""Go's soft memory limit (GOMEMLIMIT) for the workers that identify formats. Siegfried's signatures keep
~70 MiB of Go heap alive, and with Go's default (collect at twice the live heap) each worker of a
2,000-release build grew to ~165 MiB; at this limit they stay at ~127 MiB, as fast. It is soft: a file
that needs more memory only means more collecting."""


@contextmanager
def identifying_workers() -> Iterator[None]:
    """Processes started inside get GO_MEMORY_LIMIT, unless the environment names a limit of its own.

    Go reads the environment the process was started with, never later changes (os.environ set just
    before loading pygfried does nothing), so the limit is set around starting the workers (and the
    forkserver they come from), not where pygfried is loaded.
    """
    if "GOMEMLIMIT" in os.environ:
        yield
        return
    os.environ["GOMEMLIMIT"] = GO_MEMORY_LIMIT
    try:
        yield
    finally:
        os.environ.pop("GOMEMLIMIT", None)


def _pygfried() -> ModuleType:
    """pygfried, imported on first use: loading it starts the Go runtime, whose threads do not survive a
    fork (a forked child hangs in its first call), and the build's forkserver preloads this module."""
    import pygfried

    return pygfried


@cache
def _siegfried_tool(identifiers: str) -> str:
    """Name, version and signature files, e.g. ``siegfried 1.11.9 (DROID_SignatureFile_V125.xml; …)``."""
    name = f"siegfried {_pygfried().version()}"
    return f"{name} ({identifiers})" if identifiers else name


def identify_format(path: Path | str) -> FileFormat:
    """Identify a file by its bytes (a PNG named ``.jpg`` is a PNG); UNKNOWN gives octet-stream and no PUID.

    Siegfried falls back to the extension only for formats without a byte signature (JSON, CSV, …); such a
    match is kept, and its warning is recorded in ``basis`` so the PREMIS event says how weak it is.
    """
    result: dict[str, Any] = dict(_pygfried().identify(str(path), detailed=True))
    identifiers = "; ".join(i.get("details", "") for i in result.get("identifiers", ()))
    tool = _siegfried_tool(identifiers)
    entry = result["files"][0]
    matches = entry.get("matches") or []
    if not matches:
        raise BagError(path, f"cannot identify the format: {entry.get('errors') or 'no result'}")
    match = matches[0]
    basis = "; ".join(part for part in (match.get("basis"), match.get("warning")) if part) or None
    puid = match.get("id") or "UNKNOWN"
    if puid == "UNKNOWN":
        return FileFormat(mime=OCTET_STREAM, basis=basis or "no match", tool=tool)
    # PRONOM lists some formats with several MIME types ("a, b") and some with none.
    mime = (match.get("mime") or "").split(",")[0].strip()
    if not mime:
        mime = "text/plain" if "text match" in (basis or "") else OCTET_STREAM
    if mime == "text/plain":
        mime = _with_charset(mime, match.get("basis") or "", Path(path))
    return FileFormat(
        mime=mime,
        puid=puid,
        name=match.get("format") or None,
        version=match.get("version") or None,
        basis=basis,
        tool=tool,
    )


_KNOWN_LIMIT = 4096
_known: dict[tuple[str, int, tuple[tuple[str, str], ...]], FileFormat] = {}


def identify_known(path: Path, size: int, digests: Mapping[str, str]) -> FileFormat:
    """`identify_format`, once per content and name in this process (e.g. the same logo in many releases).

    Siegfried's answer depends on the bytes and, through its extension matcher and the basis it reports,
    on the file name; nothing else of ours enters it. So a file with the same name, size and digests as one
    identified before gets that answer without being scanned again (Siegfried's scan is most of a build's
    time, benchmarks/README.md).
    """
    key = (path.name, size, tuple(sorted(digests.items())))
    found = _known.get(key)
    if found is None:
        if len(_known) >= _KNOWN_LIMIT:
            _known.clear()  # bounded memory on long runs of unique files, which never hit anyway
        found = _known[key] = identify_format(path)
    return found


def _with_charset(mime: str, basis: str, path: Path) -> str:
    """`mime` with the charset the file's bytes are valid in, if any. UTF-16 only when Siegfried saw it and
    the file begins with a byte order mark: RFC 2781's "UTF-16" without one means big-endian."""
    if "UTF-16" in basis.partition("text match ")[2]:
        return f"{mime}; charset=utf-16" if _has_utf16_bom(path) and _decodes(path, "utf-16") else mime
    for charset, codec in _CHARSETS:
        if _decodes(path, codec):
            return f"{mime}; charset={charset}"
    return mime


def _has_utf16_bom(path: Path) -> bool:
    try:
        with path.open("rb") as file:
            return file.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    except OSError:
        return False


def _decodes(path: Path, codec: str) -> bool:
    """Whether the whole file is valid in `codec`, read in chunks (a text attachment may be large)."""
    decoder = codecs.getincrementaldecoder(codec)()
    try:
        with path.open("rb") as file:
            while chunk := file.read(_DECODE_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except (OSError, UnicodeDecodeError):
        return False
    return True


def rendition_format() -> FileFormat:
    """The format of the plain-text renditions this tool writes: known by construction, so not guessed."""
    return FileFormat(
        mime="text/plain; charset=utf-8",
        puid=PLAIN_TEXT_PUID,
        name="Plain Text File",
        basis="written by this software as UTF-8 plain text",
        tool=f"{SOFTWARE_NAME} {__version__}",
    )
