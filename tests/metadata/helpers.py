"""Real test files (PNG written with zlib+struct, HTML) and the records the metadata builders take."""

from __future__ import annotations

import hashlib
import struct
import zlib
from datetime import UTC, date, datetime
from pathlib import Path

from preservation.formats import identify_format, rendition_format
from preservation.package.model import PayloadFile, Role
from preservation.release.model import Release

CREATED = datetime(2024, 3, 5, 9, 30, tzinfo=UTC)
MTIME = datetime(2023, 11, 2, 14, 0, 5, tzinfo=UTC)

HTML = """<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>Neue Radwege in der Innenstadt</title></head>
<body><h1>Neue Radwege in der Innenstadt</h1><p>Die Stadt Kaiserslautern baut neue Radwege.</p></body></html>
"""


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(*extra_chunks: bytes) -> bytes:
    """A valid 1×1 RGB PNG with only the critical chunks plus ``extra_chunks`` after IHDR."""
    header = _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    pixels = _chunk(b"IDAT", zlib.compress(b"\x00\xff\x80\x00"))
    return b"\x89PNG\r\n\x1a\n" + header + b"".join(extra_chunks) + pixels + _chunk(b"IEND", b"")


def srgb_chunk() -> bytes:
    return _chunk(b"sRGB", b"\x00")


def itxt_chunk() -> bytes:
    return _chunk(b"iTXt", b"Title\x00\x00\x00de\x00Titel\x00Radweg")


def make_release(tmp_path: Path, author: str | None = "Pressestelle") -> Release:
    return Release(
        source=tmp_path / "04161.html",
        identifier="04161",
        title="Neue Radwege in der Innenstadt",
        issued=date(2023, 11, 2),
        author=author,
        place="Kaiserslautern",
        number="04161",
        notice_in_source=True,
        body="Die Stadt Kaiserslautern baut neue Radwege.",
        source_format="html",
        encoding="utf-8",
    )


def payload_file(
    path: Path, bag_path: str, role: Role, original: str, derived_from: str | None = None
) -> PayloadFile:
    data = path.read_bytes()
    return PayloadFile(
        path=bag_path,
        role=role,
        original_name=original,
        size=len(data),
        digests={"sha256": hashlib.sha256(data).hexdigest(), "sha512": hashlib.sha512(data).hexdigest()},
        format=rendition_format() if role == "rendition" else identify_format(path),
        created=MTIME,
        derived_from=derived_from,
    )
