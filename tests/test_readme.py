from __future__ import annotations

from pathlib import Path

from preservation.validate.findings import catalogue, markdown_table

README = Path(__file__).resolve().parents[1] / "README.md"


def between_markers(text: str) -> str:
    start = text.index("<!-- finding-codes:start -->") + len("<!-- finding-codes:start -->")
    return text[start : text.index("<!-- finding-codes:end -->")].strip()


def test_readme_lists_every_finding_code_as_the_catalogue_says():
    table = between_markers(README.read_text(encoding="utf-8"))
    assert table == markdown_table().strip()
    for code in catalogue():
        assert f"`{code}`" in table


def test_quick_start_has_exactly_two_commands_that_set_up_and_run():
    text = README.read_text(encoding="utf-8")
    quick = text[text.index("## Quick start") : text.index("## Commands")]
    commands = [line for line in quick.splitlines() if line.startswith("python3 ")]
    assert len(commands) == 2
    for command in commands:  # a system Python refuses installs outside a virtual environment
        assert command.startswith("python3 -m venv .venv && . .venv/bin/activate && pip install ")
    assert commands[0].endswith(" && preservation build samples --out bags")
    assert commands[1].endswith(" && pytest")
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines()
