"""Hostile sources for `build` and `inspect`: links, FIFOs, devices, names a bag cannot carry, huge documents.

A link below a SOURCE is never followed and a special file never opened: inside a release folder (or as a
loose file of a collection) it is skipped with a warning; where a release document would be, that release
fails. A name a bag cannot carry fails its release alone. Every outcome names the entry and its code.
"""

from __future__ import annotations

import inspect
import json
import os
import shutil
import socket
import stat
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from preservation.bagit.writer import SourceFile, discard, publish_one, stage_bag
from preservation.build import BuildOutcome, Staging, stage_release
from preservation.display import shown
from preservation.errors import ReleaseError
from preservation.profile import Profile
from preservation.release import Release, read_release, read_sources
from preservation.release.model import ReadFailure, Skipped
from preservation.release.read import MAX_DOCUMENT_BYTES
from preservation.sourcefile import RefusedSource, name_problem
from preservation.validate.findings import catalogue
from tests.hostile.conftest import Canary, run_cli
from tests.unprivileged import run_unprivileged

RELEASE = "Pressemitteilung vom 01.02.2021\n\n{title}\n\n{body}\n\nKaiserslautern, 01.02.2021\n"
LINK = catalogue()["source.symlink"].en
FIFO = catalogue()["source.special"].en.format(kind="FIFO (named pipe)")
CREATED = datetime(2024, 1, 2, tzinfo=UTC)


def release(path: Path, title: str, body: str = "Text.") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(RELEASE.format(title=title, body=body), encoding="utf-8")
    return path


def outside_release(canary: Canary, title: str = "Geheim") -> Path:
    """A valid release outside every input whose body is the canary: worth following, if links were."""
    return release(canary.path.with_name(f"{title}.txt"), title, canary.content.decode())


def lines(text: str) -> set[str]:
    return set(text.splitlines())


def name_error(path: Path, name: str, what: str) -> str:
    message = catalogue()["source.name-unusable"].en.format(name=name, what=what)
    return f"failed: {shown(str(path))}: [source.name-unusable] {message}"


def payload(bag: Path) -> list[str]:
    return sorted(line.split("  ", 1)[1] for line in (bag / "manifest-sha256.txt").read_text().splitlines())


def one_bag(out: Path) -> Path:
    (bag,) = [p for p in out.iterdir() if not p.name.startswith(".")]
    return bag


def try_special(make: Callable[[], object]) -> bool:
    try:
        make()
    except OSError:  # e.g. no right to make device nodes, or a socket path too long
        return False
    return True


# --- links and special files inside a release folder: skipped with a warning, the release is bagged


@pytest.fixture
def hostile_release(tmp_path: Path, canary: Canary) -> Iterator[tuple[Path, list[Path]]]:
    """A release folder holding one real attachment and every kind of link and special file."""
    folder = tmp_path / "src" / "release"
    release(folder / "pressemitteilung.txt", "Hostile Anhänge")
    (folder / "bilder").mkdir()
    (folder / "bilder" / "foto.jpg").write_bytes(b"\xff\xd8\xff real photo")
    links = {
        "anhang.pdf": canary.path,  # absolute, to a file
        "relativ.pdf": Path(os.path.relpath(canary.path, folder)),  # relative, climbing out
        "bilder/tief.png": canary.path,  # in a sub-folder
        "ordner": canary.path.parent,  # to a folder outside
        "haengend.pdf": tmp_path / "gibt-es-nicht",  # dangling
        "schleife.pdf": Path("schleife.pdf"),  # looping onto itself
        "selbst": Path("."),  # the release folder itself
    }
    for name, target in links.items():
        (folder / name).symlink_to(target)
    (folder / ".versteckt").symlink_to(canary.path)  # a hidden link: skipped as hidden, never followed
    os.mkfifo(folder / "rohr.pdf")
    skipped = [folder / name for name in links] + [folder / "rohr.pdf"]
    sock = socket.socket(socket.AF_UNIX)
    short = Path(os.path.relpath(folder / "sock.pdf"))  # AF_UNIX paths are limited to 108 bytes
    if try_special(lambda: sock.bind(str(short))):
        skipped.append(folder / "sock.pdf")
    device = folder / "null.pdf"
    if try_special(lambda: os.mknod(device, stat.S_IFCHR | 0o600, os.makedev(1, 3))):
        skipped.append(device)
    yield folder, sorted(skipped)
    sock.close()


def skipped_line(path: Path) -> str:
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        return f"skipped: {path}: [source.symlink] {LINK}"
    kind = {stat.S_IFIFO: "FIFO (named pipe)", stat.S_IFSOCK: "socket", stat.S_IFCHR: "character device"}
    message = catalogue()["source.special"].en.format(kind=kind[stat.S_IFMT(info.st_mode)])
    return f"skipped: {path}: [source.special] {message}"


def test_links_and_special_files_in_a_release_folder_are_skipped_named_and_never_read(
    hostile_release: tuple[Path, list[Path]], tmp_path: Path, canary: Canary
) -> None:
    folder, skipped = hostile_release
    out = tmp_path / "bags"
    run = run_cli("build", folder, "--out", out, timeout=30)
    assert run.code == 0, run.output
    assert lines(run.stderr) == {skipped_line(path) for path in skipped}
    assert (
        run.stdout.splitlines()[-1]
        == f"1 built, 0 up to date, 0 conflicts, 0 failed, {len(skipped)} entries skipped; "
        f"{1 + len(skipped)} warnings (--verbose lists them)"
    )
    bag = one_bag(out)
    assert payload(bag) == ["data/bilder/foto.jpg", "data/pressemitteilung.txt"]
    # The bag's own record says what was left out of it, entry by entry.
    mets = (bag / "metadata" / "mets.xml").read_text(encoding="utf-8")
    for path in skipped:
        code = "release.link-left-out" if path.is_symlink() else "release.special-left-out"
        assert f"{code}: {path.relative_to(folder).as_posix()}: " in mets
    canary.assert_absent(out)
    assert run_cli("validate", bag, timeout=30).code == 0

    shown_json = run_cli("inspect", folder, "--format", "json", timeout=30)
    assert shown_json.code == 0
    document = json.loads(shown_json.stdout)
    assert [a for r in document["releases"] for a in r["attachments"]] == [
        str(folder / "bilder" / "foto.jpg")
    ]
    assert [(s["path"], s["code"]) for s in document["skipped"]] == [
        (str(path), "source.symlink" if path.is_symlink() else "source.special") for path in skipped
    ]
    shown_text = run_cli("inspect", folder, timeout=30)
    assert shown_text.code == 0
    assert lines(shown_text.stderr) == {skipped_line(path) for path in skipped}
    assert shown_text.stdout.splitlines()[-1] == f"1 read, 0 failed, {len(skipped)} entries skipped"


# --- links and special files where a release document would be: that release fails, the others are bagged


def test_a_linked_or_special_release_document_fails_its_release_alone(tmp_path: Path, canary: Canary) -> None:
    secret = outside_release(canary)
    collection = tmp_path / "sammlung"
    release(collection / "a-gut.txt", "Gute Mitteilung")
    (collection / "b-link.txt").symlink_to(secret)
    os.mkfifo(collection / "c-rohr.txt")
    folder = collection / "d-ordner"  # a release folder whose only document is a link
    folder.mkdir()
    (folder / "pressemitteilung.html").symlink_to(secret)
    (folder / "foto.jpg").write_bytes(b"jpeg")
    (collection / "e-ordnerlink").symlink_to(secret.parent, target_is_directory=True)
    named_link = tmp_path / "quelle.txt"
    named_link.symlink_to(secret)
    named_fifo = tmp_path / "quelle-rohr.txt"
    os.mkfifo(named_fifo)
    out = tmp_path / "bags"

    run = run_cli("build", collection, named_link, named_fifo, "--out", out, timeout=30)
    assert run.code == 1
    linked = [collection / "b-link.txt", folder / "pressemitteilung.html", named_link]
    assert lines(run.stderr) == {
        *(f"failed: {path}: [source.symlink] {LINK}" for path in linked),
        *(f"failed: {path}: [source.special] {FIFO}" for path in (collection / "c-rohr.txt", named_fifo)),
        f"skipped: {collection / 'e-ordnerlink'}: [source.symlink] {LINK}",
    }
    assert [bag.name for bag in out.iterdir()] == ["2021-02-01-gute-mitteilung"]
    canary.assert_absent(out)

    document = json.loads(run_cli("inspect", collection, "--format", "json", timeout=30).stdout)
    assert [r["title"] for r in document["releases"]] == ["Gute Mitteilung"]
    assert [(e["source"], e["code"]) for e in document["errors"]] == [
        (str(collection / "b-link.txt"), "source.symlink"),
        (str(collection / "c-rohr.txt"), "source.special"),
        (str(folder / "pressemitteilung.html"), "source.symlink"),
    ]
    assert [(s["path"], s["code"]) for s in document["skipped"]] == [
        (str(collection / "e-ordnerlink"), "source.symlink")
    ]


def test_a_source_folder_named_on_the_command_line_may_be_a_link(tmp_path: Path) -> None:
    release(tmp_path / "echt" / "a.txt", "Erste")
    release(tmp_path / "echt" / "b.txt", "Zweite")
    (tmp_path / "verlinkt").symlink_to(tmp_path / "echt", target_is_directory=True)
    run = run_cli("inspect", tmp_path / "verlinkt", timeout=30)
    assert (run.code, run.stdout.splitlines()[-1], run.stderr) == (0, "2 read, 0 failed", "")


def test_a_dangling_source_link_is_refused_not_missing(tmp_path: Path) -> None:
    (tmp_path / "weg.txt").symlink_to(tmp_path / "nirgends.txt")
    run = run_cli("inspect", tmp_path / "weg.txt", timeout=30)
    assert (run.code, run.stderr) == (1, f"error: {tmp_path / 'weg.txt'}: [source.symlink] {LINK}\n")


# --- a file swapped after discovery: the writer itself refuses, never follows or waits


def _swap_to_link(path: Path, canary: Canary) -> None:
    path.unlink()
    path.symlink_to(canary.path)


def _swap_to_fifo(path: Path, canary: Canary) -> None:
    path.unlink()
    os.mkfifo(path)


def _swap_folder_to_link(path: Path, canary: Canary) -> None:
    """The attachment's folder becomes a link to a folder outside holding a file of the same name."""
    shutil.copy(canary.path, canary.path.with_name(path.name))
    shutil.rmtree(path.parent)
    path.parent.symlink_to(canary.path.parent, target_is_directory=True)


@pytest.mark.parametrize(
    ("which", "swap", "code"),
    [
        ("attachment", _swap_to_link, "source.symlink"),
        ("attachment", _swap_to_fifo, "source.special"),
        ("attachment", _swap_folder_to_link, "source.symlink"),
        ("document", _swap_to_link, "source.symlink"),
        ("document", _swap_to_fifo, "source.special"),
        ("document", _swap_folder_to_link, "source.symlink"),  # the release folder in the collection
    ],
)
def test_a_source_swapped_after_discovery_is_refused_by_the_writer(
    tmp_path: Path,
    canary: Canary,
    profile: Profile,
    which: str,
    swap: Callable[[Path, Canary], None],
    code: str,
) -> None:
    folder = tmp_path / "src" / "release"
    document = release(folder / "pressemitteilung.txt", "Vertauscht")
    (folder / "anhang").mkdir()
    attachment = folder / "anhang" / "plan.pdf"
    attachment.write_bytes(b"%PDF-1.4 real")
    release(tmp_path / "src" / "zweite" / "pressemitteilung.txt", "Zweite")  # src is a collection
    (found, _) = read_sources([tmp_path / "src"], profile)
    assert isinstance(found, Release) and found.title == "Vertauscht"
    victim = attachment if which == "attachment" else document
    swap(victim, canary)
    out = tmp_path / "bags"
    out.mkdir()
    outcome = _in_thread(lambda: stage_release(found, Staging(out, profile, CREATED, None, {})), victim)
    assert isinstance(outcome, BuildOutcome)
    assert (outcome.status, outcome.code) == ("failed", code)
    named = attachment.parent if swap is _swap_folder_to_link else attachment
    assert outcome.source == (named if which == "attachment" else document)
    assert list(out.iterdir()) == []
    canary.assert_absent(out)


def test_a_source_swapped_before_the_up_to_date_comparison_is_refused(
    tmp_path: Path, canary: Canary, profile: Profile
) -> None:
    folder = tmp_path / "src" / "release"
    release(folder / "pressemitteilung.txt", "Schon gebaut")
    attachment = folder / "plan.pdf"
    attachment.write_bytes(b"%PDF-1.4 real")
    out = tmp_path / "bags"
    out.mkdir()
    (found,) = read_sources([folder], profile)
    assert isinstance(found, Release)
    staged = stage_release(found, Staging(out, profile, CREATED, None, {}))
    assert not isinstance(staged, BuildOutcome)
    publish_one(staged)
    before = payload(staged.result.path)
    _swap_to_link(attachment, canary)
    outcome = stage_release(found, Staging(out, profile, CREATED, None, {}))
    assert isinstance(outcome, BuildOutcome)
    assert (outcome.status, outcome.source, outcome.code) == ("failed", attachment, "source.symlink")
    assert payload(staged.result.path) == before
    canary.assert_absent(out)


def _in_thread(call: Callable[[], object], fifo: Path) -> object:
    """`call()`, failing instead of hanging when it blocks on opening `fifo`."""
    result: list[object] = []
    worker = threading.Thread(target=lambda: result.append(call()), daemon=True)
    worker.start()
    worker.join(20)
    if worker.is_alive():
        if fifo.is_fifo():  # release the blocked open so the thread can end
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("staging waited on a FIFO")
    return result[0]


@pytest.mark.parametrize("kind", ["link", "fifo"])
def test_the_writer_alone_refuses_a_link_or_fifo_as_payload(
    tmp_path: Path, canary: Canary, kind: str
) -> None:
    source = tmp_path / "payload.bin"
    if kind == "link":
        source.symlink_to(canary.path)
    else:
        os.mkfifo(source)
    out = tmp_path / "out"
    out.mkdir()

    def stage() -> object:
        try:
            return stage_bag(
                out / "r",
                [SourceFile(source, "data/payload.bin")],
                [],
                manifest_algorithms=["sha256"],
                tagmanifest_algorithms=["sha256"],
            )
        except RefusedSource as exc:
            return exc

    refused = _in_thread(stage, source)
    if not isinstance(refused, RefusedSource):
        discard(refused)  # type: ignore[arg-type]
    assert isinstance(refused, RefusedSource) and refused.source == str(source)
    assert refused.code == ("source.symlink" if kind == "link" else "source.special")
    assert list(out.iterdir()) == []


def test_an_attachment_that_cannot_be_read_is_named_not_the_document(
    tmp_path: Path, profile: Profile
) -> None:
    folder = tmp_path / "release"
    release(folder / "pressemitteilung.txt", "Verschwunden")
    attachment = folder / "weg.pdf"
    attachment.write_bytes(b"%PDF")
    (found,) = read_sources([folder], profile)
    assert isinstance(found, Release)
    attachment.unlink()
    (tmp_path / "out").mkdir()
    outcome = stage_release(found, Staging(tmp_path / "out", profile, CREATED, None, {}))
    assert isinstance(outcome, BuildOutcome)
    assert (outcome.status, outcome.source, outcome.message) == (
        "failed",
        attachment,
        "cannot read: No such file or directory",
    )


def test_a_hard_linked_attachment_is_bagged_as_the_file_it_is(tmp_path: Path, profile: Profile) -> None:
    """A hard link is the file itself, not a pointer elsewhere (and Linux's protected_hardlinks keeps users
    from linking files they may not write); exports deduplicated with hard links are common."""
    folder = tmp_path / "release"
    release(folder / "pressemitteilung.txt", "Hart verlinkt")
    (tmp_path / "logo.png").write_bytes(b"\x89PNG logo")
    os.link(tmp_path / "logo.png", folder / "logo.png")
    (found,) = read_sources([folder], profile)
    assert isinstance(found, Release) and found.attachments == (folder / "logo.png",)


# --- names a bag cannot carry: the release fails alone, naming the entry; unrelated releases are bagged

BAD_NAMES = {
    b"esc\x1b[31m.pdf": "the control character U+001B",
    b"soh\x01.pdf": "the control character U+0001",
    b"vt\x0b.pdf": "the control character U+000B",
    b"lf\nzeile.pdf": "the control character U+000A",
    b"cr\r.pdf": "the control character U+000D",
    b"tab\t.pdf": "the control character U+0009",
    b"del\x7f.pdf": "the control character U+007F",
    b"nel\xc2\x85.pdf": "the control character U+0085",
    b"ls\xe2\x80\xa8.pdf": "the control character U+2028",
    b"\xdcbersicht.pdf": "the byte 0xDC (not UTF-8)",  # Latin-1 "Übersicht.pdf"
}


def test_names_a_bag_cannot_carry_fail_their_release_alone(tmp_path: Path) -> None:
    collection = tmp_path / "sammlung"
    release(collection / "gut" / "pressemitteilung.txt", "Gute Mitteilung")
    (collection / "gut" / "Übersicht.pdf").write_bytes(b"%PDF fine")
    expected = set()
    for number, (raw, what) in enumerate(BAD_NAMES.items()):
        folder = collection / f"r{number:02d}"
        release(folder / "pressemitteilung.txt", f"Mitteilung {number}")
        bad = Path(os.fsdecode(os.path.join(os.fsencode(folder), raw)))
        bad.write_bytes(b"%PDF")
        expected.add(name_error(bad, shown(bad.name), what))
    # the document's own name, and a sub-folder's name
    loose = Path(os.fsdecode(os.fsencode(collection / "lose") + b"/\xe4rger.txt"))
    release(loose, "Ärger")
    release(collection / "lose" / "b.txt", "Zweite lose")
    expected.add(name_error(loose, "\\xe4rger.txt", "the byte 0xE4 (not UTF-8)"))
    sub = collection / "unterordner"
    release(sub / "pressemitteilung.txt", "Unterordner")
    deep = Path(os.fsdecode(os.fsencode(sub) + b"/bilder\x1b/foto.jpg"))
    deep.parent.mkdir()
    deep.write_bytes(b"jpeg")
    expected.add(name_error(deep, "bilder\\x1b/foto.jpg", "the control character U+001B"))
    # a collection folder whose own name is not UTF-8 does not enter any bag: its release is bagged
    odd = Path(os.fsdecode(os.fsencode(tmp_path) + b"/samm\xfcng"))
    release(odd / "a.txt", "Im seltsamen Ordner")
    release(odd / "b.txt", "Auch im seltsamen Ordner")
    release(odd / "c.txt", "Im seltsamen Ordner")  # a duplicate, whose message quotes the odd path
    first = shown(str(odd / "a.txt"))
    duplicate = (
        f"duplicate: {shown(str(odd / 'c.txt'))}: the same release as {first} "
        "(byte-identical document and attachments); skipped"
    )
    out = tmp_path / "bags"

    run = run_cli("build", collection, odd, "--out", out, "--verbose", timeout=30)
    assert run.code == 1
    assert lines(run.stderr) == expected
    assert duplicate in lines(run.stdout)
    built = sorted(bag.name for bag in out.iterdir())
    assert built == [
        "2021-02-01-auch-im-seltsamen-ordner",
        "2021-02-01-gute-mitteilung",
        "2021-02-01-im-seltsamen-ordner",
        "2021-02-01-zweite-lose",
    ]
    assert "data/Übersicht.pdf" in payload(out / "2021-02-01-gute-mitteilung")

    shown_json = run_cli("inspect", collection, odd, "--format", "json", timeout=30)
    assert shown_json.code == 1
    document = json.loads(shown_json.stdout)
    assert {e["code"] for e in document["errors"]} == {"source.name-unusable"}
    assert len(document["errors"]) == len(expected)
    assert str(odd).encode("utf-8", "surrogateescape") not in shown_json.stdout.encode()
    assert f"{shown(str(odd))}/a.txt" in [r["source"] for r in document["releases"]]


@pytest.mark.parametrize(("raw", "what"), list(BAD_NAMES.items()))
def test_name_problem_names_what_a_bag_cannot_carry(raw: bytes, what: str) -> None:
    name = os.fsdecode(raw)
    assert name_problem(name) == what
    assert shown(name).isprintable()


@pytest.mark.parametrize(
    "name", ["Übersicht 2023.pdf", "a%25b.pdf", "Café (1).jpg", "😀.png", "x\u00a0y.pdf"]
)
def test_ordinary_names_are_carried(name: str) -> None:
    assert name_problem(name) is None


# --- huge documents: refused by their size, before anything is read


def test_a_huge_text_release_is_refused_unread_in_bounded_memory(tmp_path: Path) -> None:
    huge = tmp_path / "riesig.txt"
    with huge.open("wb") as stream:  # sparse: 200 MB that cost no disk
        stream.write(RELEASE.format(title="Riesig", body="Text.").encode())
        stream.truncate(200 << 20)
    run = run_cli("inspect", huge, timeout=30, memory_mib=400)
    message = catalogue()["source.oversize"].en.format(size=200 << 20, limit=MAX_DOCUMENT_BYTES)
    assert (run.code, run.stderr) == (1, f"error: {huge}: [source.oversize] {message}\n")


@pytest.mark.parametrize("name", ["seite/riesig.html", "ordner/pressemitteilung.txt"])
def test_a_huge_document_fails_alone(tmp_path: Path, profile: Profile, name: str) -> None:
    huge = tmp_path / "src" / name
    huge.parent.mkdir(parents=True, exist_ok=True)
    with huge.open("wb") as stream:
        stream.truncate(MAX_DOCUMENT_BYTES + 1)
    release(tmp_path / "src" / "klein" / "klein.txt", "Klein")
    results = list(read_sources([tmp_path / "src"], profile))
    failures = [r for r in results if isinstance(r, ReadFailure)]
    assert [(f.source, f.code) for f in failures] == [(huge, "source.oversize")]
    assert [r.title for r in results if isinstance(r, Release)] == ["Klein"]
    assert not [r for r in results if isinstance(r, Skipped)]


def test_an_attachment_or_folder_that_may_not_be_read_is_named(open_tmp: Path, profile: Profile) -> None:
    """As a user without the right to read one attachment, or to list one sub-folder, of a release."""
    locked = release(open_tmp / "a" / "pressemitteilung.txt", "Gesperrter Anhang").with_name("geheim.pdf")
    locked.write_bytes(b"%PDF")
    folder = open_tmp / "b" / "intern"
    release(folder.parent / "pressemitteilung.txt", "Gesperrter Ordner")
    (folder / "plan.pdf").parent.mkdir()
    (folder / "plan.pdf").write_bytes(b"%PDF")
    out = open_tmp / "bags"
    out.mkdir()
    out.chmod(0o777)
    locked.chmod(0)
    folder.chmod(0)
    import _strptime  # noqa: F401 - loaded while modules may still be read; the child parses dates

    def build() -> list[list[str | None]]:
        found = list(read_sources([open_tmp / "a", open_tmp / "b"], profile))
        rows: list[list[str | None]] = []
        for item in found:
            if isinstance(item, ReadFailure):
                rows.append([str(item.source), item.message])
            elif isinstance(item, Release):
                outcome = stage_release(item, Staging(out, profile, CREATED, None, {}))
                assert isinstance(outcome, BuildOutcome)
                rows.append([str(outcome.source), outcome.message])
        return rows

    assert run_unprivileged(build) == [
        [str(locked), "cannot read: Permission denied"],
        [str(folder), "cannot list folder of the release: Permission denied"],
    ]


# --- deep nesting: no depth of folders exhausts the recursion limit


def nested(root: Path, depth: int) -> Path:
    path = root.joinpath(*["a"] * depth)
    path.mkdir(parents=True)
    return path


def test_deeply_nested_release_folders_and_collections_are_read(tmp_path: Path, profile: Profile) -> None:
    """Nesting deeper than the recursion limit allows frames; the limit is lowered rather than the tree
    made 1,000 levels deep (which pytest's own clean-up, recursing once per level, could not remove)."""
    folder = tmp_path / "release"
    release(folder / "pressemitteilung.txt", "Tief verschachtelt")
    (nested(folder, 300) / "plan.pdf").write_bytes(b"%PDF")
    release(nested(tmp_path / "sammlung", 300) / "unten.txt", "Ganz unten")
    release(tmp_path / "sammlung" / "b" / "oben.txt", "Oben")
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 200)
    try:
        found = list(read_sources([folder, tmp_path / "sammlung"], profile))
    finally:
        sys.setrecursionlimit(limit)
    assert [(r.title, len(r.attachments)) for r in found if isinstance(r, Release)] == [
        ("Tief verschachtelt", 1),
        ("Ganz unten", 0),
        ("Oben", 0),
    ]


def test_a_linked_release_folder_named_as_source_is_bagged_with_its_attachments(
    tmp_path: Path, profile: Profile
) -> None:
    folder = tmp_path / "echt"
    release(folder / "pressemitteilung.txt", "Verlinkter Ordner")
    (folder / "bilder").mkdir()
    (folder / "bilder" / "foto.jpg").write_bytes(b"\xff\xd8\xff")
    (tmp_path / "verlinkt").symlink_to(folder, target_is_directory=True)
    (found,) = read_sources([tmp_path / "verlinkt"], profile)
    assert isinstance(found, Release)
    (tmp_path / "out").mkdir()
    staged = stage_release(found, Staging(tmp_path / "out", profile, CREATED, None, {}))
    assert not isinstance(staged, BuildOutcome), staged
    assert [r.path for r in staged.result.payload] == ["data/pressemitteilung.txt", "data/bilder/foto.jpg"]
    discard(staged)


def test_read_release_refuses_a_linked_document_with_its_code(tmp_path: Path, profile: Profile) -> None:
    document = release(tmp_path / "echt.txt", "Echt")
    (tmp_path / "link.txt").symlink_to(document)
    with pytest.raises(ReleaseError) as raised:
        read_release(tmp_path / "link.txt", profile)
    assert (raised.value.source, raised.value.code) == (str(tmp_path / "link.txt"), "source.symlink")
