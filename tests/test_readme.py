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


def test_quick_start_has_exactly_the_two_commands_ci_relies_on():
    text = README.read_text(encoding="utf-8")
    quick = text[text.index("## Quick start") : text.index("## Commands")]
    commands = [line for line in quick.splitlines() if line.startswith("pip install")]
    assert commands == [
        "pip install -e . && preservation build samples --out bags",
        "pip install -e '.[test]' && pytest",
    ]
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci
