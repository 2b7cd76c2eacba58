"""Format identification on real files generated here, by content, offline."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from pathlib import Path

import pytest

from preservation import formats
from preservation.errors import BagError
from preservation.formats import OCTET_STREAM, identify_format, identify_known, rendition_format
from preservation.package.model import FileFormat
from tests.metadata.helpers import HTML, itxt_chunk, png_bytes, srgb_chunk

# A one-page PDF 1.4 written by hand; siegfried keys on the header and the %%EOF trailer.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("chunks", "puid", "version"),
    [
        # Only the critical chunks: nothing later versions introduced, so PNG 1.0's signature is the match.
        ((), "fmt/11", "1.0"),
        # sRGB arrived with PNG 1.1, iTXt with PNG 1.2: PRONOM's signatures look for exactly those chunks.
        ((srgb_chunk(),), "fmt/12", "1.1"),
        ((itxt_chunk(),), "fmt/13", "1.2"),
    ],
)
def test_png_versions_by_chunks(tmp_path: Path, chunks: tuple[bytes, ...], puid: str, version: str) -> None:
    found = identify_format(write(tmp_path, "bild.png", png_bytes(*chunks)))
    assert (found.puid, found.version, found.mime) == (puid, version, "image/png")
    assert found.name == "Portable Network Graphics"
    assert "byte match" in (found.basis or "")
    assert found.tool.startswith("siegfried ") and "DROID_SignatureFile_V" in found.tool


def test_png_named_jpg_is_png(tmp_path: Path) -> None:
    found = identify_format(write(tmp_path, "foto.jpg", png_bytes()))
    assert (found.puid, found.mime) == ("fmt/11", "image/png")
    assert "extension mismatch" in (found.basis or "")


def test_pdf(tmp_path: Path) -> None:
    found = identify_format(write(tmp_path, "flyer.pdf", PDF))
    # fmt/18 is PRONOM's "Acrobat PDF 1.4": the version comes from the %PDF-1.4 header.
    assert (found.puid, found.version, found.mime) == ("fmt/18", "1.4", "application/pdf")


def test_utf8_text_gets_charset(tmp_path: Path) -> None:
    found = identify_format(write(tmp_path, "mitteilung.txt", "Grüße aus Kaiserslautern\n".encode()))
    assert (found.puid, found.mime) == ("x-fmt/111", "text/plain; charset=utf-8")


def test_latin_text_has_no_guessed_charset(tmp_path: Path) -> None:
    found = identify_format(write(tmp_path, "alt.txt", "Grüße aus Kaiserslautern\n".encode("cp1252")))
    assert (found.puid, found.mime) == ("x-fmt/111", "text/plain")


SAMPLES = Path(__file__).resolve().parents[2] / "samples"
# (sample, charset) by hand from samples/README.md: which encoding each sample was written in.
SAMPLE_CHARSETS = [
    ("2018-11-28-weihnachtsmarkt.txt", "utf-8"),
    ("2016-08-30-schulbeginn-crlf.txt", "utf-8"),
    ("2021-01-18-impfzentrum-bom.txt", "utf-8"),
    # Windows-1252, and UTF-8 mixed with it: no charset names them, so none is declared.
    ("2017-05-22-gruenflaechen-cp1252.txt", None),
    ("2024-07-01-gemischte-kodierung.txt", None),
]


@pytest.mark.parametrize(("sample", "charset"), SAMPLE_CHARSETS)
def test_sample_charset_is_right_or_absent(sample: str, charset: str | None) -> None:
    found = identify_format(SAMPLES / sample)
    assert found.mime == ("text/plain" if charset is None else f"text/plain; charset={charset}")


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.glob("*.txt")))
def test_every_sample_decodes_with_its_declared_charset(sample: str) -> None:
    found = identify_format(SAMPLES / sample)
    media, _, charset = found.mime.partition("; charset=")
    assert media == "text/plain"
    if charset:
        (SAMPLES / sample).read_bytes().decode(charset)


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (b"Gruesse aus Kaiserslautern\n", "text/plain; charset=us-ascii"),
        ("Grüße aus Kaiserslautern\n".encode("utf-16"), "text/plain; charset=utf-16"),
        ("Grüße aus Kaiserslautern\n".encode("latin-1"), "text/plain"),
    ],
)
def test_charset_from_the_bytes(tmp_path: Path, data: bytes, mime: str) -> None:
    assert identify_format(write(tmp_path, "text.txt", data)).mime == mime


def test_html_by_content_even_named_txt(tmp_path: Path) -> None:
    for name in ("04161.html", "04161.txt"):
        found = identify_format(write(tmp_path, name, HTML.encode()))
        # fmt/471 is HTML 5, recognised by its <!DOCTYPE html>.
        assert (found.puid, found.version, found.mime) == ("fmt/471", "5", "text/html")


def test_unknown_bytes(tmp_path: Path) -> None:
    found = identify_format(write(tmp_path, "rauschen.jpg", b"\x00\x01garbage\xfe\xff" * 8))
    assert found.puid is None and found.mime == OCTET_STREAM
    assert found.basis and found.basis.startswith("no match")


def test_missing_file_is_a_bag_error(tmp_path: Path) -> None:
    with pytest.raises(BagError, match="cannot identify"):
        identify_format(tmp_path / "fehlt.png")


def test_rendition_format_is_fixed() -> None:
    found = rendition_format()
    assert (found.puid, found.mime) == ("x-fmt/111", "text/plain; charset=utf-8")
    assert found.tool.startswith("preservation ")


def test_identification_speed(tmp_path: Path) -> None:
    paths = [write(tmp_path, f"b{i}.png", png_bytes()) for i in range(50)]
    identify_format(paths[0])  # the first call loads the signature file
    start = time.perf_counter()
    for path in paths:
        identify_format(path)
    per_file = (time.perf_counter() - start) / len(paths)
    print(f"\nformat identification: {per_file * 1000:.2f} ms per file")
    assert per_file < 0.05


def test_identify_known_scans_each_name_and_content_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(formats, "_known", {})
    scanned: list[Path] = []

    def counting(path: Path) -> FileFormat:
        scanned.append(path)
        return identify_format(path)

    monkeypatch.setattr(formats, "identify_format", counting)
    data = png_bytes(srgb_chunk())
    digests = {"sha256": hashlib.sha256(data).hexdigest()}
    for n in range(3):
        (tmp_path / str(n)).mkdir()
    same = [write(tmp_path / str(n), "logo.png", data) for n in range(3)]
    other_name = write(tmp_path, "logo.jpg", data)
    found = [identify_known(path, len(data), digests) for path in [*same, other_name]]
    assert scanned == [same[0], other_name]
    assert found[:3] == [identify_format(same[2])] * 3
    # The name is part of the answer: the basis reports the extension mismatch.
    assert found[3] == identify_format(other_name) != found[0]


def _started_with() -> str:
    command = [sys.executable, "-c", "import os; print(os.environ.get('GOMEMLIMIT'))"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


def test_identifying_workers_start_with_a_go_memory_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    # Go reads GOMEMLIMIT only from the environment a process starts with: it must be there at the start.
    monkeypatch.delenv("GOMEMLIMIT", raising=False)
    with formats.identifying_workers():
        assert _started_with() == formats.GO_MEMORY_LIMIT
    assert _started_with() == "None"
    monkeypatch.setenv("GOMEMLIMIT", "1GiB")  # the user's own limit is kept
    with formats.identifying_workers():
        assert _started_with() == "1GiB"
    assert _started_with() == "1GiB"
