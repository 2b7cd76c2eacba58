"""run_fixity end to end on real bags: registration, moves, gone bags, crashes, concurrency, Dask."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from preservation.cli import main
from preservation.fixity import api
from preservation.fixity.ledger import Ledger
from preservation.fixity.model import FixityError, Identity, NotABag
from preservation.fixity.schedule import Budget
from tests.fixity.bags import Clock, make_bag, make_bags, tar_bag, zip_bag
from tests.unprivileged import run_unprivileged

REPO = Path(__file__).resolve().parents[2]


def _outcomes(result: api.RunResult) -> dict[str, str]:
    return {item.bag: item.outcome for item in result.checked}


def test_first_run_registers_and_checks_all(tmp_path: Path, clock: Clock) -> None:
    bags = make_bags(tmp_path / "root", 3)
    tar_bag(make_bag(tmp_path / "src" / "t", "urn:ks:t"), tmp_path / "root" / "t.tar.gz", "w:gz")
    zip_bag(make_bag(tmp_path / "src" / "z", "urn:ks:z"), tmp_path / "root" / "z")
    result = api.run_fixity([tmp_path / "root"], tmp_path / "l.sqlite", clock=clock, jobs=1)
    assert result.registered == 5 and result.skipped == 0
    assert set(_outcomes(result).values()) == {"pass"}
    assert str(bags[0].resolve()) in _outcomes(result)
    again = api.run_fixity([tmp_path / "root"], tmp_path / "l.sqlite", clock=clock, jobs=1)
    assert (again.checked, again.registered) == ((), 0)  # nothing due within the period


def test_moved_bag_keeps_its_history(tmp_path: Path, clock: Clock) -> None:
    (bag,) = make_bags(tmp_path / "root" / "old", 1)
    ledger = tmp_path / "l.sqlite"
    api.run_fixity([tmp_path / "root"], ledger, clock=clock, jobs=1)
    new_place = tmp_path / "root" / "new" / bag.name
    new_place.parent.mkdir()
    shutil.move(bag, new_place)
    result = api.run_fixity([tmp_path / "root"], ledger, clock=clock, jobs=1, check_all=True)
    assert result.registered == 0
    assert result.moved == ((str(bag.resolve()), str(new_place.resolve())),)
    assert _outcomes(result) == {str(new_place.resolve()): "pass"}
    found = api.history("urn:ks:bag:0", ledger)
    assert len(found.bags) == 1 and len(found.events) == 2 and len(found.moves) == 1


def test_deleted_bag_is_an_error(tmp_path: Path, clock: Clock) -> None:
    bags = make_bags(tmp_path / "root", 2)
    ledger = tmp_path / "l.sqlite"
    api.run_fixity([tmp_path / "root"], ledger, clock=clock, jobs=1)
    shutil.rmtree(bags[1])
    result = api.run_fixity([tmp_path / "root"], ledger, clock=clock, jobs=1, check_all=True)
    assert _outcomes(result) == {str(bags[0].resolve()): "pass", str(bags[1].resolve()): "error"}
    assert api.status(ledger, clock=clock).in_error == 1


def test_budgets_and_time_budget(tmp_path: Path) -> None:
    make_bags(tmp_path / "root", 12)
    ledger = tmp_path / "l.sqlite"
    first = api.run_fixity([tmp_path / "root"], ledger, clock=Clock(), jobs=1, budget=Budget(max_bags=2))
    assert (len(first.checked), first.skipped) == (2, 10)
    # Each clock read moves on by an hour: the budget runs out after the first batch is dispatched.
    slow = Clock(step=timedelta(hours=1))
    second = api.run_fixity(
        [tmp_path / "root"], ledger, clock=slow, jobs=1, time_budget=timedelta(minutes=90)
    )
    assert 1 <= len(second.checked) < 10 and len(second.checked) + second.skipped == 10
    with Ledger(ledger) as db:
        assert not any(
            row for row in db._db.execute("SELECT claimed_by FROM bags WHERE claimed_by IS NOT NULL")
        )


def test_exception_mid_run_keeps_completed_checks(
    tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_bags(tmp_path / "root", 6)
    ledger = tmp_path / "l.sqlite"
    # Where every recording of checks is written, whether the run waits for it or hands it to the
    # ledger's writer thread: an error there reaches the run at its next ledger call.
    real_record = Ledger._record
    calls = []

    def record(self: Ledger, *args: object, **kwargs: object) -> None:
        calls.append(1)
        if len(calls) == 4:
            raise RuntimeError("power cut")
        real_record(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Ledger, "_record", record)
    with pytest.raises(RuntimeError):
        api.run_fixity([tmp_path / "root"], ledger, clock=clock, jobs=1)
    monkeypatch.undo()
    assert _event_counts(ledger) == {"events": 3, "checked_bags": 3, "claimed": 0}
    resumed = api.run_fixity([tmp_path / "root"], ledger, clock=clock, jobs=1)
    assert len(resumed.checked) == 3
    assert _event_counts(ledger) == {"events": 6, "checked_bags": 6, "claimed": 0}


def _event_counts(ledger: Path) -> dict[str, int]:
    db = sqlite3.connect(ledger)
    try:
        per_bag = db.execute("SELECT bag, COUNT(*) FROM events GROUP BY bag").fetchall()
        assert all(count == 1 for _, count in per_bag), per_bag  # no bag checked twice
        checked = db.execute("SELECT COUNT(*) FROM bags WHERE last_checked_at IS NOT NULL").fetchone()[0]
        claimed = db.execute("SELECT COUNT(*) FROM bags WHERE claimed_by IS NOT NULL").fetchone()[0]
        return {"events": sum(c for _, c in per_bag), "checked_bags": checked, "claimed": claimed}
    finally:
        db.close()


_SLOW_RUN = """
import os, pathlib, sys, time
from preservation.fixity import check
real = check.check_bag
check.check_bag = lambda task: (time.sleep({delay}), real(task))[1]
from preservation.cli import main
gate = {gate!r}
if gate:
    pathlib.Path(gate + f".ready-{{os.getpid()}}").touch()
    while not os.path.exists(gate):
        time.sleep(0.01)
raise SystemExit(main(sys.argv[1:]))
"""


def _spawn(root: Path, ledger: Path, delay: float, gate: Path | None = None) -> subprocess.Popen[bytes]:
    """A real `preservation fixity run` process, slowed down per bag so that it can be caught mid-run;
    with a `gate`, it announces itself ready and starts only once the gate file exists."""
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            _SLOW_RUN.format(delay=delay, gate=str(gate) if gate else ""),
            "fixity",
            "run",
            str(root),
            "--ledger",
            str(ledger),
            "--jobs",
            "1",
            "--format",
            "json",
        ],  # fmt: skip
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_killed_run_resumes_without_losing_or_repeating(tmp_path: Path) -> None:
    make_bags(tmp_path / "root", 12)
    ledger = tmp_path / "l.sqlite"
    process = _spawn(tmp_path / "root", ledger, delay=0.1)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if _event_counts(ledger)["events"] >= 3:
                break
        except sqlite3.OperationalError:  # the ledger is not created yet
            pass
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = _event_counts(ledger)
    assert 3 <= before["events"] < 12
    assert before["claimed"] > 0  # the dead run's claims are still there...
    resumed = api.run_fixity([tmp_path / "root"], ledger, jobs=1)  # ...and taken over on this host
    assert len(resumed.checked) == 12 - before["events"]
    assert _event_counts(ledger) == {"events": 12, "checked_bags": 12, "claimed": 0}
    assert sqlite3.connect(ledger).execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_two_concurrent_runs_never_check_a_bag_twice(tmp_path: Path) -> None:
    make_bags(tmp_path / "root", 16)
    ledger = tmp_path / "l.sqlite"
    api.run_fixity([tmp_path / "root"], ledger, jobs=1, budget=Budget(max_bags=1))  # create and register
    gate = tmp_path / "gate"
    runs = [_spawn(tmp_path / "root", ledger, delay=0.05, gate=gate) for _ in range(2)]
    # Start both at once: under load, interpreter start-up alone can outlast a whole run.
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("gate.ready-*"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    gate.touch()
    outputs = [run.communicate(timeout=60) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    counts = [len(json.loads(out)["checked"]) for out, _ in outputs]
    assert sum(counts) == 15 and min(counts) > 0, counts  # both worked, and together checked each bag once
    assert _event_counts(ledger) == {"events": 16, "checked_bags": 16, "claimed": 0}


def test_dask_local_cluster_gives_the_local_results(tmp_path: Path) -> None:
    bags = make_bags(tmp_path / "root", 4)
    (bags[1] / "data" / "release.txt").write_text("changed")
    local = api.run_fixity([tmp_path / "root"], tmp_path / "local.sqlite", jobs=2)
    dask = api.run_fixity([tmp_path / "root"], tmp_path / "dask.sqlite", dask_local=2)
    assert sorted(dask.checked, key=lambda c: c.bag) == sorted(local.checked, key=lambda c: c.bag)
    assert dask.counts() == local.counts() == {"pass": 3, "fail": 1}


def test_first_check_registers_so_tag_files_are_read_once(
    tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from preservation.fixity import discover

    make_bags(tmp_path / "root", 3)
    ledger = tmp_path / "l.sqlite"
    identified: list[int] = []
    real = discover.identify_all

    def counting(found: Sequence[discover.Found]) -> tuple[Identity | NotABag | str, ...]:
        identified.append(len(found))
        return real(found)

    monkeypatch.setattr(discover, "identify_all", counting)
    result = api.run_fixity([tmp_path / "root"], ledger, clock=clock, jobs=1, budget=Budget(max_bags=2))
    assert (result.registered, len(result.checked), result.skipped) == (3, 2, 1)
    assert identified == [1]  # only the bag beyond the budget is read for registration alone
    with Ledger(ledger) as db:
        bags = db.bags()
    assert all(bag.anchor and bag.identity for bag in bags)


def test_bags_found_are_entered_once_and_returned_as_entered(tmp_path: Path) -> None:
    """A first run reads the ledger's bags once and takes the ones it entered from `add_found`: those must
    be exactly the rows entered, with the ids and values a later read gives."""
    now = "2026-03-01T08:00:00.000000Z"
    with Ledger(tmp_path / "l.sqlite") as ledger:
        first = ledger.add_found([("/a", "directory"), ("/b.tar", "tar")], now)
        again = ledger.add_found([("/b.tar", "tar"), ("/c.zip", "zip")], now)  # /b.tar is known already
        assert [(bag.path, bag.kind, bag.anchor) for bag in first + again] == [
            ("/a", "directory", None),
            ("/b.tar", "tar", None),
            ("/c.zip", "zip", None),
        ]
        assert first + again == ledger.bags()


def test_dask_scheduler_address_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from distributed import LocalCluster

    from preservation.cli import main

    bags = make_bags(tmp_path / "root", 4)
    (bags[2] / "data" / "photo.jpg").write_bytes(b"changed")
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster:
        argv = ["fixity", "run", str(tmp_path / "root"), "--ledger", str(tmp_path / "l.sqlite")]
        code = main([*argv, "--dask", cluster.scheduler_address, "--format", "json"])
        prefixes = cluster.scheduler.task_prefixes  # the scheduler runs in this process
    document = json.loads(capsys.readouterr().out)
    assert code == 1
    assert {item["bag"]: item["outcome"] for item in document["checked"]} == {
        str(bag.resolve()): "fail" if bag == bags[2] else "pass" for bag in bags
    }
    assert "check_bags" in prefixes  # the checks ran on the cluster's workers


def test_batches_are_cut_by_bytes_as_well_as_by_count() -> None:
    from collections import deque

    from preservation.fixity.model import BagRecord
    from preservation.fixity.runner import MAX_BATCH_BYTES, next_batch

    def bag(i: int, size: int | None) -> BagRecord:
        return BagRecord(i, None, f"/b{i}", "directory", None, "t", None, "unchecked", size)

    big = MAX_BATCH_BYTES // 2 + 1
    pending = deque([bag(0, big), bag(1, big), bag(2, None), bag(3, 10), bag(4, 10)])
    assert [b.id for b in next_batch(pending, 8)] == [0]
    assert [b.id for b in next_batch(pending, 3)] == [1, 2, 3]
    assert [b.id for b in next_batch(pending, 3)] == [4]


def test_a_root_that_cannot_be_read_stops_the_run_instead_of_passing_empty(open_tmp: Path) -> None:
    make_bags(open_tmp / "root", 1)
    (open_tmp / "root").chmod(0)
    ledger = open_tmp / "l.sqlite"
    main(["fixity", "run", str(open_tmp / "absent"), "--ledger", str(ledger)])  # loads the modules as root

    def run() -> list[Any]:
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            code = main(["fixity", "run", str(open_tmp / "root"), "--ledger", str(ledger)])
        return [code, stderr.getvalue()]

    code, stderr = run_unprivileged(run)
    assert code == 2
    assert stderr.splitlines() == [f"preservation: {open_tmp / 'root'}: cannot be read: Permission denied"]


def test_a_bag_behind_a_folder_that_may_not_be_entered_is_unreadable_not_gone(open_tmp: Path) -> None:
    (bag,) = make_bags(open_tmp / "root" / "shelf", 1)
    ledger = open_tmp / "l.sqlite"
    clock = Clock()
    api.run_fixity([open_tmp / "root"], ledger, clock=clock, jobs=1)
    ledger.chmod(0o666)
    (open_tmp / "root").chmod(0o755)
    (open_tmp / "root" / "shelf").chmod(0)

    def run() -> list[list[Any]]:
        result = api.run_fixity([open_tmp / "root"], ledger, clock=clock, jobs=1, check_all=True)
        return [[c.bag, c.outcome, [p.detail for p in c.problems]] for c in result.checked]

    assert run_unprivileged(run) == [
        [str(bag.resolve()), "error", ["the bag cannot be reached: Permission denied"]]
    ]


def _stray_zip(path: Path) -> Path:
    """An archive that holds photos, not a bag."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("photos/a.jpg", b"\xff\xd8 not a bag")
    return path


def test_an_archive_that_holds_no_bag_is_reported_once_not_failed_every_night(
    tmp_path: Path, clock: Clock
) -> None:
    make_bags(tmp_path / "root", 2)
    stray = _stray_zip(tmp_path / "root" / "photos.zip")
    ledger = tmp_path / "l.sqlite"
    first = api.run_fixity([tmp_path / "root"], ledger, clock=clock, jobs=1)
    assert first.counts() == {"pass": 2} and first.known == 2
    assert first.not_bags == ((str(stray), "no bagit.txt in its top-level folder"),)
    assert [bag.path for bag in Ledger(ledger).bags() if bag.path == str(stray)] == []

    again = api.run_fixity([tmp_path / "root"], ledger, clock=clock, jobs=1, check_all=True)
    assert (again.counts(), again.not_bags) == ({"pass": 2}, ())  # remembered: not read again

    # Changed, it is looked at again; now holding a bag, it is registered and checked like any other.
    stray.unlink()
    zip_bag(make_bag(tmp_path / "src" / "photos", "urn:ks:photos"), tmp_path / "root" / "photos")
    third = api.run_fixity([tmp_path / "root"], ledger, clock=clock, jobs=1, check_all=True)
    assert (third.counts(), third.registered, third.not_bags) == ({"pass": 3}, 1, ())


def test_an_archive_beyond_the_budget_that_holds_no_bag_is_remembered_too(
    tmp_path: Path, clock: Clock
) -> None:
    make_bags(tmp_path / "root", 2)
    stray = _stray_zip(tmp_path / "root" / "zz-photos.zip")  # entered last, so beyond a budget of 1
    ledger = tmp_path / "l.sqlite"
    first = api.run_fixity([tmp_path / "root"], ledger, clock=clock, jobs=1, budget=Budget(max_bags=1))
    assert (len(first.checked), first.skipped) == (1, 1)  # the other bag, anchored from its tag files
    assert first.not_bags == ((str(stray), "no bagit.txt in its top-level folder"),)
    assert len(Ledger(ledger).bags()) == 2


def test_a_copy_of_a_bag_that_cannot_be_reached_is_a_replica_not_a_move(open_tmp: Path) -> None:
    (bag,) = make_bags(open_tmp / "root" / "shelf", 1)
    ledger = open_tmp / "l.sqlite"
    clock = Clock()
    api.run_fixity([open_tmp / "root"], ledger, clock=clock, jobs=1)
    shutil.copytree(bag, open_tmp / "root" / "copies" / bag.name)
    (open_tmp / "root" / "copies").chmod(0o777)
    ledger.chmod(0o666)
    (open_tmp / "root" / "shelf").chmod(0)  # the original is still there, only out of reach

    def run() -> list[Any]:
        result = api.run_fixity([open_tmp / "root"], ledger, clock=clock, jobs=1, check_all=True)
        return [result.registered, [list(move) for move in result.moved]]

    assert run_unprivileged(run) == [1, []]
    with Ledger(ledger) as db:
        assert sorted(b.path for b in db.bags()) == [
            str(open_tmp / "root" / "copies" / bag.name),
            str(bag.resolve()),
        ]


def test_a_dask_scheduler_that_cannot_be_reached_is_named_in_one_error(tmp_path: Path) -> None:
    import dask

    make_bags(tmp_path / "root", 1)
    with (
        dask.config.set({"distributed.comm.timeouts.connect": "1s"}),
        pytest.raises(FixityError, match="cannot connect to the Dask scheduler") as caught,
    ):
        api.run_fixity([tmp_path / "root"], tmp_path / "l.sqlite", dask_address="tcp://127.0.0.1:1")
    assert caught.value.source == "tcp://127.0.0.1:1"
