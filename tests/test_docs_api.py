"""docs/api.md's end-to-end script (build → validate → fixity → export → verify the transfer, through the
facade) runs as it is written there, and the README links the page."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "api.md"


def test_the_end_to_end_script_of_the_api_page_runs(tmp_path: Path) -> None:
    scripts = re.findall(
        r"^```python\n(.*?)^```$", PAGE.read_text(encoding="utf-8"), re.DOTALL | re.MULTILINE
    )
    assert len(scripts) == 1
    shutil.copytree(ROOT / "samples", tmp_path / "samples")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", scripts[0]], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith("bags exported to transfer, transfer verified")
    assert {p.name for p in tmp_path.iterdir()} >= {"bags", "fixity.sqlite", "transfer"}


def test_the_readme_links_the_api_page() -> None:
    assert "(docs/api.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_architecture_names_only_modules_that_exist() -> None:
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:[a-z_]+/)*[a-z_]+\.(?:py|yaml|json))`", text))
    assert named, "the page names no module"
    package = ROOT / "preservation"
    missing = [
        name
        for name in named
        if not (ROOT / name).is_file() and not list(package.rglob(name.rsplit("/", 1)[-1]))
    ]
    assert not missing
    assert "(ARCHITECTURE.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
