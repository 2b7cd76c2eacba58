"""A file the validator may not read is reported as unreadable, never as a checksum mismatch.

Tests run as root in CI, and root reads every file whatever its mode; so the validation runs in a forked
child that has given up root, against a bag whose file has mode 000. The parent keeps its privileges.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from preservation.validate.api import validate_bag
from tests.validate.conftest import make_good_bag

NOBODY = 65534


@pytest.fixture
def open_tmp() -> Iterator[Path]:
    """A folder an unprivileged user can traverse (pytest's own tmp folders are private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="preservation-unreadable-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


def validate_as_unprivileged(bag: Path) -> list[tuple[str, str | None]]:
    validate_bag(bag)  # loads every module the child needs while it may still read them
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(NOBODY)
                os.setuid(NOBODY)
            report = validate_bag(bag)
            os.write(write, json.dumps([(f.code, f.file) for f in report.findings]).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as stream:
        data = stream.read()
    os.waitpid(pid, 0)
    return [tuple(item) for item in json.loads(data)]


def test_a_file_without_read_permission_is_unreadable_not_changed(open_tmp: Path) -> None:
    bag = make_good_bag(open_tmp / "bag")
    for path in [bag, *bag.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    (bag / "data" / "a.txt").chmod(0)
    assert validate_as_unprivileged(bag) == [("payload.unreadable", "data/a.txt")]
