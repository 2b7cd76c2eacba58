"""Hostile tar, tar.gz and zip bags for `test_tar`, `test_targz` and `test_zip`, and the one verdict that
`validate` and `fixity run` must agree on for each.

A good bag (bagit-python, sha256 + sha512, tag manifests) is serialized member by member, so that a case
can add, repeat or forge members and headers with the real `tarfile`, `zipfile` and `gzip`, or raw bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import zipfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from preservation.fixity.check import check_bag
from preservation.fixity.model import CheckTask
from preservation.validate.api import validate_bag
from tests.hostile.conftest import Run, run_cli
from tests.validate.conftest import make_good_bag

Member = tuple[str, bytes | None]
"""(archive name, content); None for a folder."""


def good_members(tmp_path: Path, root: str = "bag") -> list[Member]:
    """The members of a valid bag in the order `tar` writes them: folders before what they hold."""
    bag = make_good_bag(tmp_path / "source" / root)
    members: list[Member] = [(root + "/", None)]
    for path in sorted(bag.rglob("*")):
        name = f"{root}/{path.relative_to(bag).as_posix()}"
        members.append((name + "/", None) if path.is_dir() else (name, path.read_bytes()))
    return members


def tar_info(name: str, data: bytes | None) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name.rstrip("/") if data is None else name)
    info.type = tarfile.DIRTYPE if data is None else tarfile.REGTYPE
    info.mode = 0o755 if data is None else 0o644
    info.size = 0 if data is None else len(data)
    return info


def tar_bytes(
    members: list[Member], fmt: int = tarfile.PAX_FORMAT, extra: Sequence[tuple[tarfile.TarInfo, bytes]] = ()
) -> bytes:
    """A tar of `members`, then of `extra` members given as headers (written as they are) and data."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as archive:
        for name, data in members:
            archive.addfile(tar_info(name, data), None if data is None else io.BytesIO(data))
        for info, data in extra:
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def zip_bytes(members: list[Member], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members:
            archive.writestr(name, b"" if data is None else data)
    return buffer.getvalue()


def with_tag_files(members: list[Member], extra: list[tuple[str, bytes]]) -> list[Member]:
    """`members` and the tag files `extra`, listed in the bag's tag manifests as a careful forger would."""
    for algorithm in ("sha256", "sha512"):
        lines = "".join(f"{hashlib.new(algorithm, data).hexdigest()}  {name[4:]}\n" for name, data in extra)
        manifest = f"bag/tagmanifest-{algorithm}.txt"
        members = [(n, content(members, n) + lines.encode() if n == manifest else d) for n, d in members]
    return [*members, *extra]


def without(members: list[Member], *names: str) -> list[Member]:
    return [(name, data) for name, data in members if name not in names]


def content(members: list[Member], name: str) -> bytes:
    data = dict(members)[name]
    assert data is not None
    return data


def place(tmp_path: Path, name: str, data: bytes) -> Path:
    """`data` as the only file of a fresh folder (a root for `fixity run`)."""
    folder = tmp_path / f"in-{name}"
    folder.mkdir()
    target = folder / name
    target.write_bytes(data)
    return target


@dataclass(frozen=True)
class Verdict:
    validate: Run
    fixity: Run

    @property
    def codes(self) -> set[str]:
        (bag,) = json.loads(self.validate.stdout)["bags"]
        return {finding["code"] for finding in bag["findings"] if finding["severity"] == "error"}

    @property
    def problems(self) -> set[str]:
        (checked,) = json.loads(self.fixity.stdout)["checked"]
        return {problem["kind"] for problem in checked["problems"]}

    @property
    def fixity_codes(self) -> set[str]:
        (checked,) = json.loads(self.fixity.stdout)["checked"]
        return {problem["code"] for problem in checked["problems"]}


def verdict(archive: Path, memory_mib: int | None = None, timeout: float = 60) -> Verdict:
    """`validate` and `fixity run` of `archive` as whole processes, side by side."""
    ledger = archive.parent.parent / f"{archive.name}.sqlite"
    validate = ("validate", archive, "--format", "json")
    fixity = ("fixity", "run", archive.parent, "--ledger", ledger, "--jobs", "1", "--format", "json")
    with ThreadPoolExecutor(2) as pool:
        runs = [
            pool.submit(run_cli, *args, timeout=timeout, memory_mib=memory_mib) for args in (validate, fixity)
        ]
        return Verdict(runs[0].result(), runs[1].result())


def assert_refused(archive: Path, code: str, fixity: str = "error", memory_mib: int | None = None) -> Verdict:
    """`validate` finds the bag invalid with exactly `code` among its errors (exit 1); `fixity run` says the
    same: `error` (could not check, exit 3) for an archive it cannot read, `fail` (exit 1) otherwise."""
    found = verdict(archive, memory_mib)
    assert (found.validate.code, found.codes) == (1, {code}), found.validate.output
    assert found.fixity.code == (3 if fixity == "error" else 1), found.fixity.output
    (checked,) = json.loads(found.fixity.stdout)["checked"]
    assert checked["outcome"] == fixity
    assert found.fixity_codes == {code}, found.fixity.output  # one vocabulary
    return found


def assert_valid(archive: Path) -> None:
    found = verdict(archive)
    assert (found.validate.code, found.codes) == (0, set()), found.validate.output
    assert found.fixity.code == 0, found.fixity.output


def library_verdict(archive: Path) -> tuple[set[str], str]:
    """The same verdict from the library, in this process: the error codes of `validate_bag` and the
    outcome of fixity's check of the bag (`check_bag`, what `fixity run` runs per bag)."""
    report = validate_bag(archive)
    codes = {finding.code for finding in report.findings if finding.severity == "error"}
    return codes, check_bag(CheckTask(1, str(archive), None)).outcome
