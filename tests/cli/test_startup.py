"""Starting a command loads only what it uses: the libraries below cost tens of milliseconds each."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("lxml", "jsonschema", "yaml", "bagit", "dask", "distributed", "pygfried", "tqdm", "sqlite3")
HEAVY_STDLIB = ("multiprocessing", "concurrent.futures", "importlib.metadata", "tarfile", "hashlib")


def loaded_by(code: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"],
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        check=True,
    )
    return set(done.stdout.split())


def test_importing_the_cli_loads_none_of_the_heavy_libraries():
    loaded = loaded_by("import preservation.cli")
    assert {m for m in loaded if m.split(".")[0] in HEAVY} == set()
    assert {m for m in HEAVY_STDLIB if m in loaded} == set()


def test_the_version_is_read_only_when_asked_for():
    assert "importlib.metadata" not in loaded_by("import preservation")
    done = subprocess.run(
        [sys.executable, "-m", "preservation", "--version"],
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and done.stdout.startswith("preservation ")
