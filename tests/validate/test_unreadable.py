"""What the validator may not read is reported as unreadable, never as a checksum mismatch or a traceback."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

from preservation.cli import main
from preservation.validate.api import validate_bag
from tests.unprivileged import run_unprivileged
from tests.validate.conftest import make_good_bag


def validate_as_unprivileged(bag: Path) -> list[tuple[str, str | None]]:
    validate_bag(bag)  # loads every module the child needs while it may still read them
    findings = run_unprivileged(lambda: [(f.code, f.file) for f in validate_bag(bag).findings])
    return [tuple(item) for item in findings]


def test_a_file_without_read_permission_is_unreadable_not_changed(open_tmp: Path) -> None:
    bag = make_good_bag(open_tmp / "bag")
    for path in [bag, *bag.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    (bag / "data" / "a.txt").chmod(0)
    assert validate_as_unprivileged(bag) == [("payload.unreadable", "data/a.txt")]


def test_a_folder_that_cannot_be_listed_is_named_in_one_line(open_tmp: Path) -> None:
    locked = open_tmp / "bags"
    make_good_bag(locked / "bag")
    locked.chmod(0)

    def validate_cli() -> list[Any]:
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            code = main(["validate", str(locked), str(locked / "bag")])
        return [code, stderr.getvalue()]

    main(["validate", str(open_tmp / "no such bag")])  # loads the CLI's modules while root
    code, stderr = run_unprivileged(validate_cli)
    assert code == 2
    assert stderr.strip().splitlines() == [f"preservation: {locked}: cannot be read: Permission denied"]
