"""Worker processes: a count that is no count is a usage error, a huge one is capped, and a killed command
leaves no worker, forkserver or resource tracker behind."""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from preservation import workers
from preservation.cli import build_parser
from preservation.fixity.api import run_fixity
from preservation.validate.api import validate_bag
from preservation.validate.hashpool import INLINE_FILES, LocalHasher
from preservation.validate.scan import EARLY_POOL_BYTES
from preservation.workers import JOBS_PER_CPU, bounded_jobs, map_ahead, max_jobs, process_pool, usable_cpus
from tests.fixity.bags import make_bags
from tests.hostile.conftest import ROOT, run_cli

RELEASE = (ROOT / "samples" / "2016-08-30-schulbeginn-crlf.txt").read_bytes()
ZERO_SHA256 = "0" * 64


# --- how many ---------------------------------------------------------------------------------------------

JOBS_OPTIONS = [
    ("build", "{src}", "--out", "{out}", "--jobs"),
    ("export", "{src}", "--out", "{out}", "--jobs"),
    ("validate", "{src}", "--jobs"),
    ("fixity", "run", "{src}", "--ledger", "{out}/ledger.sqlite", "--jobs"),
    ("fixity", "run", "{src}", "--ledger", "{out}/ledger.sqlite", "--dask-local"),
]


def _args(template: tuple[str, ...], tmp_path: Path) -> list[str]:
    return [part.format(src=tmp_path / "src", out=tmp_path / "out") for part in template]


def test_no_workers_is_a_usage_error(tmp_path: Path) -> None:
    run = run_cli(*_args(JOBS_OPTIONS[0], tmp_path), "0")
    assert run.code == 2, run.output
    assert run.stderr.endswith(
        "preservation build: error: argument --jobs: not a positive whole number: '0'\n"
    )
    assert not (tmp_path / "out").exists()  # refused before anything is done


@pytest.mark.parametrize("count", ["0", "-1", "-0", "two", "1.5", "1e3", "", " 2", "0x10", "+3", "٣", "²"])
@pytest.mark.parametrize("template", JOBS_OPTIONS, ids=lambda t: " ".join(t[:2]))
def test_a_worker_count_that_is_not_a_positive_whole_number_is_refused(
    template: tuple[str, ...], count: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit:
        build_parser().parse_args([*_args(template[:-1], tmp_path), f"{template[-1]}={count}"])
    assert exit.value.code == 2
    assert f"argument {template[-1]}: not a positive whole number" in capsys.readouterr().err


def test_a_worker_count_beyond_the_machine_is_capped_with_a_note(tmp_path: Path) -> None:
    """`--jobs 1000` on a bag whose manifest is long enough to start the hashing pool."""
    bag = _bogus_bag(tmp_path / "bag", files=1, size=0)
    with open(bag / "manifest-sha256.txt", "a") as manifest:
        manifest.writelines(_absent(EARLY_POOL_BYTES // 64))
    run = run_cli("validate", bag, "--jobs", "1000", "--format", "json", timeout=60)
    assert run.code == 1  # the checksums are zeros
    note, summary = run.stderr.splitlines()  # the summary is on stderr: stdout holds the JSON document
    assert note == (
        f"preservation: --jobs 1000 is more than this machine can use; using {max_jobs()} "
        f"({JOBS_PER_CPU} per CPU)"
    )
    assert summary.startswith("1 bag: 0 valid, 0 valid with warnings, 1 invalid (")


def test_the_cap_is_tied_to_the_cpus_this_process_may_use() -> None:
    assert max_jobs() == JOBS_PER_CPU * usable_cpus()
    assert bounded_jobs(10**30) == max_jobs()
    assert bounded_jobs(1) == 1
    assert bounded_jobs(0) == bounded_jobs(-5) == 1  # the library's callers are bounded too


@pytest.mark.parametrize("template", JOBS_OPTIONS, ids=lambda t: " ".join(t[:2]))
def test_every_worker_count_is_capped_alike(
    template: tuple[str, ...], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flag = template[-1]
    dest = flag.lstrip("-").replace("-", "_")
    args = build_parser().parse_args([*_args(template, tmp_path), str(max_jobs())])
    assert getattr(args, dest) == max_jobs()
    assert capsys.readouterr().err == ""  # within the cap: no note
    args = build_parser().parse_args([*_args(template, tmp_path), "99999999999999999999"])
    assert getattr(args, dest) == max_jobs()
    assert (
        f"preservation: {flag} 99999999999999999999 is more than this machine can use"
        in capsys.readouterr().err
    )


def test_the_library_bounds_its_callers_too() -> None:
    pool = process_pool(10**6)  # no worker starts before the first task
    try:
        assert getattr(pool, "_max_workers") == max_jobs()  # noqa: B009 (private: typeshed omits it)
    finally:
        pool.shutdown()
    assert LocalHasher(("sha256",), jobs=10**6).jobs == max_jobs()


def test_results_are_streamed_with_a_bounded_number_ahead() -> None:
    """`pool.map` submitted every bag at once and kept every admission the export had not reached."""
    started: list[int] = []

    def task(n: int) -> int:
        started.append(n)
        return n

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = map_ahead(pool, task, range(1000), ahead=4)
        assert [next(results) for _ in range(10)] == list(range(10))
        assert len(started) <= 10 + 4
        results.close()  # the consumer stops: nothing more is submitted, what waits is cancelled
    assert len(started) <= 10 + 4


# --- how they start ---------------------------------------------------------------------------------------


def _small_files_bag(bag: Path, files: int) -> Path:
    """A valid bag of `files` small files: enough that validating it with two jobs starts the pool."""
    (bag / "data").mkdir(parents=True)
    (bag / "bagit.txt").write_text("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    lines = []
    for n in range(files):
        data = f"file {n}\n".encode()
        (bag / "data" / f"f{n:05}.txt").write_bytes(data)
        lines.append(f"{hashlib.sha256(data).hexdigest()}  data/f{n:05}.txt\n")
    (bag / "manifest-sha256.txt").write_text("".join(lines))
    return bag


@pytest.fixture
def methods(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The start method of every pool made while the test runs."""
    chosen: list[str] = []
    choose = workers.start_method

    def recorded(forkable: bool) -> workers.StartMethod:
        chosen.append(choose(forkable))
        return chosen[-1]

    monkeypatch.setattr(workers, "start_method", recorded)
    return chosen


@pytest.fixture(params=["fork where safe", "forkserver (Python 3.14's default)"])
def fork(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    allowed = request.param == "fork where safe" and sys.platform.startswith("linux")
    monkeypatch.setattr(workers, "FORK", allowed)
    return allowed


def _fresh_python(script: str) -> str:
    """What `script` prints in a new interpreter: one with no thread of a test before (Dask leaves two)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return run.stdout


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks only on Linux")
def test_a_pool_forks_only_while_this_process_has_one_thread() -> None:
    printed = _fresh_python(
        "import threading\n"
        "from preservation.workers import start_method\n"
        "print(start_method(forkable=False), start_method(forkable=True))\n"
        "threading.Thread(target=threading.Event().wait, daemon=True).start()\n"
        "print(start_method(forkable=True))\n"
    )
    assert printed == "forkserver fork\nforkserver\n"


def _expected(fork: bool) -> str:
    """Forked where allowed, unless an earlier test left threads in this process (Dask does)."""
    return "fork" if fork and threading.active_count() == 1 else "forkserver"


def test_validation_hashes_alike_however_its_workers_start(
    fork: bool, methods: list[str], tmp_path: Path
) -> None:
    bag = _small_files_bag(tmp_path / "bag", files=INLINE_FILES + 300)
    assert validate_bag(bag, jobs=2).valid
    (bag / "data" / "f00700.txt").write_bytes(b"changed\n")  # hashed by a worker, past the inline files
    report = validate_bag(bag, jobs=2)
    errors = [(f.code, f.file) for f in report.findings if f.severity == "error"]
    assert errors == [("manifest.checksum-mismatch", "data/f00700.txt")]
    assert methods == [_expected(fork)] * 2


def test_fixity_checks_alike_however_its_workers_start(
    fork: bool, methods: list[str], tmp_path: Path
) -> None:
    make_bags(tmp_path / "bags", 6)
    (tmp_path / "bags" / "bag004" / "data" / "release.txt").write_bytes(b"changed\n")
    result = run_fixity([tmp_path / "bags"], tmp_path / "ledger.sqlite", check_all=True, jobs=2)
    assert result.counts() == {"pass": 5, "fail": 1}
    assert methods == [_expected(fork)]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks only on Linux")
def test_fixity_forks_its_workers_before_the_ledger_starts_its_thread(tmp_path: Path) -> None:
    """A fork copies the locks that other threads hold, not the threads: the checkpoint thread's SQLite
    lock, copied held, would hang a worker that touched it (Python 3.12 warns of such forks)."""
    make_bags(tmp_path / "bags", 4)
    printed = _fresh_python(
        "import os, threading\n"
        "from pathlib import Path\n"
        "from preservation.fixity.api import run_fixity\n"
        "real_fork = os.fork\n"
        "def fork():\n"
        "    print('fork with', threading.active_count(), 'thread(s)')\n"
        "    return real_fork()\n"
        "os.fork = fork\n"
        f"root = Path({str(tmp_path)!r})\n"
        "result = run_fixity([root / 'bags'], root / 'ledger.sqlite', check_all=True, jobs=2)\n"
        "print(dict(result.counts()))\n"
    )
    assert printed == "fork with 1 thread(s)\n" * 2 + "{'pass': 4}\n"


# --- dying with the parent --------------------------------------------------------------------------------


def _release_folders(root: Path, count: int, attachment: int) -> Path:
    """`count` releases (numbered, so each gets its own identifier), each with a sparse attachment."""
    for n in range(count):
        folder = root / f"r{n:03}"
        folder.mkdir(parents=True)
        (folder / "release.txt").write_bytes(RELEASE.replace(b"Nr. 01187", f"Nr. 9{n:04}".encode()))
        with open(folder / "scan.bin", "wb") as stream:
            stream.truncate(attachment)
    return root


def _bogus_bag(bag: Path, files: int, size: int) -> Path:
    """A bag of sparse files whose manifest says zeros: every file must be hashed to find it invalid."""
    (bag / "data").mkdir(parents=True)
    (bag / "bagit.txt").write_text("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    lines = []
    for n in range(files):
        with open(bag / "data" / f"f{n:05}.bin", "wb") as stream:
            stream.truncate(size)
        lines.append(f"{ZERO_SHA256}  data/f{n:05}.bin\n")
    (bag / "manifest-sha256.txt").write_text("".join(lines))
    return bag


def _absent(count: int) -> list[str]:
    """Manifest lines for files that are not there: a manifest this long starts the hashing pool at once."""
    return [f"{ZERO_SHA256}  data/absent-{n:05}.bin\n" for n in range(count)]


def _bogus_bags(root: Path, count: int, files: int, size: int) -> Path:
    for n in range(count):
        _bogus_bag(root / f"bag{n:02}", files, size)
    return root


def _parents() -> dict[int, int]:
    parents = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                stat = Path("/proc", name, "stat").read_text()
            except OSError:  # ended meanwhile
                continue
            parents[int(name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


def _descendants(pid: int) -> set[int]:
    parents = _parents()
    found: set[int] = set()
    for child in parents:
        chain, seen = child, set()
        while chain in parents and chain not in seen and chain != pid:
            seen.add(chain)
            chain = parents[chain]
        if chain == pid and child != pid:
            found.add(child)
    return found


def _running(pid: int) -> bool:
    """Alive and not a zombie (a zombie has ended; only its exit status waits for its parent)."""
    try:
        state = Path("/proc", str(pid), "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _kill_once_workers_run(args: list[str], workers: int, cwd: Path) -> tuple[set[int], set[int]]:
    """Start the command, SIGKILL it once it has `workers` descendants; return those it had and those
    still running a few seconds after."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    log = cwd / "stderr.txt"
    with open(log, "wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "preservation", *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        deadline = time.monotonic() + 30
        while len(before := _descendants(process.pid)) < workers:
            assert process.poll() is None, f"ended before its workers were seen: {log.read_text()!r}"
            assert time.monotonic() < deadline, "no workers within 30 s"
            time.sleep(0.02)
        time.sleep(0.2)  # workers at work, not starting up
        before |= _descendants(process.pid)
    finally:
        process.kill()
        process.wait()
    deadline = time.monotonic() + 5
    while (left := {pid for pid in before if _running(pid)}) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in left:  # not left to the next test
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return before, left


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="walks /proc")
def test_a_killed_build_leaves_no_forkserver_and_no_worker(tmp_path: Path) -> None:
    sources = _release_folders(tmp_path / "src", count=24, attachment=64 << 20)
    before, left = _kill_once_workers_run(
        ["build", str(sources), "--out", str(tmp_path / "bags"), "--jobs", "2"], workers=3, cwd=tmp_path
    )
    assert len(before) >= 3  # resource tracker, forkserver, workers
    assert not left, f"{len(left)} of {len(before)} descendants outlived the killed build"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="walks /proc")
def test_a_killed_export_leaves_no_forkserver_and_no_worker(tmp_path: Path) -> None:
    bags = _bogus_bags(tmp_path / "src", count=12, files=4, size=64 << 20)
    before, left = _kill_once_workers_run(
        ["export", str(bags), "--out", str(tmp_path / "transfer"), "--jobs", "2"], workers=3, cwd=tmp_path
    )
    assert len(before) >= 3
    assert not left, f"{len(left)} of {len(before)} descendants outlived the killed export"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="walks /proc")
def test_a_killed_validate_leaves_no_hashing_worker(tmp_path: Path) -> None:
    bag = _bogus_bag(tmp_path / "bag", files=4, size=1 << 30)
    with open(bag / "manifest-sha256.txt", "a") as manifest:
        manifest.writelines(_absent(EARLY_POOL_BYTES // 64))
    before, left = _kill_once_workers_run(["validate", str(bag), "--jobs", "2"], workers=2, cwd=tmp_path)
    assert not left, f"{len(left)} of {len(before)} hashing workers outlived the killed validate"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="walks /proc")
def test_a_killed_fixity_run_leaves_no_hashing_worker(tmp_path: Path) -> None:
    bags = _bogus_bags(tmp_path / "src", count=12, files=4, size=64 << 20)
    before, left = _kill_once_workers_run(
        ["fixity", "run", str(bags), "--ledger", str(tmp_path / "ledger.sqlite"), "--jobs", "2"],
        workers=2,
        cwd=tmp_path,
    )
    assert not left, f"{len(left)} of {len(before)} hashing workers outlived the killed fixity run"
