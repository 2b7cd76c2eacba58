"""Reports are written whole or not at all, readable by others, with errors that name the file."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from preservation import atomic
from preservation.errors import PreservationError


def test_a_report_replaces_the_old_one_whole_and_others_may_read_it(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    atomic.write_text(target, "neu: Grünfläche")
    assert target.read_text(encoding="utf-8") == "neu: Grünfläche"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary left behind


def test_a_report_that_cannot_be_written_is_named_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(PreservationError, match="cannot be written: No such file or directory") as caught:
        atomic.write_text(tmp_path / "missing" / "report.json", "x")
    assert caught.value.source == str(tmp_path / "missing" / "report.json")
    assert list(tmp_path.iterdir()) == []
