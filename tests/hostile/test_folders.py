"""Hostile folders: links, FIFOs, sockets and odd bag paths wherever validate, fixity and export look.

A bag is a real folder holding bagit.txt, or a regular file named .tar, .tar.gz, .tgz or .zip
(`preservation.bagit.locate`). Anything else in a searched folder is passed over and never opened; named on
the command line it is refused in one line (exit 2); inside a bag it is a finding and is never read. The
secret bag (`planted`) must never reach a report, a ledger or a transfer.
"""

from __future__ import annotations

import json
import os
import shutil
import tarfile
from pathlib import Path

import pytest

from preservation.bagit.locate import Found, bag_kind, search
from preservation.bagit.reader import DirectoryBag, TarBag, ZipBag
from preservation.errors import BagError, PreservationError
from preservation.export import ExportError, bag_folders, export_bags
from preservation.fixity.api import run_fixity
from preservation.fixity.check import check_bag
from preservation.fixity.discover import identify
from preservation.fixity.model import CheckTask, FixityError
from preservation.profile import Profile, load_profile
from preservation.validate.api import discover, validate_bag
from tests.hostile.conftest import run_cli
from tests.hostile.planted import ENV, KINDS, Secret, deadline, good_bag, plant, secret_bag


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile(None)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return good_bag(tmp_path_factory)


@pytest.fixture(scope="module")
def secret(tmp_path_factory: pytest.TempPathFactory) -> Secret:
    return secret_bag(tmp_path_factory)


def replace(path: Path, kind: str, secret: Secret) -> None:
    shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
    plant(path, kind, secret)


def hostile_root(root: Path, built: Path, secret: Secret) -> Path:
    """A storage root with one good bag and, beside it, everything that must not be taken for a bag."""
    root.mkdir()
    good = Path(shutil.copytree(built, root / built.name))
    plant(root / "evil.tar", "link-to-bag", secret)
    (root / "usr.tar").symlink_to("/usr")  # the issue's: walked and hashed, 34 s and 1.7 GB
    plant(root / "linked", "link-to-bag", secret)  # a symlinked bag folder
    plant(root / "evil.zip", "link-to-file", secret)  # a link to a valid serialized bag
    plant(root / "zero.tgz", "link-to-zero", secret)
    plant(root / "dangling.tar", "dangling", secret)
    plant(root / "loop.tar.gz", "loop", secret)
    plant(root / "fifo.tar", "fifo", secret)
    plant(root / "socket.zip", "socket", secret)
    (root / "folder.tar").mkdir()  # a folder named like a serialized bag is a folder, not a bag
    (root / "folder.tar" / "notes.txt").write_text("not a bag")
    (root / "sub").mkdir()
    plant(root / "sub" / "fifo.zip", "fifo", secret)  # fixity searches below the root
    return good


# --- discovery: validate, fixity run and export on a root holding links and special files


def test_validate_of_a_hostile_folder_sees_only_the_real_bag(
    tmp_path: Path, built: Path, secret: Secret
) -> None:
    good = hostile_root(tmp_path / "root", built, secret)
    run = run_cli(
        "validate", tmp_path / "root", "--format", "json", "--cross-check", timeout=30, memory_mib=1024
    )
    assert run.code == 0, run.output
    assert [bag["path"] for bag in json.loads(run.stdout)["bags"]] == [str(good)]
    assert secret.canary.content.decode() not in run.output


def test_fixity_run_on_a_hostile_root_registers_only_the_real_bag(
    tmp_path: Path, built: Path, secret: Secret
) -> None:
    good = hostile_root(tmp_path / "root", built, secret)
    ledger = tmp_path / "ledger" / "fixity.sqlite"
    ledger.parent.mkdir()
    run = run_cli(
        "fixity",
        "run",
        tmp_path / "root",
        "--ledger",
        ledger,
        "--format",
        "json",
        timeout=30,
        memory_mib=1024,
    )
    assert run.code == 0, run.output
    document = json.loads(run.stdout)
    assert [item["bag"] for item in document["checked"]] == [str(good)]
    assert document["summary"]["registered"] == 1 and document["summary"]["not_bags"] == []
    assert document["summary"]["bytes"] < 1 << 20  # /dev/zero and the secret bag were not read
    secret.canary.assert_absent(ledger.parent)


def test_export_of_a_hostile_folder_exports_only_the_real_bag(
    tmp_path: Path, built: Path, secret: Secret
) -> None:
    good = hostile_root(tmp_path / "root", built, secret)
    out = tmp_path / "transfer"
    run = run_cli("export", tmp_path / "root", "--out", out, "-q", timeout=30, memory_mib=1024)
    assert run.code == 0, run.output
    assert sorted(os.listdir(out)) == sorted(
        [f"{good.name}.tar", "README.txt", "manifest-sha512.txt", "transfer-list.csv"]
    )
    secret.canary.assert_absent(out)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", ["evil.tar", "evil.tar.gz", "evil.tgz", "evil.zip", "evil"])
def test_nothing_but_a_real_folder_or_regular_file_is_ever_a_bag(
    tmp_path: Path, secret: Secret, name: str, kind: str
) -> None:
    plant(tmp_path / name, kind, secret)
    with deadline():
        assert bag_kind(tmp_path / name) is None
        assert search(tmp_path, recursive=True) == []
        with pytest.raises(BagError, match="not followed|not a regular file|not opened"):
            discover([tmp_path / name])
        with pytest.raises(BagError):
            discover([tmp_path])  # nothing in it is a bag


def test_hidden_entries_are_passed_over_when_a_folder_is_searched(tmp_path: Path, built: Path) -> None:
    """Build and export write into hidden temporaries beside their final names: half a bag is no bag."""
    shutil.copytree(built, tmp_path / ".tmp-01187-abcdefgh")
    shutil.copytree(built, tmp_path / "sub" / ".half")
    assert search(tmp_path, recursive=True) == []
    assert bag_kind(tmp_path / ".tmp-01187-abcdefgh") == "directory"  # named, it is a bag all the same


def test_a_bag_whose_bagit_txt_is_not_a_file_is_still_found_and_not_searched(
    tmp_path: Path, built: Path, secret: Secret
) -> None:
    """A FIFO or link named bagit.txt makes a (broken) bag, reported as such, not a folder to descend into."""
    bag = Path(shutil.copytree(built, tmp_path / "bag"))
    shutil.copytree(built, bag / "data" / "inner")
    replace(bag / "bagit.txt", "fifo", secret)
    assert [(f.path, f.kind) for f in search(tmp_path, recursive=True)] == [(str(bag), "directory")]


# --- named on the command line: a link or special file is refused in one line, never followed


@pytest.mark.parametrize("kind", ["fifo", "link-to-bag"])
def test_validate_refuses_a_named_link_or_special_file(tmp_path: Path, secret: Secret, kind: str) -> None:
    plant(tmp_path / "evil.tar", kind, secret)
    run = run_cli("validate", tmp_path / "evil.tar", timeout=20)
    assert run.code == 2
    assert run.stderr.count("\n") == 1 and str(tmp_path / "evil.tar") in run.stderr
    assert secret.canary.content.decode() not in run.output


def test_export_refuses_a_named_link_to_a_bag(tmp_path: Path, secret: Secret) -> None:
    plant(tmp_path / "linked", "link-to-bag", secret)
    run = run_cli("export", tmp_path / "linked", "--out", tmp_path / "transfer", timeout=20)
    assert run.code == 2 and "symbolic link" in run.stderr and run.stderr.count("\n") == 1
    assert not (tmp_path / "transfer").exists() or not os.listdir(tmp_path / "transfer")


@pytest.mark.parametrize("kind", ["link-to-bag", "link-to-file", "dangling"])
def test_export_refuses_a_link_given_to_the_library(
    tmp_path: Path, secret: Secret, profile: Profile, kind: str
) -> None:
    plant(tmp_path / "linked", kind, secret)
    for given in (tmp_path / "linked", f"{tmp_path}/linked/", f"{tmp_path}/linked/."):
        with pytest.raises(ExportError, match="symbolic link"):
            bag_folders([given])
        with pytest.raises(BagError, match="symbolic link"):
            discover([given])
    with pytest.raises(ExportError, match="symbolic link"):
        export_bags([tmp_path / "linked"], tmp_path / "transfer", profile, environ=ENV)
    assert not (tmp_path / "transfer").exists()


def test_fixity_refuses_a_root_that_is_a_link(tmp_path: Path, built: Path) -> None:
    shutil.copytree(built, tmp_path / "real" / built.name)
    (tmp_path / "root").symlink_to(tmp_path / "real", target_is_directory=True)
    ledger = tmp_path / "fixity.sqlite"
    run = run_cli("fixity", "run", tmp_path / "root", "--ledger", ledger, timeout=20)
    assert run.code == 2 and "symbolic link" in run.stderr and run.stderr.count("\n") == 1
    assert not ledger.exists()


@pytest.mark.parametrize("kind", ["fifo", "socket", "link-to-file", "link-to-bag", "dangling", "loop"])
def test_fixity_refuses_a_root_that_is_no_folder(tmp_path: Path, secret: Secret, kind: str) -> None:
    plant(tmp_path / "root", kind, secret)
    with deadline(), pytest.raises(FixityError, match="symbolic link|not a folder"):
        run_fixity([tmp_path / "root"], tmp_path / "fixity.sqlite")
    assert not (tmp_path / "fixity.sqlite").exists()


# --- inside a bag: a link or special file as a tag file, a payload file or data/ itself

ROLES = (
    "bagit.txt",
    "bag-info.txt",
    "manifest-sha256.txt",
    "tagmanifest-sha512.txt",
    "metadata",
    "data/*",
    "data",
)


def _target(bag: Path, role: str) -> Path:
    if role == "data/*":
        return next((bag / "data").iterdir())
    return bag / role


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("role", ROLES)
def test_a_link_or_special_file_in_a_bag_is_a_finding_and_never_read(
    tmp_path: Path, built: Path, secret: Secret, profile: Profile, role: str, kind: str
) -> None:
    bag = Path(shutil.copytree(built, tmp_path / "bags" / built.name))
    target = _target(bag, role)
    replace(target, kind, secret)
    rel = target.relative_to(bag).as_posix()
    with deadline():
        report = validate_bag(bag, cross_check=True)
        checked = check_bag(CheckTask(1, str(bag), None))
        result = export_bags([bag], tmp_path / "transfer", profile, environ=ENV)
    code = "path.symlink" if kind.startswith("link") or kind in ("dangling", "loop") else "path.special"
    assert (code, rel) in {(f.code, f.file) for f in report.findings}
    assert "crosscheck.skipped-special" in {f.code for f in report.findings}  # bagit-python would follow
    assert checked.outcome != "pass"
    assert not result.exported and result.rejected
    secret.canary.assert_absent(tmp_path / "transfer")
    assert secret.canary.content.decode() not in repr((report, checked, result))


@pytest.mark.parametrize(
    ("role", "code"),
    [
        ("bagit.txt", "bagit.missing"),
        ("bag-info.txt", "tagfile.not-a-file"),
        ("manifest-sha256.txt", "tagfile.not-a-file"),
        ("metadata/dc.xml", "tagfile.not-a-file"),
        ("data/*", "payload.missing"),
    ],
)
def test_a_folder_in_place_of_a_file_is_no_file(
    tmp_path: Path, built: Path, profile: Profile, role: str, code: str
) -> None:
    bag = Path(shutil.copytree(built, tmp_path / "bags" / built.name))
    target = _target(bag, role)
    target.unlink()
    target.mkdir()
    (target / "inside.txt").write_text("a folder where a file was")
    report = validate_bag(bag)
    assert (code, target.relative_to(bag).as_posix()) in {(f.code, f.file) for f in report.findings}
    assert not report.valid
    assert check_bag(CheckTask(1, str(bag), None)).outcome == "fail"
    assert export_bags([bag], tmp_path / "transfer", profile, environ=ENV).rejected


@pytest.mark.parametrize("kind", ["fifo", "link-to-file", "dangling", "folder"])
def test_a_bag_whose_bagit_txt_is_no_file_is_a_broken_bag_to_fixity_not_no_bag(
    tmp_path: Path, built: Path, secret: Secret, kind: str
) -> None:
    """Taken for "not a bag", it was skipped until it changed, and the run passed."""
    bag = Path(shutil.copytree(built, tmp_path / "root" / built.name))
    if kind == "folder":
        (bag / "bagit.txt").unlink()
        (bag / "bagit.txt").mkdir()
    else:
        replace(bag / "bagit.txt", kind, secret)
    with deadline():
        identity = identify(Found(str(bag), "directory"))
        result = run_fixity([tmp_path / "root"], tmp_path / "fixity.sqlite")
    assert isinstance(identity, str) and "bagit.txt is a " in identity
    assert not result.not_bags
    ((checked, outcome, problems),) = [(c.bag, c.outcome, c.problems) for c in result.checked]
    assert checked == str(bag) and outcome != "pass"  # "error" where a tag manifest lists bagit.txt
    assert "bagit.txt" in {p.file for p in problems}


def test_cross_check_does_not_hand_bagit_python_a_fifo(tmp_path: Path, built: Path, secret: Secret) -> None:
    bag = Path(shutil.copytree(built, tmp_path / built.name))
    replace(_target(bag, "data/*"), "fifo", secret)
    run = run_cli("validate", bag, "--cross-check", "--format", "json", timeout=20)
    assert run.code == 1
    codes = {f["code"] for f in json.loads(run.stdout)["bags"][0]["findings"]}
    assert {"path.special", "crosscheck.skipped-special"} <= codes


# --- a bag the ledger knows, replaced by a link or special file; files swapped after they were looked at


@pytest.mark.parametrize("kind", ["fifo", "socket", "link-to-file", "link-to-bag", "link-to-zero"])
def test_a_known_bag_replaced_by_a_link_or_special_file_is_an_error_not_a_hang(
    tmp_path: Path, secret: Secret, kind: str
) -> None:
    """The nightly job checks every bag in its ledger: a FIFO put in a bag's place must not stop it."""
    path = tmp_path / "bag.tar"
    plant(path, kind, secret)
    with deadline():
        checked = check_bag(CheckTask(1, str(path), None))
        identity = identify(Found(str(path), "tar"))
    assert checked.outcome == "error" and checked.bytes_read == 0
    assert [(p.kind, p.file) for p in checked.problems] == [("unreadable", None)]
    assert "not opened" in checked.problems[0].detail
    assert isinstance(identity, str) and "not opened" in identity


@pytest.mark.parametrize("reader", [TarBag, ZipBag])
@pytest.mark.parametrize("kind", ["fifo", "link-to-file", "link-to-zero"])
def test_an_archive_swapped_after_it_was_found_is_unreadable_not_followed_or_waited_on(
    tmp_path: Path, secret: Secret, reader: type[TarBag] | type[ZipBag], kind: str
) -> None:
    path = tmp_path / ("bag.tar" if reader is TarBag else "bag.zip")
    plant(path, kind, secret)
    bag = reader(path)  # as if open_bag had seen a regular file a moment before
    with deadline():
        assert list(bag.entries()) == []
    assert [p.code for p in bag.problems] == ["serialization.unreadable"]
    assert "not a regular file" in str(bag.problems[0].params)


@pytest.mark.parametrize("kind", ["fifo", "link-to-file", "link-to-zero"])
def test_a_file_in_a_bag_folder_swapped_after_the_walk_is_not_opened(
    tmp_path: Path, built: Path, secret: Secret, kind: str
) -> None:
    bag = Path(shutil.copytree(built, tmp_path / "bag"))
    entries = {entry.path: entry for entry in DirectoryBag(bag).entries()}
    replace(bag / "bag-info.txt", kind, secret)
    with deadline(), pytest.raises(OSError, match="not a regular file"):
        entries["bag-info.txt"].open()


# --- bag paths given as `.`, `..`, `bag/`, `bag/.`, `x/..`: the bag's own name, never an empty one


@pytest.mark.parametrize(
    ("given", "cwd"),
    [
        (".", ""),
        ("./", ""),
        ("..", "data"),
        ("../", "data"),
        ("bag/", ".."),
        ("bag/.", ".."),
        ("bag/data/..", ".."),
        ("./bag/../bag", ".."),
    ],
)
def test_export_names_the_archive_after_the_bag_however_its_path_is_written(
    tmp_path: Path, built: Path, profile: Profile, monkeypatch: pytest.MonkeyPatch, given: str, cwd: str
) -> None:
    bag = Path(shutil.copytree(built, tmp_path / "bag"))
    monkeypatch.chdir(bag / cwd)
    (found,) = discover([given])
    assert Path(found).resolve() == bag
    result = export_bags([Path(given)], tmp_path / "transfer", profile, environ=ENV)
    assert [e.item.file for e in result.exported] == ["bag.tar"]
    with tarfile.open(tmp_path / "transfer" / "bag.tar") as archive:
        names = archive.getnames()
    assert names[0] == "bag" and all(n.startswith("bag/") for n in names[1:]), names


@pytest.mark.parametrize(("given", "cwd"), [(".", ""), ("..", "data")])
def test_export_of_dot_and_dot_dot_writes_no_tar_slip(
    tmp_path: Path, built: Path, given: str, cwd: str
) -> None:
    bag = Path(shutil.copytree(built, tmp_path / "bag"))
    out = tmp_path / "transfer"
    run = run_cli("export", given, "--out", out, "-q", cwd=bag / cwd)
    assert run.code == 0, run.output
    assert sorted(os.listdir(out)) == ["README.txt", "bag.tar", "manifest-sha512.txt", "transfer-list.csv"]
    with tarfile.open(out / "bag.tar") as archive:
        assert all(n == "bag" or n.startswith("bag/") for n in archive.getnames())


@pytest.mark.parametrize("name", [".hidden", "back\\slash", "..."])
def test_export_refuses_a_bag_name_no_archive_may_carry(
    tmp_path: Path, built: Path, profile: Profile, name: str
) -> None:
    shutil.copytree(built, tmp_path / name)
    with pytest.raises(ExportError, match="cannot be exported"):
        export_bags([tmp_path / name], tmp_path / "transfer", profile, environ=ENV)
    assert not (tmp_path / "transfer").exists()


def test_the_serializer_refuses_a_root_that_would_slip(tmp_path: Path) -> None:
    from preservation.export.serialize import Member, serialize

    members = (Member("", True, 0, tmp_path),)
    for root in ("", ".", "..", "a/b", "a\\b", "/abs"):
        with pytest.raises(PreservationError):
            list(serialize(members, root, "tar", 0))
