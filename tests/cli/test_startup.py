"""Starting a command loads only what it uses: the libraries below cost tens of milliseconds each."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import bagit

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("lxml", "jsonschema", "yaml", "bagit", "dask", "distributed", "pygfried", "tqdm", "sqlite3")
HEAVY_STDLIB = ("multiprocessing", "concurrent.futures", "importlib.metadata", "tarfile", "hashlib")


def loaded_by(code: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"],
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        check=True,
    )
    return set(done.stdout.split())


def test_importing_the_cli_loads_none_of_the_heavy_libraries():
    loaded = loaded_by("import preservation.cli")
    assert {m for m in loaded if m.split(".")[0] in HEAVY} == set()
    assert {m for m in HEAVY_STDLIB if m in loaded} == set()


def test_the_version_is_read_only_when_asked_for():
    assert "importlib.metadata" not in loaded_by("import preservation")
    done = subprocess.run(
        [sys.executable, "-m", "preservation", "--version"],
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and done.stdout.startswith("preservation ")


def modules_after(argv: list[str], tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """The command line `argv` run as `python -m preservation` does, and the modules it loaded."""
    modules = tmp_path / "modules.txt"
    wrapper = (
        "import atexit, runpy, sys\n"
        f"atexit.register(lambda: open({str(modules)!r}, 'w').write('\\n'.join(sys.modules)))\n"
        f"sys.argv = ['preservation', *{argv!r}]\n"
        "runpy.run_module('preservation', run_name='__main__')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", wrapper],
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        check=False,
    )
    return done, set(modules.read_text().split())


def test_the_list_of_commands_loads_no_command(tmp_path, monkeypatch):
    # `preservation --help` (and a command line that names no command) lists every command with its
    # summary, the same list as the parser of every command gives, without importing any of them.
    from preservation.cli import build_parser

    monkeypatch.setenv("COLUMNS", "100")  # the same width here and in the command's process
    for argv in (["--help"], ["-h", "validate"], ["--version"], []):
        done, loaded = modules_after(argv, tmp_path)
        assert done.returncode == (2 if not argv else 0), done.stderr
        assert {m for m in loaded if m.startswith("preservation.") and m != "preservation.display"} <= {
            "preservation.cli",
            "preservation.cli.common",
            "preservation.errors",
            "preservation.workers",
        }, argv
    done, _ = modules_after(["--help"], tmp_path)
    assert done.stdout == build_parser().format_help()


def test_validating_a_plain_bag_loads_only_what_such_a_bag_needs(tmp_path):
    # No metadata/mets.xml or dc.xml: no lxml and schemas; no profile: no jsonschema; our own reader, not
    # bagit-python's; no worker pool for one file; no version in the text output; no other command's module;
    # no profile module when no profile is given.
    bag = tmp_path / "bag"
    (bag / "data").mkdir(parents=True)
    (bag / "data" / "a.txt").write_text("one file\n", encoding="utf-8")
    bagit.make_bag(str(bag), checksums=["sha256"])
    done, loaded = modules_after(["validate", str(bag)], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "valid" in done.stdout
    assert {m for m in loaded if m.split(".")[0] in ("lxml", "jsonschema", "bagit", "dask", "tqdm")} == set()
    assert loaded.isdisjoint(
        {"multiprocessing", "concurrent.futures", "importlib.metadata", "preservation.profile"}
    )
    # A folder: no tar or zip reader; no profile: no profile rules.
    assert loaded.isdisjoint(
        {"tarfile", "zipfile", "preservation.bagit.serialized", "preservation.validate.profile_rules"}
    )
    assert {m for m in loaded if m.startswith("preservation.cli.") and m.endswith("_cmd")} == {
        "preservation.cli.validate_cmd"
    }


def test_fixity_help_loads_none_of_fixity_s_work(tmp_path):
    # Parsing fixity's options needs its defaults only: not the ledger's model, the HTML report, the time
    # zone database or the bag locator, each loaded by the action that uses it.
    for argv in (["fixity", "--help"], ["fixity", "run", "--help"], ["fixity", "status", "--help"]):
        done, loaded = modules_after(argv, tmp_path)
        assert done.returncode == 0, done.stderr
        assert {m for m in loaded if m.startswith("preservation.fixity.")} == {"preservation.fixity.defaults"}
        assert loaded.isdisjoint({"zoneinfo", "html", "sqlite3", "preservation.bagit.locate"}), argv


def test_a_fixity_run_without_report_or_mail_loads_no_report_and_no_time_zones(tmp_path):
    (tmp_path / "bags").mkdir()
    ledger = tmp_path / "ledger.sqlite"
    done, loaded = modules_after(["fixity", "run", str(tmp_path / "bags"), "--ledger", str(ledger)], tmp_path)
    assert done.returncode == 0, done.stderr
    assert loaded.isdisjoint({"zoneinfo", "html", "preservation.fixity.report", "preservation.fixity.chart"})


def test_fixity_s_defaults_are_the_library_s(tmp_path):
    # The defaults live apart from the modules using them (so that --help loads neither); the ones the
    # command line applies are the library's.
    from datetime import timedelta

    from preservation.cli import build_parser
    from preservation.fixity import report, schedule

    args = build_parser().parse_args(["fixity", "run", str(tmp_path), "--ledger", str(tmp_path / "l")])
    assert args.older_than == schedule.DEFAULT_PERIOD == timedelta(days=90)
    assert args.timezone is None  # the library's zone, report.DEFAULT_ZONE, loaded when times are given
    assert report.DEFAULT_ZONE == "Europe/Berlin"
