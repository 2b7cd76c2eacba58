"""`preservation fixity …`: exit codes, the JSON contract, text output."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from preservation.cli import main
from tests.fixity.bags import make_bags

KINDS = {"changed", "missing", "extra", "tag-changed", "anchor-mismatch", "unreadable"}


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_exit_codes_and_json_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bags = make_bags(tmp_path / "root", 3)
    root, ledger = str(tmp_path / "root"), str(tmp_path / "l.sqlite")
    code, out = _run(capsys, "fixity", "run", root, "--ledger", ledger, "--format", "json")
    document = json.loads(out)
    assert code == 0
    assert set(document) == {"checked", "skipped", "alarms", "summary"}
    assert [set(item) for item in document["checked"]] == [{"bag", "outcome", "problems"}] * 3
    assert document["summary"]["pass"] == 3 and document["skipped"] == 0

    shutil.rmtree(bags[0])
    code, out = _run(capsys, "fixity", "run", root, "--ledger", ledger, "--all", "--format", "json")
    assert code == 3  # an error, no failure

    (bags[1] / "data" / "release.txt").unlink()
    (bags[2] / "data" / "new.txt").write_text("x")
    code, out = _run(capsys, "fixity", "run", root, "--ledger", ledger, "--all", "--format", "json")
    assert code == 1
    problems = [p for item in json.loads(out)["checked"] for p in item["problems"]]
    assert {p["kind"] for p in problems} <= KINDS
    assert {(p["kind"], p["file"]) for p in problems} == {
        ("unreadable", None),
        ("missing", "data/release.txt"),
        ("extra", "data/new.txt"),
        ("tag-changed", "bag-info.txt"),  # its Payload-Oxum, in each of the two bags
    }


def test_text_output_status_and_history(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bags = make_bags(tmp_path / "root", 2)
    (bags[0] / "data" / "photo.jpg").write_bytes(b"x")
    ledger = str(tmp_path / "l.sqlite")
    report = tmp_path / "r.html"
    code, out = _run(
        capsys, "fixity", "run", str(tmp_path / "root"), "--ledger", ledger, "--report", str(report)
    )
    assert code == 1
    assert f"FAIL {bags[0].resolve()}" in out and "data/photo.jpg" in out and "1 pass, 1 fail" in out
    assert report.is_file()
    code, out = _run(capsys, "fixity", "status", "--ledger", ledger, "--format", "json")
    assert (code, json.loads(out)["failing"], json.loads(out)["known"]) == (1, 1, 2)
    code, out = _run(capsys, "fixity", "history", str(bags[0]), "--ledger", ledger)
    assert code == 0 and "fail" in out
    code, out = _run(capsys, "fixity", "history", "urn:ks:bag:1", "--ledger", ledger, "--format", "premis")
    assert code == 0 and out.startswith("<?xml")


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fixity", "status", "--ledger", str(tmp_path / "none.sqlite")]) == 2
    assert main(["fixity", "run", str(tmp_path / "missing"), "--ledger", str(tmp_path / "l.sqlite")]) == 2
    with pytest.raises(SystemExit) as exit_:
        main(["fixity", "run", str(tmp_path), "--ledger", "x", "--max-bags", "2", "--max-bytes", "1G"])
    assert exit_.value.code == 2
    with pytest.raises(SystemExit) as exit_:
        main(["fixity", "run", str(tmp_path), "--ledger", "x", "--older-than", "soon"])
    assert exit_.value.code == 2
    capsys.readouterr()


def test_sizes_and_durations() -> None:
    from datetime import timedelta

    from preservation.cli.common import parse_size
    from preservation.cli.fixity_cmd import parse_duration

    assert (
        parse_size("500M") == 500 * 1024**2 and parse_size("2GiB") == 2 * 1024**3 and parse_size("10") == 10
    )
    assert parse_duration("90d") == timedelta(days=90) and parse_duration("2h") == timedelta(hours=2)


def test_an_archive_holding_no_bag_is_named_and_does_not_fail_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_bags(tmp_path / "root", 1)
    shutil.make_archive(str(tmp_path / "root" / "scans"), "zip", tmp_path, "root")  # no bag at its top
    root, ledger = str(tmp_path / "root"), str(tmp_path / "l.sqlite")
    code, out = _run(capsys, "fixity", "run", root, "--ledger", ledger)
    assert code == 0
    assert (
        f"not a bag (no bagit.txt in its top-level folder), skipped until it changes: {root}/scans.zip" in out
    )
    code, out = _run(capsys, "fixity", "run", root, "--ledger", ledger, "--all", "--format", "json")
    assert (code, json.loads(out)["summary"]["not_bags"]) == (0, [])
    code, out = _run(capsys, "fixity", "status", "--ledger", ledger, "--format", "json")
    assert (code, json.loads(out)["known"], json.loads(out)["not_bags"]) == (0, 1, 1)
    code, out = _run(capsys, "fixity", "status", "--ledger", ledger)
    assert "not bags, skipped:    1" in out.splitlines()


def test_a_report_into_a_missing_folder_is_refused_before_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_bags(tmp_path / "root", 1)
    ledger = tmp_path / "l.sqlite"
    report = tmp_path / "missing" / "r.html"
    argv = ["fixity", "run", str(tmp_path / "root"), "--ledger", str(ledger), "--report", str(report)]
    assert main(argv) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"preservation: {report}: the report's folder does not exist"
    ]
    assert not ledger.exists()  # nothing was checked
