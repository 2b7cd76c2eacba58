"""`--help` of every command: prose fits the terminal, examples keep their lines."""

from __future__ import annotations

import pytest

from preservation.cli import main

COMMANDS = [
    ["inspect"],
    ["build"],
    ["validate"],
    ["export"],
    ["verify-transfer"],
    ["fixity", "run"],
    ["profile", "export"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_prose_is_wrapped_to_the_terminal_and_examples_are_kept(
    command: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "72")
    with pytest.raises(SystemExit) as stop:
        main([*command, "--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    usage, _, rest = text.partition("\n\n")
    prose, _, examples = rest.partition("Examples:\n")
    example_lines = examples.partition("\n\n")[0].splitlines()
    assert example_lines, "every command's help shows an example"
    assert f"preservation {' '.join(command)} " in example_lines[0]
    assert all(line.startswith("  ") and "preservation " in line for line in example_lines)
    rest_of_it = prose.splitlines() + examples.partition("\n\n")[2].splitlines()
    assert max(len(line) for line in rest_of_it) <= 72
    assert usage.startswith("usage: preservation")
