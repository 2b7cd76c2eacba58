"""The CI kit (pre-commit hook, GitHub action, GitLab template) run as CI would run it, with this checkout's
`preservation` on the PATH instead of an installed one (installing is .ci/run's wheel test)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.validate.conftest import make_good_bag

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def ci_env(tmp_path: Path) -> dict[str, str]:
    """An environment whose `preservation` is this checkout's, run by this interpreter."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool = bin_dir / "preservation"
    tool.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m preservation "$@"\n')
    tool.chmod(0o755)
    return dict(
        os.environ,
        PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        PYTHONPATH=str(ROOT),
        PYTHONIOENCODING="utf-8",
        NO_COLOR="1",
    )


def bags_repo(folder: Path) -> Path:
    """A checkout holding a good bag, a bag whose payload changed and a file in no bag."""
    make_good_bag(folder / "bags" / "good")
    bad = make_good_bag(folder / "bags" / "bad", {"a.txt": b"a", "b.txt": b"b"})
    (bad / "data" / "a.txt").write_bytes(b"changed")
    (bad / "data" / "b.txt").write_bytes(b"changed")
    (folder / "README.md").write_text("bags\n")
    return folder


def git(folder: Path, *args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True, env=env)
