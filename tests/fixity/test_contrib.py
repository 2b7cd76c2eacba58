"""The scheduling examples (contrib/systemd, the README's cron line) name options the command takes."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from preservation.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]


def _service_command() -> str:
    text = (ROOT / "contrib" / "systemd" / "preservation-fixity.service").read_text(encoding="utf-8")
    found = re.search(r"^ExecStart=((?:.*\\\n)*.*)$", text, re.MULTILINE)
    assert found
    return found.group(1).replace("\\\n", " ")


def _cron_command() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (line,) = [line for line in readme.splitlines() if line.startswith("30 1 * * * ")]
    return line.split("; ")[-1]


@pytest.mark.parametrize("command", [_service_command(), _cron_command()], ids=["systemd", "cron"])
def test_the_scheduled_command_is_one_the_parser_takes(command: str) -> None:
    program, *argv = shlex.split(command)
    assert program.endswith("/bin/preservation")
    args = build_parser().parse_args(argv)
    assert args.fixity_command == "run" and args.report is not None
    assert [str(target) for target in args.notify] == ["mailto:archiv@example.org"]
