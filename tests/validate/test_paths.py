"""Which bags `validate` is given: a transfer folder's bag files, and the bags holding changed files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from preservation.cli import main
from preservation.export.api import export_bags
from preservation.profile import load_profile
from preservation.validate.api import bags_holding

from .conftest import make_good_bag


@pytest.mark.parametrize("serialization", ["tar", "zip"])
def test_a_transfer_folder_is_validated_bag_file_by_bag_file(
    tmp_path: Path, built_bags: list[Path], capsys: pytest.CaptureFixture[str], serialization: str
) -> None:
    transfer = tmp_path / "transfer"
    result = export_bags(built_bags[:2], transfer, load_profile(), serialization)
    assert result.complete
    assert main(["validate", str(transfer)]) == 0
    out = capsys.readouterr().out
    names = sorted(p.name for p in transfer.glob(f"*.{serialization}"))
    assert [line.split(" ")[0] for line in out.splitlines()[:-1]] == [str(transfer / n) for n in names]
    assert out.splitlines()[-1].startswith("2 bags: 2 valid,")


def test_a_bag_that_lost_bagit_txt_is_still_a_broken_bag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Even beside a stray archive: the folder has data/, so it is a bag, not a folder of bags.
    bag = make_good_bag(tmp_path / "bag")
    (bag / "bagit.txt").unlink()
    (bag / "old.zip").write_bytes(b"")
    assert main(["validate", str(bag)]) == 1
    assert "[bagit.missing]" in capsys.readouterr().out


def test_changed_files_name_each_bag_holding_them_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    make_good_bag(Path("bags/one"), {"a.txt": b"a", "sub/b.txt": b"b"})
    outer = make_good_bag(Path("bags/outer"))
    shutil.copytree("bags/one", outer / "data" / "inner")  # a bag in a bag's payload
    lost = make_good_bag(Path("bags/lost"))
    (lost / "bagit.txt").unlink()
    Path("bags/packed.tar").write_bytes(b"")
    Path("notes").mkdir()
    Path("notes/data.txt").write_text("x")
    changed = [
        "bags/one/data/a.txt",
        "bags/one/data/sub/b.txt",
        "bags/one/bag-info.txt",
        "notes/data.txt",
        "bags/outer/data/inner/data/a.txt",
        "bags/lost/manifest-sha256.txt",
        "bags/packed.tar",
        "bags/lost/data/a.txt",  # no bagit.txt above it: nothing says which folder is the bag
    ]
    assert bags_holding(changed) == [
        Path("bags/one"),
        Path("bags/outer/data/inner"),
        Path("bags/outer"),
        Path("bags/lost"),
        Path("bags/packed.tar"),
    ]


def test_validate_containing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bag = make_good_bag(tmp_path / "bag")
    (bag / "data" / "a.txt").write_bytes(b"changed")
    files = [bag / "data" / "a.txt", bag / "data" / "sub" / "b.txt", tmp_path / "README.md"]
    assert main(["validate", "--containing", *map(str, files)]) == 1
    out = capsys.readouterr().out
    assert out.count(f"{bag} (directory): INVALID") == 1
    assert out.splitlines()[-1].startswith("1 bag: 0 valid, 0 valid with warnings, 1 invalid")
    assert main(["validate", "--containing", str(tmp_path / "README.md")]) == 0
    assert capsys.readouterr().out.startswith("0 bags: ")
