"""Damaged serialized bags, as storage and transfers damage them: every reader of bags reports findings and
never raises. Found by fuzzing; kept as a property so that the cases stay covered."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from preservation.fixity.check import check_bag
from preservation.fixity.discover import Found, identify
from preservation.fixity.model import CheckTask
from preservation.validate.api import validate_bag
from tests.validate.conftest import make_good_bag
from tests.validate.test_validate import _serialize

KINDS = ("bag.tar", "bag.tar.gz", "bag.zip")


@pytest.fixture(scope="module")
def archives() -> Iterator[dict[str, bytes]]:
    folder = Path(tempfile.mkdtemp(prefix="preservation-damaged-"))
    bag = make_good_bag(folder / "bag")
    yield {kind: _serialize(bag, folder / kind).read_bytes() for kind in KINDS}
    shutil.rmtree(folder)


@st.composite
def damage(draw: st.DrawFn, data: bytes) -> bytes:
    damaged = bytearray(data)
    how = draw(st.sampled_from(["cut", "bytes", "zeros"]))
    if how == "cut":
        return bytes(damaged[: draw(st.integers(0, len(damaged) - 1))])
    if how == "bytes":
        for _ in range(draw(st.integers(1, 12))):
            damaged[draw(st.integers(0, len(damaged) - 1))] = draw(st.integers(0, 255))
        return bytes(damaged)
    start = draw(st.integers(0, len(damaged) - 1))
    damaged[start : start + 512] = bytes(len(damaged[start : start + 512]))
    return bytes(damaged)


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_damaged_archive_is_reported_never_raised(
    archives: dict[str, bytes], tmp_path: Path, kind: str, data: st.DataObject
) -> None:
    target = tmp_path / kind
    target.write_bytes(data.draw(damage(archives[kind])))
    validate_bag(target)
    identify(Found(str(target), "zip" if kind.endswith(".zip") else "tar"))
    result = check_bag(CheckTask(1, str(target), None))
    assert result.outcome in ("pass", "fail", "error")


def test_a_zip_member_whose_name_begins_with_a_nul_byte_is_reported(
    archives: dict[str, bytes], tmp_path: Path
) -> None:
    # zipfile ends a name at its first NUL: this member's name is empty, and zipfile's is_dir() raises on it.
    data = archives["bag.zip"]
    directory = data.rindex(b"PK\x01\x02")  # the last member's central directory record
    name = directory + 46
    target = tmp_path / "bag.zip"
    target.write_bytes(data[:name] + b"\x00" + data[name + 1 :])
    report = validate_bag(target)
    assert [f.code for f in report.findings] == ["serialization.unreadable"]
    assert "name is empty" in dict(report.findings[0].params)["reason"]
    result = check_bag(CheckTask(1, str(target), None))
    assert result.outcome == "error"
