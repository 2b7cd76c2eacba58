"""Hostile input: the CLI run as a whole process, as an attacker would drive it.

Every case runs `python -m preservation` in a child with a time limit (a hang fails the test instead of the
suite) and, where memory is the point, an address-space limit. `canary` is a file outside every input whose
bytes must never reach a bag, a transfer, a report or a ledger.
"""

from __future__ import annotations

import gzip
import os
import resource
import subprocess
import sys
import tarfile
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_cli(
    *args: str | os.PathLike[str], timeout: float = 60, memory_mib: int | None = None, cwd: Path | None = None
) -> Run:
    """The CLI as a user runs it; fails the test on a hang (timeout) or a traceback."""

    def limit() -> None:
        if memory_mib is not None:
            size = memory_mib << 20
            resource.setrlimit(resource.RLIMIT_AS, (size, size))

    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONIOENCODING="utf-8")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "preservation", *[os.fspath(arg) for arg in args]],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            preexec_fn=limit,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"preservation {' '.join(map(str, args))} hung for {timeout} s")
    run = Run(
        done.returncode,
        done.stdout.decode("utf-8", "backslashreplace"),
        done.stderr.decode("utf-8", "backslashreplace"),
    )
    assert "Traceback" not in run.output, run.output
    return run


@dataclass(frozen=True)
class Canary:
    path: Path
    content: bytes

    def assert_absent(self, *roots: Path) -> None:
        """No file under `roots` (inside tar, gzip and zip files too) holds the canary's bytes."""
        for root in roots:
            for file in _files(root):
                for name, data in _contents(file):
                    assert self.content not in data, f"the canary reached {name}"


def _files(root: Path) -> Iterator[Path]:
    if root.is_file() and not root.is_symlink():
        yield root
        return
    for parent, _, names in os.walk(root):
        for name in names:
            path = Path(parent, name)
            if path.is_file() and not path.is_symlink():
                yield path


def _contents(file: Path) -> Iterator[tuple[str, bytes]]:
    data = file.read_bytes()
    yield str(file), data
    name = file.name.lower()
    try:
        if name.endswith((".gz", ".tgz")):
            yield f"{file} (decompressed)", gzip.decompress(data)
        if name.endswith((".tar", ".tar.gz", ".tgz")):
            with tarfile.open(file) as archive:
                for member in archive:
                    stream = archive.extractfile(member) if member.isfile() else None
                    if stream is not None:
                        yield f"{file}:{member.name}", stream.read()
        if name.endswith(".zip"):
            with zipfile.ZipFile(file) as archive:
                for info in archive.infolist():
                    yield f"{file}:{info.filename}", archive.read(info)
    except (OSError, EOFError, tarfile.TarError, zipfile.BadZipFile):
        pass  # a deliberately damaged archive: its raw bytes were searched above


@pytest.fixture
def canary(tmp_path_factory: pytest.TempPathFactory) -> Canary:
    content = f"CANARY-{uuid.uuid4()}-secret outside every input".encode()
    path = tmp_path_factory.mktemp("outside") / "secret.txt"
    path.write_bytes(content)
    return Canary(path, content)
