"""The bag writer; LoC bagit-python is the independent oracle for every bag it can read."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

import bagit
import pytest

from preservation import durable
from preservation.bagit import writer
from preservation.bagit.paths import decode_path
from preservation.bagit.writer import (
    BagResult,
    PayloadBytes,
    PayloadItem,
    SourceFile,
    discard,
    publish,
    publish_one,
    stage_bag,
)
from preservation.errors import BagError

ALGORITHMS = ("sha256", "sha512")
EPOCH = 1_700_000_000
BAG_INFO: list[tuple[str, str | None]] = [
    ("Source-Organization", "Stadtverwaltung Kaiserslautern"),
    ("External-Description", "Neuer Stadtpark\neröffnet"),
    ("Payload-Oxum", None),
    ("Bag-Size", None),
    ("Language", "de"),
]


def tag_files(records: tuple[writer.PayloadRecord, ...], _staged: Path) -> dict[str, bytes]:
    listing = "".join(f"{r.path} {r.size} {r.digests['sha256']}\n" for r in records)
    return {"metadata/mets.xml": listing.encode(), "archival-notice.txt": b"Achtung!\n"}


def write(
    target: Path,
    payload: list[PayloadItem],
    *,
    tags: writer.TagFiles | None = tag_files,
    mtime: int | None = EPOCH,
) -> BagResult:
    target.parent.mkdir(parents=True, exist_ok=True)
    return publish_one(
        stage_bag(
            target,
            payload,
            BAG_INFO,
            manifest_algorithms=ALGORITHMS,
            tagmanifest_algorithms=ALGORITHMS,
            tag_files=tags,
            mtime=mtime,
        )
    )


def stage(target: Path, payload: list[PayloadItem]) -> writer.StagedBag:
    return stage_bag(
        target, payload, BAG_INFO, manifest_algorithms=ALGORITHMS, tagmanifest_algorithms=ALGORITHMS
    )


def release(root: Path, files: dict[str, bytes]) -> list[PayloadItem]:
    items: list[PayloadItem] = []
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
        items.append(SourceFile(root / name, f"data/{name}"))
    return items


def snapshot(root: Path) -> dict[str, tuple[int, int, bytes | None]]:
    """Every entry under root: (mode, mtime in ns, bytes for files)."""
    entries = {}
    for path in sorted([root, *root.rglob("*")]):
        info = path.lstat()
        data = path.read_bytes() if path.is_file() else None
        entries[path.relative_to(root).as_posix()] = (info.st_mode, info.st_mtime_ns, data)
    return entries


def rfc_manifest(bag: Path, name: str) -> dict[str, str]:
    """A manifest read the RFC 8493 way: the digest, two spaces, the encoded path (§2.1.3)."""
    lines = (bag / name).read_text(encoding="utf-8").split("\n")
    assert lines.pop() == ""
    return {decode_path(path): digest for digest, path in (line.split("  ", 1) for line in lines)}


def check_rfc(bag: Path) -> None:
    """What bagit-python would check, for bags whose names it cannot read: completeness and fixity."""
    on_disk = {p.relative_to(bag).as_posix() for p in (bag / "data").rglob("*") if p.is_file()}
    for algorithm in ALGORITHMS:
        manifest = rfc_manifest(bag, f"manifest-{algorithm}.txt")
        assert set(manifest) == on_disk
        for path, digest in manifest.items():
            assert hashlib.new(algorithm, (bag / path).read_bytes()).hexdigest() == digest


def test_a_bag_passes_bagit_python(tmp_path: Path) -> None:
    photo = os.urandom(150_000)
    payload = [
        *release(tmp_path / "src", {"04161.txt": b"Pressemitteilung\n", "foto.jpg": photo}),
        PayloadBytes(b"plain text\n", "data/04161.html.txt"),
    ]
    result = write(tmp_path / "out" / "04161", payload)

    bag = tmp_path / "out" / "04161"
    bagit.Bag(str(bag)).validate()
    assert result.path == bag
    assert result.payload_oxum == f"{17 + 150_000 + 11}.3"
    # Bag-Size is the whole bag as written (RFC 8493 §2.2.2), tag files included.
    on_disk = sum(p.stat().st_size for p in bag.rglob("*") if p.is_file())
    assert on_disk > 152_000
    assert result.bag_size == f"{on_disk / 1000:.1f} KB"
    assert [r.path for r in result.payload] == ["data/04161.txt", "data/foto.jpg", "data/04161.html.txt"]
    assert result.payload[1].digests["sha512"] == hashlib.sha512(photo).hexdigest()
    assert result.payload[2].source is None
    assert (bag / "bag-info.txt").read_text(encoding="utf-8") == (
        "Source-Organization: Stadtverwaltung Kaiserslautern\n"
        "External-Description: Neuer Stadtpark\n  eröffnet\n"
        f"Payload-Oxum: {result.payload_oxum}\n"
        f"Bag-Size: {result.bag_size}\n"
        "Language: de\n"
    )
    assert result.bytes_written == sum(p.stat().st_size for p in bag.rglob("*") if p.is_file())
    assert list(tmp_path.joinpath("out").iterdir()) == [bag]


def test_tag_manifests_cover_every_tag_file_but_themselves(tmp_path: Path) -> None:
    result = write(tmp_path / "out" / "r1", release(tmp_path / "src", {"a.txt": b"a"}))
    bag = result.path
    expected = {
        "bagit.txt",
        "bag-info.txt",
        "manifest-sha256.txt",
        "manifest-sha512.txt",
        "metadata/mets.xml",
        "archival-notice.txt",
    }
    for algorithm in ALGORITHMS:
        assert set(rfc_manifest(bag, f"tagmanifest-{algorithm}.txt")) == expected


def test_tricky_names_pass_bagit_python_and_are_stored_nfc(tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", "Bürgermeisterin Öffnung.jpg")
    names = {nfd: b"umlaut", "Rede am  Rathaus.txt": b"spaces", "zwei\nZeilen.txt": b"newline", "-x": b"dash"}
    result = write(tmp_path / "out" / "r", release(tmp_path / "src", names))

    bag = result.path
    bagit.Bag(str(bag)).validate()
    nfc = unicodedata.normalize("NFC", nfd)
    assert nfc != nfd
    assert sorted(os.listdir(bag / "data")) == sorted([nfc, "Rede am  Rathaus.txt", "zwei\nZeilen.txt", "-x"])
    manifest = (bag / "manifest-sha256.txt").read_text(encoding="utf-8")
    assert f"  data/{nfc}\n" in manifest
    assert "  data/zwei%0AZeilen.txt\n" in manifest
    assert result.payload[0].path == f"data/{nfc}"


def test_percent_names_are_encoded_per_rfc_which_bagit_python_does_not_decode(tmp_path: Path) -> None:
    # RFC 8493 §2.1.3: "%" in a manifest path MUST be written "%25". bagit-python 1.9's _decode_filename
    # only turns %0D and %0A back (and, passing re.IGNORECASE as `count`, at most two of each), so it
    # looks for a file literally named "100%25 Rabatt.txt" and reports the bag incomplete.
    bag = write(tmp_path / "out" / "r", release(tmp_path / "src", {"100% Rabatt.txt": b"%"})).path

    line = (bag / "manifest-sha256.txt").read_text(encoding="utf-8")
    assert line == f"{hashlib.sha256(b'%').hexdigest()}  data/100%25 Rabatt.txt\n"
    check_rfc(bag)
    with pytest.raises(bagit.BagValidationError) as failure:
        bagit.Bag(str(bag)).validate()
    assert sorted(str(detail) for detail in failure.value.details) == [
        "data/100% Rabatt.txt exists on filesystem but is not in the manifest",
        "data/100%25 Rabatt.txt exists in manifest but was not found on filesystem",
    ]


def test_trailing_space_names_are_kept_which_bagit_python_strips(tmp_path: Path) -> None:
    # RFC 8493 has no escape for spaces: the path runs to the end of the line. bagit-python strips every
    # manifest line, so it looks for "data/Anhang" and reports the bag incomplete.
    bag = write(tmp_path / "out" / "r", release(tmp_path / "src", {"Anhang ": b"x"})).path

    assert (bag / "manifest-sha256.txt").read_bytes().endswith(b"  data/Anhang \n")
    check_rfc(bag)
    with pytest.raises(bagit.BagValidationError) as failure:
        bagit.Bag(str(bag)).validate()
    assert sorted(str(detail) for detail in failure.value.details) == [
        "data/Anhang  exists on filesystem but is not in the manifest",
        "data/Anhang exists in manifest but was not found on filesystem",
    ]


def test_two_writes_with_source_date_epoch_are_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    payload = release(tmp_path / "src", {"b.txt": b"b", "a.jpg": os.urandom(5000), "sub dir/c.txt": b""})
    write(tmp_path / "one" / "r", payload, mtime=None)
    write(tmp_path / "two" / "r", payload, mtime=None)

    one, two = snapshot(tmp_path / "one" / "r"), snapshot(tmp_path / "two" / "r")
    assert one == two
    assert {mtime for _, mtime, _ in one.values()} == {EPOCH * 10**9}
    assert {oct(mode & 0o777) for mode, _, data in one.values() if data is None} == {"0o755"}
    assert {oct(mode & 0o777) for mode, _, data in one.values() if data is not None} == {"0o644"}


def test_modes_do_not_depend_on_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o077)
    try:
        bag = write(tmp_path / "out" / "r", release(tmp_path / "src", {"a.txt": b"a"})).path
    finally:
        os.umask(previous)
    assert {oct(p.stat().st_mode & 0o777) for p in [bag, *bag.rglob("*")]} == {"0o644", "0o755"}


def test_sources_are_unchanged(tmp_path: Path) -> None:
    payload = release(tmp_path / "src", {"a.txt": b"a", "foto.jpg": os.urandom(150_000)})
    before = snapshot(tmp_path / "src")
    write(tmp_path / "out" / "r", payload)
    assert snapshot(tmp_path / "src") == before


def test_an_error_mid_copy_leaves_nothing_and_a_rerun_completes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    payload = release(tmp_path / "src", {"a.txt": b"a", "big.bin": os.urandom(3 << 20)})
    real = writer.hash_stream

    def failing(stream, algorithms, *, size_hint=None, sink=None):  # type: ignore[no-untyped-def]
        def half(chunk: bytes) -> None:
            if stream.tell() > 1 << 20:
                raise RuntimeError("disk on fire")
            sink(chunk)

        return real(stream, algorithms, size_hint=size_hint, sink=half)

    monkeypatch.setattr(writer, "hash_stream", failing)
    with pytest.raises(RuntimeError, match="disk on fire"):
        write(tmp_path / "out" / "r", payload)
    assert list((tmp_path / "out").iterdir()) == []

    monkeypatch.setattr(writer, "hash_stream", real)
    bagit.Bag(str(write(tmp_path / "out" / "r", payload).path)).validate()


KILLED_WRITER = """
import sys, time
from pathlib import Path
from preservation import durable
from preservation.bagit import writer

real = writer.hash_stream

def slow(stream, algorithms, *, size_hint=None, sink=None):
    def crawl(chunk):
        sink(chunk)
        time.sleep(0.2)
    return real(stream, algorithms, size_hint=None, sink=crawl)

writer.hash_stream = slow
src, out = Path(sys.argv[1]), Path(sys.argv[2])
with durable.exclusive_output(out):
    writer.publish_one(writer.stage_bag(out / "r", [writer.SourceFile(src, "data/big.bin")], [],
                       manifest_algorithms=["sha256"], tagmanifest_algorithms=["sha256"]))
"""


def test_a_killed_write_leaves_no_half_bag_and_the_next_run_cleans_up(tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(6 << 20))
    out = tmp_path / "out"
    out.mkdir()
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(KILLED_WRITER), str(source), str(out)],
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        partial = wait_for(lambda: [p for p in out.glob(".tmp-r-*/data/big.bin") if p.stat().st_size > 0])
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert partial[0].stat().st_size < source.stat().st_size
    assert [p.name for p in out.iterdir()] == [partial[0].parents[1].name]

    with durable.exclusive_output(out) as removed:
        assert removed == (partial[0].parents[1],)
        bag = write(out / "r", [SourceFile(source, "data/big.bin")]).path
    bagit.Bag(str(bag)).validate()
    assert [p.name for p in out.iterdir()] == ["r"]


def wait_for(found: Callable[[], list[Path]], timeout: float = 10.0) -> list[Path]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := found():
            return result
        time.sleep(0.01)
    raise AssertionError("the child never started writing")


@pytest.mark.parametrize("existing", ["bag", "empty folder", "file"])
def test_an_existing_bag_is_never_overwritten(tmp_path: Path, existing: str) -> None:
    target = tmp_path / "out" / "r"
    if existing == "bag":
        write(target, release(tmp_path / "src", {"a.txt": b"old"}))
    elif existing == "empty folder":
        target.mkdir(parents=True)
    else:
        target.parent.mkdir()
        target.write_bytes(b"")
    before = snapshot(target.parent)
    with pytest.raises(BagError, match="refusing to overwrite") as failure:
        write(target, release(tmp_path / "src", {"a.txt": b"new"}))
    assert failure.value.source == str(target)
    assert snapshot(target.parent) == before


def test_a_name_taken_between_staging_and_publishing_is_a_failure_not_an_overwrite(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    first = stage(tmp_path / "out" / "r", release(tmp_path / "a", {"a.txt": b"first"}))
    second = stage(tmp_path / "out" / "r", release(tmp_path / "b", {"a.txt": b"second"}))
    published = publish([first, second])

    assert [bag.path for bag in published.bags] == [tmp_path / "out" / "r"]
    assert [failure.source for failure in published.failures] == [str(tmp_path / "out" / "r")]
    assert (tmp_path / "out" / "r" / "data" / "a.txt").read_bytes() == b"first"
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["r"]


def test_a_batch_is_invisible_until_published(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    staged = [stage(out / f"r{i}", release(tmp_path / f"s{i}", {"a.txt": b"%d" % i})) for i in range(3)]
    extra = stage(out / "dropped", release(tmp_path / "s", {"a.txt": b"x"}))
    assert all(p.name.startswith(".tmp-") for p in out.iterdir())

    discard(extra)
    published = publish(staged)
    assert published.failures == ()
    assert sorted(p.name for p in out.iterdir()) == ["r0", "r1", "r2"]
    for bag in published.bags:
        bagit.Bag(str(bag.path)).validate()


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("data/../x", r"parent-directory segment"),
        ("../x", r"parent-directory segment"),
        ("/etc/x", r"absolute path"),
        ("meta/x", r"must start with 'data/'"),
        ("data//x", r"empty or '.' path segment"),
        ("data/./x", r"empty or '.' path segment"),
        ("data/", r"empty or '.' path segment"),
    ],
)
def test_unusable_payload_paths_are_refused(tmp_path: Path, path: str, reason: str) -> None:
    with pytest.raises(BagError, match=reason):
        write(tmp_path / "out" / "r", [PayloadBytes(b"x", path)])


def test_two_items_on_one_nfc_path_are_refused(tmp_path: Path) -> None:
    name = "Müll.txt"
    items: list[PayloadItem] = [
        PayloadBytes(b"1", "data/" + unicodedata.normalize("NFD", name)),
        PayloadBytes(b"2", "data/" + name),
    ]
    with pytest.raises(BagError, match="two payload items"):
        write(tmp_path / "out" / "r", items)
    with pytest.raises(BagError, match="both a file and a folder"):
        write(tmp_path / "out" / "r", [PayloadBytes(b"1", "data/a"), PayloadBytes(b"2", "data/a/b")])


@pytest.mark.parametrize(
    "path", ["data/extra.xml", "manifest-md5.txt", "bag-info.txt", "tagmanifest-sha256.txt", "../x"]
)
def test_unusable_tag_files_are_refused_and_leave_nothing(tmp_path: Path, path: str) -> None:
    with pytest.raises(BagError, match="unusable tag file path"):
        write(tmp_path / "out" / "r", [PayloadBytes(b"x", "data/x")], tags=lambda *_: {path: b""})
    assert list((tmp_path / "out").iterdir()) == []


def test_an_unreadable_source_is_named(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    with pytest.raises(BagError, match="cannot read") as failure:
        write(tmp_path / "out" / "r", [SourceFile(tmp_path / "gone.txt", "data/gone.txt")])
    assert failure.value.source == str(tmp_path / "gone.txt")
    assert list((tmp_path / "out").iterdir()) == []


def test_hidden_bag_names_are_refused(tmp_path: Path) -> None:
    # A name like ".tmp-…" could be taken for a leftover and removed by the next run.
    (tmp_path / "out").mkdir()
    with pytest.raises(BagError, match="start with '.'"):
        write(tmp_path / "out" / ".tmp-r-12345678", [PayloadBytes(b"x", "data/x")])
