"""`fixity repair`: damaged or missing files restored from a replica that verifies against the anchor,
never from one that does not, crash-safe, and recorded as a PREMIS event."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from lxml import etree

from preservation.cli import main
from preservation.fixity import api
from tests.fixity.bags import make_bag, tar_bag, zip_bag
from tests.fixity.test_history_report import P, premis_schema

ROOT = Path(__file__).resolve().parents[2]


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _copies(root: Path, count: int, files: dict[str, bytes] | None = None) -> list[Path]:
    """`count` copies of one bag, in folders a, b, c, … under `root`, each as `bag`."""
    first = make_bag(root / "a" / "bag", "urn:ks:1", files)
    for index in range(1, count):
        shutil.copytree(first, root / "abcdefgh"[index] / "bag")
    return [(root / "abcdefgh"[index] / "bag").resolve() for index in range(count)]


def _run(root: Path, ledger: Path) -> None:
    api.run_fixity([root], ledger, jobs=1)


def test_a_flipped_byte_is_restored_from_a_replica_and_recorded_as_a_premis_event(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bag, replica = _copies(tmp_path / "root", 2)
    original = _tree(bag)
    ledger = tmp_path / "l.sqlite"
    _run(tmp_path / "root", ledger)
    photo = bag / "data" / "photo.jpg"
    data = bytearray(photo.read_bytes())
    data[10] ^= 0x01
    photo.write_bytes(bytes(data))
    untouched = os.stat(bag / "data" / "release.txt")

    code, out = _cli(capsys, "fixity", "repair", str(bag), "--ledger", str(ledger))
    assert code == 0
    assert f"{bag}: data/photo.jpg: [repair.restored] restored from {replica}" in out
    assert _tree(bag) == original
    after = os.stat(bag / "data" / "release.txt")  # a file that verifies is never touched
    assert (after.st_ino, after.st_mtime_ns) == (untouched.st_ino, untouched.st_mtime_ns)
    assert _cli(capsys, "fixity", "status", "--ledger", str(ledger))[0] == 0  # the ledger knows

    code, out = _cli(capsys, "fixity", "history", str(bag), "--ledger", str(ledger))
    repair, restored, recheck = [line.split() for line in out.splitlines()[-3:]]
    # The repair, then the check that re-verified the bag.
    assert (repair[1:], restored, recheck[1]) == (
        ["repair", "pass", "from", str(replica)],
        ["restored", "data/photo.jpg"],
        "pass",
    )
    code, out = _cli(capsys, "fixity", "history", str(bag), "--ledger", str(ledger), "--format", "premis")
    document = etree.fromstring(out.encode())
    premis_schema().assertValid(document)
    [event] = [e for e in document.iter(f"{P}event") if e.findtext(f"{P}eventType") == "fixity repair"]
    assert event.findtext(f"{P}eventOutcomeInformation/{P}eventOutcome") == "pass"
    notes = [n.text for n in event.iter(f"{P}eventOutcomeDetailNote")]
    assert notes == ["restored: data/photo.jpg"]
    sources = [
        link.findtext(f"{P}linkingObjectIdentifierValue")
        for link in event.iter(f"{P}linkingObjectIdentifier")
        if link.findtext(f"{P}linkingObjectRole") == "source"
    ]
    assert sources == [str(replica)]
    code, out = _cli(capsys, "fixity", "repair", str(bag), "--ledger", str(ledger))
    assert (code, out.strip()) == (
        0,
        f"{bag}: [repair.not-needed] the bag verifies against its anchor; nothing to repair",
    )


def test_a_deleted_payload_file_and_a_damaged_tag_file_are_restored_and_extra_files_left(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bag, _ = _copies(tmp_path / "root", 2, {"release.txt": b"text", "sub/photo.jpg": b"\xff\xd8photo"})
    original = _tree(bag)
    ledger = tmp_path / "l.sqlite"
    _run(tmp_path / "root", ledger)
    shutil.rmtree(bag / "data" / "sub")
    (bag / "bag-info.txt").write_text("External-Identifier: urn:ks:forged\n")
    (bag / "data" / "note.txt").write_text("added by someone")

    code, out = _cli(capsys, "fixity", "repair", str(bag), "--ledger", str(ledger), "--format", "json")
    result = json.loads(out)
    assert code == 1  # restored, but the extra file still fails the bag: a repair never deletes
    assert (result["outcome"], result["files"], result["extra"]) == (
        "failed",
        ["bag-info.txt", "data/sub/photo.jpg"],
        ["data/note.txt"],
    )
    assert [(p["kind"], p["file"]) for p in result["problems"]] == [
        ("tag-changed", "bag-info.txt"),  # its Payload-Oxum counts the extra file
        ("extra", "data/note.txt"),
    ]
    (bag / "data" / "note.txt").unlink()
    assert _tree(bag) == original


def test_a_deleted_bag_is_restored_from_a_replica_kept_as_tar(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bag = make_bag(tmp_path / "root" / "live" / "bag", "urn:ks:1").resolve()
    original = _tree(bag)
    tar_bag(bag, tmp_path / "root" / "bag.tar")
    ledger = tmp_path / "l.sqlite"
    _run(tmp_path / "root", ledger)
    shutil.rmtree(bag.parent)
    assert main(["fixity", "run", str(tmp_path / "root"), "--ledger", str(ledger), "--all"]) == 3
    capsys.readouterr()

    code, out = _cli(capsys, "fixity", "repair", str(bag), "--ledger", str(ledger))
    assert code == 0 and f"repaired: {bag}: 8 files from {tmp_path.resolve() / 'root' / 'bag.tar'}" in out
    assert _tree(bag) == original
    assert main(["fixity", "run", str(tmp_path / "root"), "--ledger", str(ledger)]) == 0


def test_two_damaged_replicas_are_passed_over_for_the_good_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bag, first, second, good = _copies(tmp_path / "root", 4)
    original = _tree(bag)
    ledger = tmp_path / "l.sqlite"
    _run(tmp_path / "root", ledger)
    # Damaged after their last check: the ledger still takes them for passing copies.
    for damaged in (bag, first, second):
        (damaged / "data" / "release.txt").write_text(f"damaged {damaged}")
    assert api.run_fixity([bag.parent], ledger, check_all=True, jobs=1).worst() == "fail"

    events = len(api.history(str(bag), ledger).events)
    code, out = _cli(capsys, "fixity", "repair", str(bag), "--ledger", str(ledger), "--dry-run")
    assert code == 0
    assert f"not used: {first}: [repair.source-unverified] {first} does not verify" in out
    assert f"{bag}: data/release.txt: [repair.would-restore] would be restored from {good}" in out
    assert (bag / "data" / "release.txt").read_text() == f"damaged {bag}"  # a dry run changes nothing
    assert len(api.history(str(bag), ledger).events) == events

    code, out = _cli(capsys, "fixity", "repair", str(bag), "--ledger", str(ledger), "--format", "json")
    result = json.loads(out)
    assert (code, result["source"], [t["replica"] for t in result["tried"]]) == (
        0,
        str(good),
        [str(first), str(second)],
    )
    assert _tree(bag) == original


def test_without_a_good_copy_the_repair_is_refused_and_nothing_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bag, replica = _copies(tmp_path / "root", 2)
    ledger = tmp_path / "l.sqlite"
    _run(tmp_path / "root", ledger)
    for damaged in (bag, replica):
        (damaged / "data" / "photo.jpg").write_bytes(b"damaged")
    (replica / "data" / "release.txt").unlink()
    before = _tree(bag)
    history = api.history(str(bag), ledger)

    code, out = _cli(capsys, "fixity", "repair", str(bag), "--ledger", str(ledger))
    assert code == 1
    assert f"{bag}: [repair.no-good-replica] no replica verifies against the anchor" in out
    code, out = _cli(capsys, "fixity", "repair", str(bag), "--ledger", str(ledger), "--from", str(replica))
    assert code == 1 and "[repair.source-unverified]" in out and "missing data/release.txt" in out
    assert _tree(bag) == before
    assert api.history(str(bag), ledger) == history


def test_a_damaged_tar_is_replaced_whole_from_a_tar_never_from_another_serialization(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = make_bag(tmp_path / "src" / "bag", "urn:ks:1")
    root = tmp_path / "root"
    root.mkdir()
    target = tar_bag(source, root / "bag.tar").resolve()
    original = target.read_bytes()
    zipped = zip_bag(source, root / "copy").resolve()
    (root / "mirror").mkdir()
    mirror = tar_bag(source, root / "mirror" / "bag.tar").resolve()
    ledger = tmp_path / "l.sqlite"
    _run(root, ledger)
    damaged = bytearray(original)
    damaged[damaged.index(b"Pressemitteilung")] ^= 0x20
    target.write_bytes(bytes(damaged))

    code, out = _cli(capsys, "fixity", "repair", str(target), "--ledger", str(ledger), "--from", str(zipped))
    assert code == 1 and "[repair.serialization-differs]" in out
    assert target.read_bytes() == bytes(damaged)
    code, out = _cli(capsys, "fixity", "repair", str(target), "--ledger", str(ledger))
    assert code == 0 and f"restored from {mirror}" in out
    assert target.read_bytes() == mirror.read_bytes()
    assert [p.name for p in root.iterdir() if p.name.startswith(".")] == []


def test_a_repair_killed_halfway_leaves_no_half_written_file_and_a_rerun_completes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = os.urandom(1 << 20) * 48  # long enough to be caught while it is written
    bag, _ = _copies(tmp_path / "root", 2, {"a.txt": b"first file", "b.bin": big})
    original = _tree(bag)
    ledger = tmp_path / "l.sqlite"
    _run(tmp_path / "root", ledger)
    (bag / "data" / "a.txt").write_text("damaged")
    (bag / "data" / "b.bin").write_bytes(b"damaged")
    data = bag / "data"

    argv = ["fixity", "repair", str(bag), "--ledger", str(ledger)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-m", "preservation", *argv], env=env)
    # Files are restored in path order: once the second one's temporary file appears, the first is in
    # place and the second half written. Killed there.
    deadline = time.monotonic() + 60
    temporary: list[str] = []
    while not temporary and child.poll() is None and time.monotonic() < deadline:
        temporary = [name for name in os.listdir(data) if name.startswith(".b.bin.repair-")]
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert temporary, "the repair ended before it could be killed while writing"
    assert (data / "a.txt").read_bytes() == b"first file"
    assert (data / "b.bin").read_bytes() == b"damaged"  # old or whole, never part of the new

    assert main(argv) == 0
    capsys.readouterr()
    assert _tree(bag) == original  # the temporary file is gone too
    [fix] = api.history(str(bag), ledger).repairs
    assert fix.files == ("data/b.bin",)


def test_a_repair_writes_nothing_through_a_link_in_the_bag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bag, _ = _copies(tmp_path / "root", 2)
    ledger = tmp_path / "l.sqlite"
    _run(tmp_path / "root", ledger)
    elsewhere = tmp_path / "elsewhere"
    (bag / "data").rename(elsewhere)
    (bag / "data").symlink_to(elsewhere)
    (elsewhere / "photo.jpg").write_bytes(b"damaged")

    assert main(["fixity", "repair", str(bag), "--ledger", str(ledger)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"preservation: {bag / 'data'}: not a folder (a link or a file is in the way);"
        " nothing is written there"
    ]
    assert (elsewhere / "photo.jpg").read_bytes() == b"damaged"
