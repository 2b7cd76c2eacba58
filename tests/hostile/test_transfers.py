"""Hostile transfer folders: `verify-transfer` lstats every name it reads, and reads regular files only.

A listed bag file, a fixed file (README, transfer list) or the manifest replaced by a folder, a link (to a
byte-identical copy, to a secret, to /dev/zero, dangling, looping), a FIFO or a socket is never opened:
a listed or fixed file that is not a regular file is unreadable (exit 1); a manifest that is not a
regular file, or a transfer folder that is a link, is no transfer folder to verify (exit 2).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from preservation.export import export_bags, verify_transfer
from preservation.export.verify import TransferError
from preservation.profile import Profile, load_profile
from tests.hostile.conftest import Canary, run_cli
from tests.hostile.planted import ENV, Secret, deadline, good_bag, plant, secret_bag

KINDS = ("folder", "link-to-copy", "link-to-file", "link-to-zero", "dangling", "loop", "fifo", "socket")


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile(None)


@pytest.fixture(scope="module")
def secret(tmp_path_factory: pytest.TempPathFactory) -> Secret:
    return secret_bag(tmp_path_factory)


@pytest.fixture(scope="module")
def transfer(tmp_path_factory: pytest.TempPathFactory, profile: Profile) -> Path:
    """A complete transfer of one valid bag; copy it before changing anything."""
    bag = good_bag(tmp_path_factory)
    out = tmp_path_factory.mktemp("done") / "transfer"
    result = export_bags([bag], out, profile, environ=ENV)
    assert result.ok and result.complete
    return out


def _copy(transfer: Path, tmp_path: Path) -> tuple[Path, str]:
    folder = Path(shutil.copytree(transfer, tmp_path / "transfer"))
    (name,) = [n for n in os.listdir(folder) if n.endswith(".tar")]
    return folder, name


def put(path: Path, kind: str, secret: Secret, copy_of: Path) -> None:
    """Replace `path` by an entry of `kind`."""
    saved = path.parent.parent / f"copy-of-{path.name}"
    shutil.copyfile(copy_of, saved)
    path.unlink()
    if kind == "folder":
        path.mkdir()
        shutil.copyfile(saved, path / "inside")
    elif kind == "link-to-copy":  # byte for byte what the manifest lists: only the link is wrong
        path.symlink_to(saved)
    elif kind == "link-to-file":
        path.symlink_to(secret.tar)
    else:
        plant(path, kind, secret)


@pytest.mark.parametrize("kind", KINDS)
def test_a_listed_bag_file_that_is_not_a_regular_file_is_unreadable(
    tmp_path: Path, transfer: Path, secret: Secret, profile: Profile, kind: str
) -> None:
    folder, name = _copy(transfer, tmp_path)
    put(folder / name, kind, secret, transfer / name)
    with deadline():
        report = verify_transfer(folder, profile)
    assert [(p.kind, p.file) for p in report.problems] == [("unreadable", name)]
    assert not report.bags
    assert secret.canary.content.decode() not in repr(report)


def test_verify_transfer_reports_a_bag_file_replaced_by_a_fifo(
    tmp_path: Path, transfer: Path, secret: Secret
) -> None:
    folder, name = _copy(transfer, tmp_path)
    put(folder / name, "fifo", secret, transfer / name)
    run = run_cli("verify-transfer", folder, "--format", "json", timeout=20)
    assert run.code == 1
    (problem,) = json.loads(run.stdout)["problems"]
    assert problem["kind"] == "unreadable" and problem["file"] == name
    assert "not a regular file" in problem["message"] and problem["code"] == "transfer.not-regular"


@pytest.mark.parametrize("fixed", ["README.txt", "transfer-list.csv"])
@pytest.mark.parametrize("kind", ["fifo", "folder", "link-to-copy", "link-to-zero"])
def test_a_fixed_file_that_is_not_a_regular_file_is_unreadable(
    tmp_path: Path, transfer: Path, secret: Secret, profile: Profile, fixed: str, kind: str
) -> None:
    folder, _ = _copy(transfer, tmp_path)
    put(folder / fixed, kind, secret, transfer / fixed)
    with deadline():
        report = verify_transfer(folder, profile)
    assert [(p.kind, p.file) for p in report.problems] == [("unreadable", fixed)]


@pytest.mark.parametrize("kind", ["fifo", "folder", "link-to-copy", "link-to-zero", "dangling"])
def test_a_manifest_that_is_not_a_regular_file_is_refused(
    tmp_path: Path, transfer: Path, secret: Secret, profile: Profile, kind: str
) -> None:
    folder, _ = _copy(transfer, tmp_path)
    put(folder / "manifest-sha512.txt", kind, secret, transfer / "manifest-sha512.txt")
    with deadline(), pytest.raises(TransferError, match="not a regular file"):
        verify_transfer(folder, profile)


def test_verify_transfer_of_a_fifo_manifest_is_one_line_not_a_hang(
    tmp_path: Path, transfer: Path, secret: Secret
) -> None:
    folder, _ = _copy(transfer, tmp_path)
    put(folder / "manifest-sha512.txt", "fifo", secret, transfer / "manifest-sha512.txt")
    run = run_cli("verify-transfer", folder, timeout=20)
    assert run.code == 2 and run.stderr.count("\n") == 1 and "manifest-sha512.txt" in run.stderr


@pytest.mark.parametrize("kind", ["link-to-copy", "fifo", "socket"])
def test_a_transfer_folder_that_is_a_link_or_no_folder_is_refused(
    tmp_path: Path, transfer: Path, secret: Secret, profile: Profile, kind: str
) -> None:
    if kind == "link-to-copy":
        (tmp_path / "link").symlink_to(transfer, target_is_directory=True)
    else:
        plant(tmp_path / "link", kind, secret)
    with deadline(), pytest.raises(TransferError):
        verify_transfer(tmp_path / "link", profile)


def test_verify_transfer_refuses_a_link_named_on_the_command_line(tmp_path: Path, transfer: Path) -> None:
    (tmp_path / "link").symlink_to(transfer, target_is_directory=True)
    run = run_cli("verify-transfer", tmp_path / "link", timeout=20)
    assert run.code == 2 and "symbolic link" in run.stderr and run.stderr.count("\n") == 1


def test_verify_transfer_of_dot(tmp_path: Path, transfer: Path) -> None:
    folder, _ = _copy(transfer, tmp_path)
    run = run_cli("verify-transfer", ".", cwd=folder, timeout=20)
    assert run.code == 0, run.output


def test_a_canary_behind_a_listed_link_never_reaches_the_report(
    tmp_path: Path, transfer: Path, secret: Secret
) -> None:
    folder, name = _copy(transfer, tmp_path)
    (folder / name).unlink()
    (folder / name).symlink_to(secret.canary.path)
    run = run_cli("verify-transfer", folder, "--format", "json", timeout=20)
    assert run.code == 1
    assert secret.canary.content.decode() not in run.output
    Canary(secret.canary.path, secret.canary.content).assert_absent(folder / "README.txt")
