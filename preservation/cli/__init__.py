"""The command line: a thin layer over the library. Each subcommand lives in a module of its own."""

from __future__ import annotations

import argparse
import importlib
import io
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import preservation
from preservation.cli import common
from preservation.display import shown


class Parser(argparse.ArgumentParser):
    """argparse's, with its errors `shown`: they quote arguments, which may be hostile file names. Its
    default formatter is `common.TerminalWidth`, and so is that of the commands' parsers (made of this
    class)."""

    def __init__(self, **options: Any) -> None:
        options.setdefault("formatter_class", common.TerminalWidth)
        super().__init__(**options)

    def error(self, message: str) -> NoReturn:
        super().error(shown(message))


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command (`command` None); given a name, the parser of that command in full and
    the others by name and summary only: importing a command's module and building its options costs the
    other commands ~15 ms to start, and `preservation --help` lists the commands without any of them."""
    parser = Parser(
        prog="preservation",
        description=(
            "Turn archived press releases into BagIt preservation packages (RFC 8493) with Dublin Core "
            "and METS/PREMIS metadata, validate bags, re-check their fixity and export them to the archive."
        ),
        epilog=(
            "Exit codes: 0 success, 1 some item failed or is invalid, 2 usage or profile error, "
            "3 (fixity run, status) nothing is failing but some bags could not be checked. "
            "Run 'preservation COMMAND --help' for each command's options and examples."
        ),
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    wanted = common.COMMANDS[command].module if command in common.COMMANDS else command
    registered: set[str] = set()
    for name, (module, summary) in common.COMMANDS.items():
        if command is not None and module != wanted:
            subparsers.add_parser(name, help=summary)  # for argparse's list of choices and the help
        elif module not in registered:
            importlib.import_module(f"preservation.cli.{module}").register(subparsers)
            registered.add(module)
    return parser


def _command(argv: Sequence[str]) -> str:
    """The command `argv` starts with; "" when it starts with an option (`--help`, `--version`, `-h
    validate`: the help that lists the commands) or is empty."""
    return argv[0] if argv and not argv[0].startswith("-") else ""


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        # Whatever escaped `shown` is printed escaped rather than raising; so is what the locale lacks.
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    parser = build_parser(_command(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except common.UsageError as exc:
        print(f"preservation: {shown(exc)}", file=sys.stderr)
        return common.EXIT_USAGE
    except KeyboardInterrupt:
        print("preservation: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader (e.g. `head`) went away: stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:  # what the commands do not expect, e.g. a full disk under the output
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"preservation: {shown(where)}{shown(exc.strerror or exc)}", file=sys.stderr)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more can be written there
        return common.EXIT_USAGE
    return code


class _Version(argparse.Action):
    """argparse's version action, with the version looked up only when asked for (see preservation)."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> NoReturn:
        sys.stdout.write(f"{parser.prog} {preservation.__version__}\n")
        parser.exit()
