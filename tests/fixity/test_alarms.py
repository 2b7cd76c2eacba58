"""A failing bag stays loud until it is resolved: every run and every status name it, with since when and
its passing replicas, and exit non-zero; an error is tried once more before it is reported."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest

from preservation.cli import main
from preservation.fixity import api, runner
from preservation.fixity.check import check_bags
from preservation.fixity.ledger import Ledger
from preservation.fixity.model import CheckResult, CheckTask, Problem
from tests.fixity.bags import make_bag, make_bags


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def _events(ledger: str, bag: Path) -> list[dict[str, object]]:
    return list(api.history(str(bag.resolve()), Path(ledger)).to_json()["events"])


def test_a_failure_is_reported_by_every_later_run_and_status_until_a_check_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bags = make_bags(tmp_path / "root", 3)
    photo = bags[0] / "data" / "photo.jpg"
    good = photo.read_bytes()
    photo.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))  # one bit: the Payload-Oxum still holds
    root, ledger = str(tmp_path / "root"), str(tmp_path / "l.sqlite")
    assert _cli(capsys, "fixity", "run", root, "--ledger", ledger)[0] == 1
    [first] = _events(ledger, bags[0])
    since = f"{str(first['ended'])[:19]}Z"

    # The next scheduled run has nothing due but the failing bag, which it checks again and names.
    code, out = _cli(capsys, "fixity", "run", root, "--ledger", ledger)
    assert code == 1
    assert f"FAIL: {bags[0].resolve()}: [fixity.failing] still failing since {since}:" in out
    assert "checked 1 of 3 bags: 0 pass, 1 fail" in out and "failing now: 1, in error: 0" in out
    assert len(_events(ledger, bags[0])) == 2

    code, out = _cli(capsys, "fixity", "status", "--ledger", ledger, "--format", "json")
    [alarm] = json.loads(out)["alarms"]
    assert code == 1
    assert (alarm["bag"], alarm["status"], alarm["since"]) == (str(bags[0].resolve()), "fail", first["ended"])
    assert [p["file"] for p in alarm["problems"]] == ["data/photo.jpg"] * 2  # for sha256 and for sha512

    # Repaired by hand: the next run notices it, and everything goes quiet.
    photo.write_bytes(good)
    code, out = _cli(capsys, "fixity", "run", root, "--ledger", ledger, "--format", "json")
    assert (code, json.loads(out)["alarms"], json.loads(out)["summary"]["pass"]) == (0, [], 1)
    assert _cli(capsys, "fixity", "status", "--ledger", ledger)[0] == 0


def test_errors_alone_exit_3_in_run_and_status_and_name_the_bag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bags = make_bags(tmp_path / "root", 2)
    root, ledger = str(tmp_path / "root"), str(tmp_path / "l.sqlite")
    assert _cli(capsys, "fixity", "run", root, "--ledger", ledger)[0] == 0
    shutil.rmtree(bags[1])
    # Gone from where the ledger has it: checked at once, though not due for 90 days.
    code, out = _cli(capsys, "fixity", "run", root, "--ledger", ledger, "--format", "json")
    assert code == 3 and [item["outcome"] for item in json.loads(out)["checked"]] == ["error"]
    code, out = _cli(capsys, "fixity", "run", root, "--ledger", ledger)  # and by every later run
    assert code == 3 and f"ERROR: {bags[1].resolve()}: [fixity.in-error] still not checkable since" in out
    code, out = _cli(capsys, "fixity", "status", "--ledger", ledger)
    assert code == 3 and f"ERROR: {bags[1].resolve()}: [fixity.in-error]" in out


def test_the_failure_report_names_the_passing_replicas(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original = make_bag(tmp_path / "root" / "a" / "bag", "urn:ks:1")
    copies = [tmp_path / "root" / name / "bag" for name in ("b", "c")]
    for copy in copies:
        shutil.copytree(original, copy)
    (copies[1] / "data" / "release.txt").write_text("damaged")
    make_bag(tmp_path / "root" / "d" / "bag", "urn:ks:2")  # another bag: no replica of the failing one
    root, ledger = str(tmp_path / "root"), str(tmp_path / "l.sqlite")
    code, out = _cli(capsys, "fixity", "run", root, "--ledger", ledger)
    assert code == 1
    replicas = f"{original.resolve()}, {copies[0].resolve()}"
    assert f"  [fixity.replicas] passing replicas (same External-Identifier and anchor): {replicas}" in out
    code, out = _cli(capsys, "fixity", "status", "--ledger", ledger, "--format", "json")
    [alarm] = json.loads(out)["alarms"]
    assert alarm["replicas"] == [str(original.resolve()), str(copies[0].resolve())]
    api.write_report(Path(ledger), tmp_path / "report.html")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert str(original.resolve()) in page and str(copies[0].resolve()) in page
    assert f"preservation fixity repair {copies[1].resolve()} --ledger" in page

    for copy in (original, copies[0]):
        (copy / "data" / "release.txt").write_text("damaged too")
    code, out = _cli(capsys, "fixity", "run", root, "--ledger", ledger, "--all")
    assert code == 1 and out.count("[fixity.no-replica] no passing replica in the ledger") == 3


def test_fail_on_overdue_makes_bags_not_checked_within_the_period_an_alarm(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bags = make_bags(tmp_path / "root", 3)
    root, ledger = str(tmp_path / "root"), str(tmp_path / "l.sqlite")
    # A budget leaves two bags never checked: overdue.
    assert _cli(capsys, "fixity", "run", root, "--ledger", ledger, "--max-bags", "1")[0] == 0
    code, out = _cli(
        capsys, "fixity", "run", root, "--ledger", ledger, "--max-bags", "1", "--fail-on", "overdue"
    )
    assert code == 1
    assert f"OVERDUE: {bags[2].resolve()}: [fixity.overdue] overdue: not checked within 90 days" in out
    assert _cli(capsys, "fixity", "run", root, "--ledger", ledger, "--fail-on", "overdue")[0] == 0
    assert _cli(capsys, "fixity", "status", "--ledger", ledger, "--fail-on", "overdue")[0] == 0
    # A period of no time: every check is older than it.
    code, out = _cli(
        capsys, "fixity", "status", "--ledger", ledger, "--older-than", "0s", "--fail-on", "overdue"
    )
    assert code == 1 and out.count("[fixity.overdue]") == 3
    assert _cli(capsys, "fixity", "status", "--ledger", ledger, "--older-than", "0s")[0] == 0


class _Blinking:
    """Checks as usual, but reports the bags at `paths` unreadable the first `times` times."""

    def __init__(self, paths: Sequence[Path], times: int) -> None:
        self.paths = {str(path.resolve()) for path in paths}
        self.times = times
        self.calls: Counter[str] = Counter()

    def __call__(self, tasks: Sequence[CheckTask]) -> tuple[CheckResult, ...]:
        results = []
        for task, result in zip(tasks, check_bags(tasks), strict=True):
            self.calls[task.path] += 1
            if task.path in self.paths and self.calls[task.path] <= self.times:
                problem = Problem("unreadable", None, "bag cannot be reached: Stale file handle")
                result = CheckResult(task.bag_id, task.path, "error", (problem,), 0)
            results.append(result)
        return tuple(results)


@pytest.mark.parametrize("times", [1, 2])
def test_an_error_is_tried_once_more_in_the_same_run_before_it_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, times: int
) -> None:
    bags = make_bags(tmp_path / "root", 3)
    ledger = tmp_path / "l.sqlite"
    api.run_fixity([tmp_path / "root"], ledger, jobs=1)
    blinking = _Blinking(bags[:1], times)
    monkeypatch.setattr(runner, "check_bags", blinking)
    result = api.run_fixity([tmp_path / "root"], ledger, check_all=True, jobs=1)
    assert blinking.calls[str(bags[0].resolve())] == 2 and blinking.calls[str(bags[1].resolve())] == 1
    outcome = "pass" if times == 1 else "error"
    expected = Counter({"pass": 3}) if times == 1 else Counter({"pass": 2, "error": 1})
    assert result.counts() == expected
    assert result.worst() == outcome
    with Ledger(ledger, read_only=True) as read:
        [bag] = read.find(str(bags[0].resolve()))
        # One event per run: the check that could not be made is not recorded, its second try is.
        assert [event.outcome for event in read.events([bag.id])] == ["pass", outcome]
