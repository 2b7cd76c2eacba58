"""Format identification on real files generated here, by content, offline."""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import os
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from preservation import formats
from preservation.errors import BagError
from preservation.formats import OCTET_STREAM, identify_format, identify_known, rendition_format
from preservation.package.model import FileFormat
from preservation.workers import process_pool
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


def _identifying_processes() -> list[Path]:
    """/proc of the identifying processes this process started (Linux)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            ppid = int(stat.read_text().rpartition(")")[2].split()[1])
            if ppid == os.getpid() and b"serve_identification" in (stat.parent / "cmdline").read_bytes():
                found.append(stat.parent)
    return found


def _identifying_process() -> Path:
    (process,) = _identifying_processes()
    return process


def _environ(process: Path) -> dict[str, str]:
    pairs = (entry.partition(b"=") for entry in (process / "environ").read_bytes().split(b"\0") if entry)
    return {name.decode(): value.decode() for name, _, value in pairs}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_identifying_process_starts_with_a_go_memory_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    # Go reads GOMEMLIMIT only from the environment a process starts with: it must be there at the start.
    monkeypatch.delenv("GOMEMLIMIT", raising=False)
    with formats.identifying_processes(2):
        assert _environ(_identifying_process())["GOMEMLIMIT"] == formats.GO_MEMORY_LIMIT
    monkeypatch.setenv("GOMEMLIMIT", "1GiB")  # the user's own limit is kept
    with formats.identifying_processes(2):
        assert _environ(_identifying_process())["GOMEMLIMIT"] == "1GiB"


def _identified_in_worker(path: Path) -> tuple[FileFormat | str, bool]:
    """What a worker asking the identifying process gets for `path`, and whether it loaded Go itself."""
    try:
        found: FileFormat | str = identify_known(path, path.stat().st_size if path.exists() else 0, {})
    except BagError as error:
        found = str(error)
    return found, formats.go_loaded()


def test_workers_asking_one_identifying_process_get_its_answers_without_loading_go(tmp_path: Path) -> None:
    paths = [
        write(tmp_path, "bild.png", png_bytes(srgb_chunk())),
        write(tmp_path, "mitteilung.txt", "Grüße aus Kaiserslautern\n".encode()),
        write(tmp_path, "flyer.pdf", PDF),
        tmp_path / "fehlt.png",
    ]
    with formats.identifying_processes(2) as addresses:
        pool = process_pool(2, initializer=formats.ask_identifier, initargs=(addresses,))
        with pool:
            answers = list(pool.map(_identified_in_worker, paths))
    with pytest.raises(BagError) as missing:
        identify_format(paths[3])
    assert [found for found, _ in answers] == [*map(identify_format, paths[:3]), str(missing.value)]
    assert not any(go for _, go in answers)


def test_a_file_is_not_identified_when_the_identifying_process_is_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asking, answering = multiprocessing.Pipe()
    answering.close()
    monkeypatch.setattr(formats, "_identifiers", [asking])
    with pytest.raises(BagError) as gone:
        identify_known(write(tmp_path, "bild.png", png_bytes()), 1, {})
    assert gone.value.code == "release.identification-stopped"
    assert "bild.png" in str(gone.value)


def test_a_file_siegfried_fails_on_fails_alone_and_the_identifying_process_answers_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(path: str) -> FileFormat:  # the workers send the path as text
        if Path(path).name == "kaputt.png":
            raise RuntimeError("siegfried: unexpected EOF")
        return rendition_format()

    monkeypatch.setattr(formats, "identify_format", failing)
    asking, answering = multiprocessing.Pipe()
    server = threading.Thread(target=formats._answer, args=(answering,))
    server.start()
    monkeypatch.setattr(formats, "_identifiers", [asking])
    with pytest.raises(BagError, match="kaputt.png: cannot identify the format: siegfried: unexpected EOF"):
        formats._identify(tmp_path / "kaputt.png")
    assert formats._identify(tmp_path / "heil.txt") == rendition_format()
    asking.close()
    server.join()


def _identifiers_asked(path: Path) -> tuple[str, ...]:
    """Which identifying processes this worker asked (their sockets' names) for two identifications."""
    identify_known(path, path.stat().st_size, {})
    identify_known(path, path.stat().st_size, {"sha256": "another file's"})
    return tuple(
        os.path.basename(socket.socket(fileno=os.dup(c.fileno())).getpeername()) for c in formats._identifiers
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_four_workers_ask_two_identifying_processes_so_identification_keeps_pace(tmp_path: Path) -> None:
    photo = write(tmp_path, "bild.png", png_bytes(srgb_chunk()))
    with formats.identifying_processes(4) as addresses:
        assert len(addresses) == len(_identifying_processes()) == 2
        pool = process_pool(4, initializer=formats.ask_identifier, initargs=(addresses,))
        with pool:
            asked = set(pool.map(_identifiers_asked, [photo] * 16, chunksize=1))
    assert asked == {("socket-0", "socket-1")}  # every worker asks both
    assert not _identifying_processes()  # ended with the block


def test_a_temporary_folder_too_long_for_a_socket_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deep = tmp_path / ("x" * 120)
    deep.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    too_long = pytest.raises(BagError, match="cannot make the identification's socket")
    with too_long, formats.identifying_processes(2):
        pass
    assert not list(deep.iterdir())  # its folder is gone again
