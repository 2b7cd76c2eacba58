"""The harness itself: a canary hidden in an archive is found, a traceback fails the run."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from tests.hostile.conftest import Canary, run_cli


def test_a_canary_inside_a_compressed_tar_is_found(canary: Canary, tmp_path: Path) -> None:
    with tarfile.open(tmp_path / "bag.tar.gz", "w:gz") as archive:
        archive.add(canary.path, "bag/data/secret.txt")
    with pytest.raises(AssertionError, match="canary reached"):
        canary.assert_absent(tmp_path)


def test_usage_errors_are_one_line_not_a_traceback(tmp_path: Path) -> None:
    run = run_cli("validate", tmp_path / "nothing-here")
    assert run.code == 2
