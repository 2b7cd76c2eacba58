"""No function of the package runs over about 60 lines unless its docstring says why ("Longer than 60
lines ..."): a reader should see a function whole."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "preservation"
LIMIT = 65
"""About 60: a few lines of slack, so that a small addition to a 58-line function is no failure."""


def test_no_function_is_long_without_a_reason() -> None:
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            name = f"{path.relative_to(PACKAGE).as_posix()}:{node.name}"
            lines = (node.end_lineno or node.lineno) - node.lineno + 1
            reason = "Longer than 60 lines" in (ast.get_docstring(node) or "")
            if lines > LIMIT and not reason:
                long.append(f"{name} ({lines} lines)")
    assert not long, "split these, or say in the docstring why not: " + ", ".join(long)
