"""What every subcommand shares: exit codes, the --profile option, output helpers."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from preservation.display import json_dumps
from preservation.errors import PreservationError
from preservation.workers import JOBS_PER_CPU, bounded_jobs, max_jobs

if TYPE_CHECKING:
    from preservation.profile import Profile

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class Command(NamedTuple):
    module: str
    """The module under `preservation.cli` whose `register(subparsers)` adds the command's parser (with
    `add_command`) and sets `func` on it to a `run(args) -> int`; one module may register several."""
    summary: str
    """The command's line in `preservation --help`."""


COMMANDS = {
    "inspect": Command(
        "inspect_cmd", "show what the tool reads from each release (identifier, title, date, author, …)"
    ),
    "build": Command("build_cmd", "build one BagIt bag per press release"),
    "validate": Command("validate_cmd", "validate bags (folders, .tar, .tar.gz, .zip, or folders of bags)"),
    "fixity": Command("fixity_cmd", "re-verify stored bags on a schedule and keep an audit ledger"),
    "export": Command(
        "export_cmd", "validate bags and export them as a transfer package for the state archive"
    ),
    "verify-transfer": Command(
        "export_cmd", "verify a transfer folder on arrival (manifest, files, every bag)"
    ),
    "profile": Command("profile_cmd", "work with profiles"),
}
"""Each command in help order. The summaries are here, not in the command modules: `preservation --help`
lists every command without importing any of them."""


def add_command(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], name: str, **options: Any
) -> argparse.ArgumentParser:
    """The parser of the command `name`, with its summary from `COMMANDS`."""
    return subparsers.add_parser(name, help=COMMANDS[name].summary, **options)


class TerminalWidth(argparse.HelpFormatter):
    """argparse's formatter at the width argparse gives it, found without argparse's import of shutil
    (~2 ms of every start: argparse makes a formatter for each option it is given)."""

    def __init__(
        self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None
    ) -> None:
        super().__init__(
            prog, indent_increment, max_help_position, _columns() - 2 if width is None else width
        )


def _columns() -> int:
    """`shutil.get_terminal_size().columns`: $COLUMNS, else the width of the terminal of stdout, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class HelpFormatter(TerminalWidth):
    """Prose wrapped to the terminal's width; indented lines (examples) kept as they are written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        import textwrap  # here, as argparse imports it: only help is wrapped

        lines: list[str] = []
        prose: list[str] = []
        for line in [*text.splitlines(), ""]:
            if line.strip() and not line.startswith("  "):
                prose.append(line.strip())
                continue
            if prose:
                lines.append(
                    textwrap.fill(" ".join(prose), width, initial_indent=indent, subsequent_indent=indent)
                )
                prose.clear()
            lines.append(indent + line if line.strip() else "")
        return "\n".join(lines).rstrip("\n")


class UsageError(Exception):
    """Bad arguments or an unusable profile: printed in one line, exit code 2."""


def add_profile_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        metavar="YAML",
        help="the profile to apply (default: the state-archive profile shipped with the package, "
        "the same as profiles/state-archive.yaml in the source)",
    )


def add_format_option(parser: argparse.ArgumentParser, *choices: str) -> None:
    parser.add_argument(
        "--format",
        choices=choices,
        default=choices[0],
        help=f"output format (default: {choices[0]})",
    )


LANGUAGES = ("en", "de")


def default_language(environ: Mapping[str, str] | None = None) -> str:
    """German when the locale (LC_ALL, else LC_MESSAGES, else LANG, as POSIX orders them) is German."""
    environ = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if environ.get(name):
            return "de" if environ[name].lower().startswith("de") else "en"
    return "en"


def add_lang_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        default=default_language(),
        help=f"language of {what} (default from LC_ALL, LC_MESSAGES or LANG: {default_language()})",
    )


def profile_from_args(args: argparse.Namespace) -> Profile:
    from preservation import api  # here: loading profiles costs every command's start

    try:
        return api.load_profile(args.profile)
    except PreservationError as exc:
        raise UsageError(str(exc)) from None


def print_json(document: Any) -> None:
    print_document(json_dumps(document) + "\n")


def print_document(text: str) -> None:
    """A document for programs (JSON, XML) on stdout, in UTF-8 whatever the locale says."""
    sys.stdout.flush()
    binary = getattr(sys.stdout, "buffer", None)
    if binary is None:  # replaced by a text-only stream (a caller capturing the output)
        sys.stdout.write(text)
        return
    binary.write(text.encode("utf-8"))
    binary.flush()


def positive_int(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) < 1:  # isdigit alone takes '²' and '٣'
        raise argparse.ArgumentTypeError(f"not a positive whole number: {text!r}")
    return int(text)


def add_jobs_option(parser: argparse._ActionsContainer, *flags: str, default: int | None, help: str) -> None:
    """A count of worker processes (`--jobs`, `--dask-local`): below 1 is a usage error, above
    `workers.max_jobs()` is capped with a note on stderr."""
    parser.add_argument(
        *flags,
        type=positive_int,
        action=_CappedJobs,
        default=default,
        metavar="N",
        help=f"{help}; at most {JOBS_PER_CPU} per CPU ({max_jobs()} here)",
    )


class _CappedJobs(argparse.Action):
    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option: Any = None
    ) -> None:
        jobs = bounded_jobs(values)
        if jobs < values:
            print(
                f"preservation: {option} {values} is more than this machine can use; using {jobs} "
                f"({JOBS_PER_CPU} per CPU)",
                file=sys.stderr,
            )
        setattr(namespace, self.dest, jobs)


class Progress:
    """A tqdm bar on stderr, only when stderr is a terminal (cron logs and pipes stay clean)."""

    def __init__(self, unit: str, enabled: bool = True) -> None:
        self._unit = unit
        self._enabled = enabled
        self._bar: Any = None

    def start(self, total: int) -> None:
        if self._enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit=self._unit, file=sys.stderr)

    def step(self, label: str) -> None:
        if self._bar is not None:
            self._bar.update(1)
            self._bar.set_postfix_str(label, refresh=False)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


_SIZE = r"(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b?)"
"""Compiled when a size is first given (re keeps it), not by every command's start."""


def parse_size(text: str) -> int:
    """``500M``, ``10GB``, ``2GiB``, ``1024``: powers of 1024 (storage people read GB as that)."""
    match = re.fullmatch(_SIZE, text.strip(), re.IGNORECASE)
    if not match:
        raise argparse.ArgumentTypeError(f"not a size like 500M or 10G: {text!r}")
    power = " KMGTP".index(match.group(2).upper() or " ")
    return int(float(match.group(1)) * 1024**power)
