"""The CLI is built on `preservation.api`: its command modules get their work only through the facade, so a
script and the command do the same thing. Read from the modules' import statements, lazy ones included."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CLI = Path(__file__).resolve().parents[2] / "preservation" / "cli"

CLI_LAYER = {
    "preservation": {"api", "durable"},  # the facade; durable writes of the report files a command is given
    "preservation.display": {"shown", "json_dumps"},
    "preservation.errors": {"PreservationError"},
    "preservation.workers": {"JOBS_PER_CPU", "bounded_jobs", "max_jobs", "usable_cpus"},
    "preservation.fixity": {"notify"},  # notifications (mail, webhooks) belong to the command, not the API
    "preservation.bagit": {"locate"},  # for notify: the roots named as the ledger names them
}
"""What the command line may import besides the facade: its own layer (option parsing, output, notify)."""

WORDING = {
    "preservation.validate.findings": {"SEVERITIES", "counted", "decimal", "message", "words"},
    "preservation.validate.report": {"render_text", "summary_line"},
    "preservation.validate": {"report"},  # its render_<format> functions, looked up by name
    "preservation.fixity.report": {"DEFAULT_ZONE", "render_text"},
}
"""How results are said to people: the catalogue's words and the renderers of the facade's results. The
result and option types, constants and the defaults the options show in --help come from the facade too
(`preservation.api`'s vocabulary); a command module may name other types in annotations only."""

ALLOWED = {
    module: CLI_LAYER.get(module, set()) | WORDING.get(module, set()) for module in {*CLI_LAYER, *WORDING}
}


def _imports(source: Path) -> list[tuple[str, str]]:
    """(module, name) for each name a module imports from the package at run time; imports under
    `if TYPE_CHECKING:` are only annotations, and are left out."""
    tree = ast.parse(source.read_text(encoding="utf-8"))
    annotations = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING"
        for node in ast.walk(block)
    }
    found: list[tuple[str, str]] = []
    for node in ast.walk(tree):
        if id(node) in annotations:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "preservation":
            found += [(node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(alias.name, "") for alias in node.names if alias.name.split(".")[0] == "preservation"]
    return found


COMMANDS = sorted(path for path in CLI.glob("*_cmd.py"))


def _past_the_facade(source: Path) -> list[str]:
    """What `source` imports from the package besides the facade and what `ALLOWED` names."""
    return [
        f"{module}.{name}" if name else module
        for module, name in _imports(source)
        if not module.startswith("preservation.cli")
        and module != "preservation.api"
        and (module, name) != ("preservation", "")  # `import preservation`, for __version__
        and name not in ALLOWED.get(module, set())
    ]


@pytest.mark.parametrize("source", [*COMMANDS, CLI / "common.py", CLI / "__init__.py"], ids=lambda p: p.name)
def test_a_command_module_gets_its_work_only_through_the_facade(source: Path) -> None:
    work = _past_the_facade(source)
    assert work == [], f"{source.name} imports work past preservation.api: {work}"


def test_types_constants_and_helpers_past_the_facade_are_found(tmp_path: Path) -> None:
    module = tmp_path / "x_cmd.py"
    module.write_text(
        "from preservation.api import TAG_FILE_LIMIT\n"
        "from preservation.validate.findings import words\n"
        "def run():\n"
        "    from preservation import api\n"
        "    from preservation.build import STATUSES\n"
        "    from preservation.export import Rejected\n"
        "    from preservation.export.admission import reason\n"
        "    from preservation.fixity.alarms import worst\n"
    )
    assert _past_the_facade(module) == [
        "preservation.build.STATUSES",
        "preservation.export.Rejected",
        "preservation.export.admission.reason",
        "preservation.fixity.alarms.worst",
    ]


@pytest.mark.parametrize("source", COMMANDS, ids=lambda p: p.name)
def test_each_command_calls_the_facade(source: Path) -> None:
    assert ("preservation", "api") in _imports(source)


def test_the_check_reads_lazy_imports_and_skips_annotations(tmp_path: Path) -> None:
    module = tmp_path / "x_cmd.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from preservation.build import BuildSummary\n"
        "def run():\n"
        "    from preservation.build import build_bags\n"
        "    import preservation.validate.api\n"
    )
    assert _imports(module) == [("preservation.build", "build_bags"), ("preservation.validate.api", "")]
