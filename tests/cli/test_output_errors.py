"""An output that cannot be written ends the command in one line, not a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.skipif(
    not Path("/dev/full").exists(), reason="needs Linux's /dev/full, a device that is always full"
)
def test_a_full_disk_under_the_output_is_one_line_and_exit_2(samples_dir: Path) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "preservation", "inspect", str(samples_dir), "--format", "json"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert done.returncode == 2
    assert done.stderr.splitlines() == ["preservation: No space left on device"]
