"""Hostile ledgers: files that are not ours given as --ledger, damaged ledgers, rows no run writes, names
that XML, HTML or UTF-8 cannot carry, and ledgers that may only be read.

Whatever the file, a command names it in one line and exits 2, or shows it safely; a file that is not a
ledger is never changed; `status`, `history` and reports never write.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

import preservation.fixity.premis  # noqa: F401  (loaded before run_unprivileged forks)
from preservation.fixity import api, schema
from preservation.fixity.ledger import Ledger
from preservation.fixity.model import FixityError
from tests.fixity.bags import make_bag
from tests.fixity.test_history_report import premis_schema
from tests.fixity.test_schedule_ledger import _VERSION_1 as VERSION_1
from tests.hostile.conftest import Canary, run_cli
from tests.unprivileged import run_unprivileged

P = "{http://www.loc.gov/premis/v3}"
HOSTILE_NAMES = {
    "control": "a\x01b\x1b[31mred\x7f.txt",
    "script": "<script>alert('x').txt",
    "not-xml": "page\x0cbreak\ufffe.txt",
}


def _ledger(tmp_path: Path) -> tuple[Path, Path]:
    """A real ledger (in its own folder) with one checked bag; returns (ledger, bag)."""
    bag = make_bag(tmp_path / "root" / "bag", "urn:ks:hostile:1")
    ledger = tmp_path / "ledger" / "fixity.sqlite"
    ledger.parent.mkdir()
    api.run_fixity([tmp_path / "root"], ledger, jobs=1)
    return ledger, bag


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _ledger(tmp_path_factory.mktemp("template"))


@pytest.fixture
def real(template: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """A copy of a real ledger with one checked bag (the template's, not to be changed); (ledger, bag)."""
    ledger = tmp_path / "ledger" / "fixity.sqlite"
    ledger.parent.mkdir()
    shutil.copyfile(template[0], ledger)
    return ledger, template[1]


def _sql(ledger: Path, *statements: str) -> None:
    """Change the ledger as someone with a database tool would (constraints off, as an attacker may)."""
    with closing(sqlite3.connect(ledger)) as db:
        db.execute("PRAGMA ignore_check_constraints = ON")
        for statement in statements:
            db.execute(statement)
        db.commit()


def _snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()}


# -- files that are not ledgers ------------------------------------------------------------------------


def _other_database(path: Path, _: Path) -> None:
    with closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        db.execute("INSERT INTO customers (name) VALUES ('Kühn')")
        db.commit()


def _versioned(value: str, *more: str) -> Callable[[Path, Path], None]:
    """A copy of the real ledger whose schema_version holds `value` (an SQL literal), and `more` rows."""

    def make(path: Path, real: Path) -> None:
        shutil.copyfile(real, path)
        rows = (f"INSERT INTO schema_version VALUES ({v})" for v in (value, *more))
        _sql(path, "DROP TABLE schema_version", "CREATE TABLE schema_version (version)", *rows)

    return make


def _without(statement: str) -> Callable[[Path, Path], None]:
    def make(path: Path, real: Path) -> None:
        shutil.copyfile(real, path)
        _sql(path, statement)

    return make


def _bytes(cut: Callable[[bytes], bytes]) -> Callable[[Path, Path], None]:
    def make(path: Path, real: Path) -> None:
        path.write_bytes(cut(real.read_bytes()))

    return make


NOT_LEDGERS: dict[str, tuple[Callable[[Path, Path], None], str]] = {
    "other-database": (_other_database, "not a fixity ledger: a database with other tables (left unchanged)"),
    "text": (
        _bytes(lambda _: b"bags;path\n1;/archive\n" * 50),
        "not a fixity ledger: not an SQLite database (left unchanged)",
    ),
    "header-overwritten": (
        _bytes(lambda data: b"\0" * 16 + data[16:]),
        "not a fixity ledger: not an SQLite database (left unchanged)",
    ),
    "truncated-header": (_bytes(lambda data: data[:100]), "damaged fixity ledger:"),
    "truncated-half": (_bytes(lambda data: data[: len(data) // 2]), "damaged fixity ledger:"),
    "pages-overwritten": (
        _bytes(lambda data: data[:4096] + b"\xaa" * (len(data) - 4096)),
        "damaged fixity ledger:",
    ),
    "newer-version": (
        _versioned("99"),
        f"ledger schema version 99 was written by a newer version of this software, which reads up to"
        f" {schema.VERSION}",
    ),
    "version-text": (
        _versioned("'two'"),
        "damaged fixity ledger: schema_version holds 'two', not one version",
    ),
    "version-null": (_versioned("NULL"), "damaged fixity ledger: schema_version holds None, not one version"),
    "version-negative": (_versioned("-1"), "damaged fixity ledger: schema_version holds -1, not one version"),
    "version-zero": (_versioned("0"), "damaged fixity ledger: schema_version holds 0, not one version"),
    "version-real": (_versioned("2.5"), "damaged fixity ledger: schema_version holds 2.5, not one version"),
    "version-blob": (
        _versioned("x'02'"),
        "damaged fixity ledger: schema_version holds b'\\x02', not one version",
    ),
    "version-huge-text": (
        _versioned(f"'{'9' * 5000}'"),
        f"damaged fixity ledger: schema_version holds '{'9' * 36}..., not one version",
    ),
    "version-no-row": (
        _without("DELETE FROM schema_version"),
        "damaged fixity ledger: schema_version holds no row, not one version",
    ),
    "version-two-rows": (
        _versioned("2", "2"),
        "damaged fixity ledger: schema_version holds 2, 2, not one version",
    ),
    "no-events-table": (
        _without("DROP TABLE events"),
        "not a fixity ledger: it has no table 'events' (left unchanged)",
    ),
    "bags-lack-columns": (
        _without("ALTER TABLE bags DROP COLUMN anchor"),
        "not a fixity ledger: its table 'bags' lacks anchor (left unchanged)",
    ),
}


@pytest.mark.parametrize("case", NOT_LEDGERS)
@pytest.mark.parametrize("read_only", [True, False], ids=["read", "write"])
def test_a_file_that_is_no_ledger_is_named_and_left_unchanged(
    real: tuple[Path, Path], tmp_path: Path, case: str, read_only: bool
) -> None:
    folder = tmp_path / "given"
    folder.mkdir()
    path = folder / "fixity.sqlite"
    make, message = NOT_LEDGERS[case]
    make(path, real[0])
    before = _snapshot(folder)
    with pytest.raises(FixityError) as raised, Ledger(path, read_only=read_only) as ledger:
        ledger.bags()
        ledger.events([1])
    assert str(raised.value).startswith(f"{path}: {message}")
    assert "\n" not in str(raised.value)
    assert _snapshot(folder) == before  # no -wal, -shm or -journal left, the file as it was


@pytest.mark.parametrize(
    ("command", "case"),
    [
        ("run", "other-database"),
        ("status", "pages-overwritten"),
        ("history", "version-text"),
    ],
)
def test_the_cli_names_a_file_that_is_no_ledger_in_one_line(
    real: tuple[Path, Path], tmp_path: Path, command: str, case: str
) -> None:
    bag = real[1]
    path = tmp_path / "given.sqlite"
    make, message = NOT_LEDGERS[case]
    make(path, real[0])
    before = path.read_bytes()
    args: dict[str, list[str | Path]] = {
        "run": ["run", bag.parent],
        "status": ["status"],
        "history": ["history", bag, "--format", "premis"],
    }
    done = run_cli("fixity", *args[command], "--ledger", path)
    assert done.code == 2
    assert done.stdout == ""
    assert done.stderr.startswith(f"preservation: {path}: {message}")
    assert done.stderr.count("\n") == 1
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["given.sqlite", "ledger"]


def test_special_files_and_folders_are_refused_without_opening_them(tmp_path: Path, canary: Canary) -> None:
    """A FIFO would block SQLite for ever; a link to another file must neither be read out nor written."""
    bag = make_bag(tmp_path / "root" / "bag", "urn:ks:hostile:1")
    fifo = tmp_path / "fifo.sqlite"
    os.mkfifo(fifo)
    link = tmp_path / "link.sqlite"
    link.symlink_to(canary.path)
    cases = {
        fifo: "not a regular file, so not a fixity ledger",
        Path("/dev/null"): "not a regular file, so not a fixity ledger",
        tmp_path / "root": "a folder, not a fixity ledger",
        link: "not a fixity ledger: not an SQLite database (left unchanged)",
    }
    # The CLI first, in a child with a time limit: were the FIFO opened, this process would block.
    for path, args in ((fifo, ["run", tmp_path / "root"]), (link, ["status"])):
        done = run_cli("fixity", *args, "--ledger", path, timeout=20)
        assert (done.code, done.stderr) == (2, f"preservation: {path}: {cases[path]}\n")
    for path, message in cases.items():
        for read_only in (True, False):
            with pytest.raises(FixityError) as raised:
                Ledger(path, read_only=read_only)
            assert str(raised.value) == f"{path}: {message}"
    assert canary.path.read_bytes() == canary.content
    canary.assert_absent(tmp_path / "root", bag)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo.sqlite", "link.sqlite", "root"]


def test_a_report_in_place_of_the_ledger_is_refused(real: tuple[Path, Path], tmp_path: Path) -> None:
    ledger, bag = real
    link = tmp_path / "report.html"
    link.symlink_to(ledger)
    before = ledger.read_bytes()
    done = run_cli("fixity", "run", bag.parent, "--ledger", ledger, "--report", link)
    assert (done.code, done.output) == (
        2,
        f"preservation: {link}: the report would replace the fixity ledger\n",
    )
    assert ledger.read_bytes() == before


@pytest.mark.parametrize(
    "name", ["q?mode=ro&cache=shared.sqlite", "h#frag.sqlite", "%41 b.sqlite", os.fsdecode(b"\xff.sqlite")]
)
def test_a_ledger_name_is_never_read_as_part_of_a_uri(tmp_path: Path, name: str) -> None:
    """The ledger is opened by URI (for read-only access): its name must not become part of the query."""
    path = tmp_path / name
    with Ledger(path) as ledger:
        ledger.add_found([("/a", "directory")], "2026-03-01T08:00:00.000000Z")
    with Ledger(path, read_only=True) as ledger:
        assert [bag.path for bag in ledger.bags()] == ["/a"]
    assert os.listdir(tmp_path) == [name]


def test_run_still_creates_a_ledger_at_a_missing_or_empty_path(tmp_path: Path) -> None:
    make_bag(tmp_path / "root" / "bag", "urn:ks:hostile:1")
    (tmp_path / "empty.sqlite").touch()
    done = run_cli("fixity", "run", tmp_path / "root", "--ledger", tmp_path / "empty.sqlite")
    assert done.code == 0, done.output
    api.run_fixity([tmp_path / "root"], tmp_path / "missing.sqlite", jobs=1)
    for name in ("missing.sqlite", "empty.sqlite"):
        assert api.status(tmp_path / name).known == 1
    (tmp_path / "empty2.sqlite").touch()
    for path, message in {
        tmp_path / "empty2.sqlite": "an empty file, not a fixity ledger",
        tmp_path / "none.sqlite": "no fixity ledger here (it is created by `fixity run`)",
    }.items():
        with pytest.raises(FixityError, match=f"^{path}: {message}$".replace("(", r"\(").replace(")", r"\)")):
            api.status(path)
        assert path.stat().st_size == 0 if path.exists() else True
    assert not (tmp_path / "none.sqlite").exists()
    nowhere = tmp_path / "nowhere" / "fixity.sqlite"
    with pytest.raises(FixityError, match="^" + f"{nowhere}: the ledger's folder does not exist" + "$"):
        Ledger(nowhere)


# -- rows no run writes --------------------------------------------------------------------------------

DAMAGED_ROWS = {
    "bag-kind": ("UPDATE bags SET kind = 'evil'", "the row of bag 1 holds values this software never writes"),
    "bag-status": ("UPDATE bags SET status = '<script>'", "the row of bag 1 holds values"),
    "bag-kind-blob": ("UPDATE bags SET kind = x'746172'", "the row of bag 1 holds values"),
    "bag-size-real": ("UPDATE bags SET size = 1.5", "the row of bag 1 holds values"),
    "bag-time": ("UPDATE bags SET last_checked_at = char(27) || '[2J'", "the row of bag 1 holds values"),
    "bag-registered": ("UPDATE bags SET registered_at = 'today'", "the row of bag 1 holds values"),
    "anchor-not-json": ("UPDATE bags SET anchor = '{not json'", "the anchor of bag 1 is not one"),
    "anchor-list": ("UPDATE bags SET anchor = '[1, 2]'", "the anchor of bag 1 is not one"),
    "problems-not-json": ("UPDATE events SET problems = 'changed'", "the row of event 1 holds values"),
    "problems-not-list": ("UPDATE events SET problems = '42'", "the row of event 1 holds values"),
    "problem-kind": (
        """UPDATE events SET problems = '[{"kind": "evil", "file": null, "detail": ""}]'""",
        "the row of event 1 holds values",
    ),
    "problem-code-of-another-kind": (
        """UPDATE events SET problems = '[{"code": "payload.missing", "kind": "changed", "file": null,'
        || ' "detail": ""}]'""",
        "the row of event 1 holds values",
    ),
    "problem-code-not-text": (
        """UPDATE events SET problems = '[{"code": 7, "kind": "unreadable", "file": null, "detail": ""}]'""",
        "the row of event 1 holds values",
    ),
    "problem-keys": (
        """UPDATE events SET problems = '[{"kind": "changed"}]'""",
        "the row of event 1 holds values",
    ),
    "event-time": ("UPDATE events SET ended = 'yesterday'", "the row of event 1 holds values"),
    "event-outcome": ("UPDATE events SET outcome = 'maybe'", "the row of event 1 holds values"),
    "event-bytes": ("UPDATE events SET bytes = 'lots'", "the row of event 1 holds values"),
}


@pytest.mark.parametrize("case", DAMAGED_ROWS)
def test_a_row_no_run_writes_is_named_not_a_traceback(
    real: tuple[Path, Path], tmp_path: Path, case: str
) -> None:
    ledger = real[0]
    statement, message = DAMAGED_ROWS[case]
    _sql(ledger, statement)
    with pytest.raises(FixityError) as raised:
        api.history("urn:ks:hostile:1", ledger).premis()
    assert str(raised.value).startswith(f"{ledger}: damaged fixity ledger: {message}")
    # Each reads what it needs: a damaged row it reads is named, one it does not read is not its concern.
    for read in (lambda: api.write_report(ledger, tmp_path / "r.html"), lambda: api.status(ledger)):
        try:
            read()
        except FixityError as exc:
            assert str(exc).startswith(f"{ledger}: damaged fixity ledger: ")


def test_damaged_rows_through_the_cli(real: tuple[Path, Path], tmp_path: Path) -> None:
    ledger, bag = real
    _sql(ledger, "UPDATE events SET ended = '<x>', problems = '{'")
    cases: tuple[tuple[list[str | Path], str], ...] = (
        (
            ["history", bag, "--format", "premis"],
            "the row of event 1 holds values this software never writes",
        ),
        (
            ["run", bag.parent, "--all", "--report", tmp_path / "r.html"],
            "a check ended at '<x>' with outcome",
        ),
    )
    for args, message in cases:
        done = run_cli("fixity", *args, "--ledger", ledger)
        assert done.code == 2
        assert done.stderr.startswith(f"preservation: {ledger}: damaged fixity ledger: {message}")
        assert done.stderr.count("\n") == 1
    assert not (tmp_path / "r.html").exists()


def test_a_damaged_anchor_leaves_the_bag_unchecked_and_the_run_going(
    real: tuple[Path, Path], tmp_path: Path
) -> None:
    ledger, bag = real
    other = make_bag(tmp_path / "root" / "other", "urn:ks:hostile:2")
    _sql(ledger, "UPDATE bags SET anchor = '[\"tagmanifest-sha512.txt\"]'")
    done = run_cli("fixity", "run", bag.parent, other.parent, "--ledger", ledger, "--all")
    assert done.code == 3
    assert done.stdout.startswith(
        f"ERROR {bag}\n  unreadable      (bag): [fixity.anchor-damaged] the anchor the ledger holds"
        " for the bag is damaged: there is nothing to compare the bag with\n"
    )
    assert "checked 2 of 2 bags: 1 pass, 0 fail, 1 error" in done.stdout


# -- names XML, HTML and UTF-8 cannot carry ------------------------------------------------------------


def _premis(data: bytes) -> etree._Element:
    document = etree.fromstring(data)  # well-formed, or this raises
    premis_schema().assertValid(document)
    return document


def test_history_and_report_carry_any_name_a_failing_bag_holds(tmp_path: Path) -> None:
    bag = make_bag(tmp_path / "root" / "bag", "urn:ks:hostile:1")
    ledger = tmp_path / "fixity.sqlite"
    api.run_fixity([bag.parent], ledger, jobs=1)
    for name in HOSTILE_NAMES.values():
        (bag / "data" / name).write_bytes(b"extra")
    report = tmp_path / "report.html"
    done = run_cli("fixity", "run", bag.parent, "--ledger", ledger, "--all", "--report", report)
    assert done.code == 1, done.output
    done = run_cli("fixity", "history", bag, "--ledger", ledger, "--format", "premis")
    assert done.code == 0, done.output
    notes = [n.text for n in _premis(done.stdout.encode()).iter(f"{P}eventOutcomeDetailNote")]
    unlisted = "[payload.extra] in the payload but not listed in manifest-sha256.txt, manifest-sha512.txt"
    assert f"extra: data/a\\x01b\\x1b[31mred\\x7f.txt: {unlisted}" in notes
    assert f"extra: data/page\\x0cbreak\\ufffe.txt: {unlisted}" in notes
    assert f"extra: data/<script>alert('x').txt: {unlisted}" in notes
    html = report.read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;alert(&#x27;x&#x27;).txt" in html
    assert "\x01" not in html and "\x1b" not in html and "a\\x01b\\x1b[31mred" in html
    # JSON keeps the names exact.
    events = api.history(str(bag), ledger).to_json()["events"]
    assert {p["file"] for p in events[-1]["problems"]} - {"bag-info.txt"} == {  # and its Payload-Oxum
        f"data/{n}" for n in HOSTILE_NAMES.values()
    }


def test_rows_with_any_text_are_shown_safely(real: tuple[Path, Path], tmp_path: Path) -> None:
    """Names a ledger holds that no file system gives: NUL, lone surrogates, invalid UTF-8, huge values."""
    ledger, bag = real
    huge = "x" * 1_000_000
    problems = (
        '[{"kind": "changed", "file": "data/nul\\u0000<b>\\ud800", "detail": "' + huge + '"},'
        ' {"kind": "missing", "file": null, "detail": "\\u0007bell"}]'
    )
    _sql(
        ledger,
        f"UPDATE events SET problems = '{problems}', outcome = 'fail'",
        "UPDATE events SET agent = 'evil' || char(0) || 'agent <1.0>'",
        "UPDATE bags SET status = 'fail', identity = x'3c693effff0a'",  # not UTF-8, kept as its bytes
    )
    found = api.history(str(bag), ledger)
    assert found.bags[0].identity == "<i>\udcff\udcff\n"
    document = _premis(found.premis())
    notes = [n.text for n in document.iter(f"{P}eventOutcomeDetailNote")]
    assert notes == [  # recorded without codes: each has its kind's
        f"changed: data/nul\\x00<b>\\ud800: [manifest.checksum-mismatch] {huge}",
        "missing: (bag): [payload.missing] \\x07bell",
    ]
    assert document.find(f"{P}object/{P}objectIdentifier/{P}objectIdentifierValue").text == "<i>\\xff\\xff\\n"
    api.write_report(ledger, tmp_path / "r.html")
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "&lt;b&gt;\\ud800" in html and "<b>\\ud800" not in html and "&lt;i&gt;\\xff\\xff" in html
    # Text that is not UTF-8 (which this software stores as bytes) is a damaged ledger.
    _sql(ledger, "UPDATE bags SET identity = CAST(x'3c693effff0a' AS TEXT)")
    with pytest.raises(FixityError) as raised:
        api.status(ledger)
    assert str(raised.value) == f"{ledger}: damaged fixity ledger: it holds text that is not UTF-8"


def test_a_bag_whose_name_is_not_utf8_is_registered_checked_and_shown(tmp_path: Path) -> None:
    root = tmp_path / "root"
    name = os.fsdecode(b"Pressemitteilung-\xff\xfe-1997")  # a Latin-1 era name on a UTF-8 system
    bag = make_bag(root / name, "urn:ks:latin1:1")
    ledger = tmp_path / "fixity.sqlite"
    done = run_cli("fixity", "run", root, "--ledger", ledger)
    assert done.code == 0, done.output
    assert "checked 1 of 1 bags: 1 pass" in done.stdout
    result = api.run_fixity([root], ledger, jobs=1, check_all=True)  # finds the bag it registered
    assert (result.known, result.counts()["pass"], result.registered) == (1, 1, 0)
    done = run_cli("fixity", "history", bag, "--ledger", ledger, "--format", "premis")
    assert done.code == 0, done.output
    document = _premis(done.stdout.encode())
    assert document.find(f"{P}object/{P}originalName").text == f"{root}/Pressemitteilung-\\xff\\xfe-1997"
    assert [bag.path for bag in api.history(str(bag), ledger).bags] == [str(bag)]
    assert api.status(ledger).known == 1
    # Moved to a name that is not UTF-8 either: the history goes with it.
    moved = root / os.fsdecode(b"\xe4-moved")
    bag.rename(moved)
    assert api.run_fixity([root], ledger, jobs=1, check_all=True).moved == ((str(bag), str(moved)),)
    assert len(api.history(str(moved), ledger).events) == 3


# -- read-only ledgers ---------------------------------------------------------------------------------


@pytest.fixture
def read_only_ledger(open_tmp: Path) -> tuple[Path, Path]:
    """A ledger an unprivileged user may read but not write, in a folder it may not write."""
    ledger, bag = _ledger(open_tmp)
    ledger.chmod(0o444)
    ledger.parent.chmod(0o555)
    (open_tmp / "out").mkdir()
    (open_tmp / "out").chmod(0o777)
    return ledger, bag


def _reads(ledger: Path, bag: Path, out: Path) -> Callable[[], Any]:
    def read() -> Any:
        try:
            history = api.history(str(bag), ledger)
            etree.fromstring(history.premis())
            api.write_report(ledger, out / "r.html")
            return [api.status(ledger).known, len(history.events), (out / "r.html").stat().st_size > 0]
        except Exception as exc:  # reported to the parent, which fails the test with it
            return repr(exc)

    return read


def test_status_history_and_report_work_on_a_ledger_they_may_only_read(
    read_only_ledger: tuple[Path, Path], open_tmp: Path
) -> None:
    ledger, bag = read_only_ledger
    before = _snapshot(ledger.parent)
    assert run_unprivileged(_reads(ledger, bag, open_tmp / "out")) == [1, 1, True]
    assert _snapshot(ledger.parent) == before


def test_read_only_while_a_run_holds_the_ledger_open(
    read_only_ledger: tuple[Path, Path], open_tmp: Path
) -> None:
    """With a -wal file (a run writing), the reader sees what the run committed there."""
    ledger, bag = read_only_ledger
    ledger.parent.chmod(0o755)
    ledger.chmod(0o644)
    with Ledger(ledger) as writer:
        _ = writer.bags()
        api.run_fixity([bag.parent], ledger, jobs=1, check_all=True)  # committed into the -wal
        assert Path(f"{ledger}-wal").exists()
        ledger.parent.chmod(0o555)
        assert run_unprivileged(_reads(ledger, bag, open_tmp / "out")) == [1, 2, True]
        ledger.parent.chmod(0o755)


def test_a_run_on_a_ledger_it_may_not_write_is_named(read_only_ledger: tuple[Path, Path]) -> None:
    ledger, bag = read_only_ledger

    def run() -> str:
        try:
            api.run_fixity([bag.parent], ledger, jobs=1)
        except FixityError as exc:
            return str(exc)
        return "ran"

    assert run_unprivileged(run).startswith(f"{ledger}: cannot ")


def test_an_old_ledger_is_read_without_upgrading_it(tmp_path: Path) -> None:
    ledger = tmp_path / "v1.sqlite"
    with closing(sqlite3.connect(ledger)) as db:
        db.executescript(VERSION_1)
    before = _snapshot(tmp_path)
    summary = api.status(ledger)
    assert summary.known > 0 and summary.not_bags == 0
    assert _snapshot(tmp_path) == before
    with Ledger(ledger):  # a run upgrades it
        pass
    with closing(sqlite3.connect(ledger)) as db:
        assert db.execute("SELECT version FROM schema_version").fetchone() == (schema.VERSION,)
