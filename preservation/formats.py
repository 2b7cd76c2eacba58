"""Format identification by content, offline: Siegfried with its bundled PRONOM signatures (via pygfried)."""

from __future__ import annotations

import codecs
import contextlib
import itertools
import os
import shutil
import socket
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from preservation import SOFTWARE_NAME, __version__
from preservation.errors import BagError, PreservationError
from preservation.package.model import FileFormat
from preservation.validate.findings import finding

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

OCTET_STREAM = "application/octet-stream"
PLAIN_TEXT_PUID = "x-fmt/111"

# Siegfried's text matcher names the encoding it saw, but its names are not charsets ("Non-ISO
# extended-ASCII" is Windows-1252 or another 8-bit code page, not ASCII): a charset is declared only when the
# bytes decode with it, and 8-bit text stays bare (Latin-1 or windows-1252?): a wrong charset is worse than
# none. Text that is ASCII throughout is us-ascii, not utf-8.
_CHARSETS = (("us-ascii", "ascii"), ("utf-8", "utf-8"))
_DECODE_CHUNK = 1 << 20


GO_MEMORY_LIMIT = "100MiB"
"""Go's soft memory limit (GOMEMLIMIT) for the process that identifies formats for a build's workers.
Siegfried's signatures keep ~70 MiB of Go heap alive, and with Go's default (collect at twice the live
heap) the process grows to ~165 MiB; at this limit it stays at ~125 MiB, as fast. It is soft: a file that
needs more memory only means more collecting."""


WORKERS_PER_IDENTIFIER = 2
"""Identification is about half of a release's CPU, so one identifying process keeps pace with two
workers (benchmarks/README.md); more workers get more identifying processes, or they would wait for one."""


@contextmanager
def identifying_processes(workers: int) -> Iterator[tuple[str, ...]]:
    """Processes that identify formats for a pool of `workers` (`ask_identifier`), one per
    `WORKERS_PER_IDENTIFIER`; yields their addresses.

    Siegfried's signatures are ~70 MiB of Go heap in every process that loads them, and no two processes
    can share it: workers that ask these processes keep one copy per two workers instead of one each, and
    stay free of Go's runtime (so they may be forked). Each starts with GO_MEMORY_LIMIT unless the
    environment names a limit of its own; workers connect over Unix sockets in a folder of this user's
    alone. BagError when the sockets cannot be made (e.g. a TMPDIR too long for a socket's address).
    """
    from preservation.workers import helper

    count = max(1, -(-workers // WORKERS_PER_IDENTIFIER))
    environ = {"GOMEMLIMIT": GO_MEMORY_LIMIT, **os.environ}
    with contextlib.ExitStack() as stack:
        try:
            folder = tempfile.mkdtemp(prefix="preservation-identify-")
        except OSError as exc:
            raise BagError(
                Path(tempfile.gettempdir()), f"cannot make the identification's folder: {exc}"
            ) from None
        stack.callback(shutil.rmtree, folder, ignore_errors=True)
        addresses = tuple(os.path.join(folder, f"socket-{n}") for n in range(count))
        for address in addresses:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
                try:
                    listener.bind(address)
                except OSError as exc:
                    raise BagError(Path(folder), f"cannot make the identification's socket: {exc}") from None
                listener.listen()  # workers may connect before the process accepts: the backlog holds them
                process = helper(f"{__name__}:serve_identification", listener.fileno(), environ)
            stack.callback(process.wait)
            stack.callback(process.kill)
        yield addresses


def serve_identification(listening: int, owner: int) -> None:
    """The identifying process: `identify_format` for every path a connection sends, until `owner` ends."""
    from multiprocessing.connection import Connection

    from preservation.workers import tie_to_owner

    tie_to_owner(owner)
    with socket.socket(fileno=listening) as listener:
        while True:
            accepted, _ = listener.accept()
            connection = Connection(accepted.detach())
            threading.Thread(target=_answer, args=(connection,), daemon=True).start()


def _answer(connection: Connection) -> None:
    """Answer one worker: its paths' formats, or the (source, message, code) of the error instead."""
    with connection:
        while True:
            try:
                path = connection.recv()
            except EOFError:  # the worker is done
                return
            answer: FileFormat | tuple[str | None, str, str | None]
            try:
                answer = identify_format(path)
            except PreservationError as error:
                answer = (error.source, error.message, error.code)
            except Exception as error:  # pygfried's own (GoError): that file fails, the worker asks on
                answer = (path, f"cannot identify the format: {error}", None)
            connection.send(answer)


_identifiers: list[Connection] = []
"""In a worker that asks identifying processes: a connection to each, asked in turn."""
_asked = itertools.count()


def ask_identifier(addresses: tuple[str, ...]) -> None:
    """Have this process (a pool's worker) identify formats through the identifying processes at
    `addresses`, each file the next one's: every worker spreads its files over all of them alike, whatever
    the order the pool started the workers in."""
    from multiprocessing.connection import Client

    _identifiers[:] = [Client(address, "AF_UNIX") for address in addresses]


def _identify(path: Path) -> FileFormat:
    """`identify_format` here, or by an identifying process if this process asks them."""
    if not _identifiers:
        return identify_format(path)
    identifier = _identifiers[next(_asked) % len(_identifiers)]
    try:
        identifier.send(str(path))
        answer = identifier.recv()
    except (OSError, EOFError) as error:  # it was killed or failed: this release fails, not the build
        code = "release.identification-stopped"
        problem = finding(code, path=path, reason=repr(error))
        raise BagError(path, problem.message, code=code) from None
    if isinstance(answer, FileFormat):
        return answer
    source, message, code = answer
    raise BagError(source, message, code=code)


def go_loaded() -> bool:
    """Whether Go's runtime runs in this process: its threads do not survive a fork (a forked child that
    calls into it, or gets one of its signals, hangs), and Python's threading does not see them."""
    return "pygfried" in sys.modules


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
        found = _known[key] = _identify(path)
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
