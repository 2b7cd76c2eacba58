"""The command line: a thin layer over the library. Each subcommand lives in a module of its own."""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

import preservation
from preservation.cli import build_cmd, common, export_cmd, fixity_cmd, inspect_cmd, profile_cmd, validate_cmd
from preservation.display import shown

COMMANDS = (
    inspect_cmd,
    build_cmd,
    validate_cmd,
    fixity_cmd,
    export_cmd,
    profile_cmd,
)
"""Modules with `register(subparsers)`; each sets `func` on its parser to a `run(args) -> int`."""


class Parser(argparse.ArgumentParser):
    """argparse's, with its errors `shown`: they quote arguments, which may be hostile file names."""

    def error(self, message: str) -> NoReturn:
        super().error(shown(message))


def build_parser() -> argparse.ArgumentParser:
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
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        # Whatever escaped `shown` is printed escaped rather than raising; so is what the locale lacks.
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    parser = build_parser()
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
