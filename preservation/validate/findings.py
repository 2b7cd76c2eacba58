"""Findings and their catalogue: checks emit codes and parameters, every text comes from catalogue.yaml."""

from __future__ import annotations

import contextlib
import json
import os
import pkgutil
import sys
from dataclasses import dataclass
from functools import cache
from importlib.util import cache_from_source
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

if TYPE_CHECKING:
    from preservation.bagit.parse import Problem

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


class CatalogueEntry(NamedTuple):
    """A code of the catalogue: its family, severity and message in English and German."""

    code: str
    family: str
    severity: Severity
    en: str
    de: str


@dataclass(frozen=True)
class Finding:
    """A problem found: its catalogue code and severity, the English message, the file it is in (if any)
    and the parameters the message was made of."""

    code: str
    severity: Severity
    message: str
    file: str | None = None
    params: tuple[tuple[str, str], ...] = ()

    @property
    def family(self) -> str:
        return catalogue()[self.code].family

    def text(self, language: str = "en") -> str:
        """The message in `language`; as said (English) when its parameters do not fill the translation."""
        return translated(self.code, self.message, self.params, language)


def translated(code: str, said: str, params: tuple[tuple[str, str], ...], language: str) -> str:
    """The message of `code` in `language` from `params`; `said` (its English text) for English, or when
    the parameters do not fill the translation (a record written before it kept them)."""
    if language == "en":
        return said
    try:
        return catalogue()[code].de.format(**dict(params))
    except (KeyError, IndexError):
        return said


@cache
def catalogue() -> dict[str, CatalogueEntry]:
    # Read by the package's loader (from a zip too), as importlib.resources would: its files() loads
    # tempfile and zipfile, ~3 ms of every command's start.
    data = pkgutil.get_data(__package__ or "preservation.validate", "catalogue.yaml")
    if data is None:
        raise RuntimeError("the package's loader cannot read catalogue.yaml")
    text = data.decode("utf-8")
    # where Python keeps bytecode for the package (honouring PYTHONPYCACHEPREFIX), as catalogue.*.json; in
    # a zip it can be neither read nor written, and the YAML is parsed
    copy = Path(cache_from_source(str(Path(__file__).with_name("catalogue.py")))).with_suffix(".json")
    return {
        code: CatalogueEntry(code, item["family"], item["severity"], item["en"], item["de"])
        for code, item in _parsed(text, copy).items()
    }


def _parsed(text: str, copy: Path | None) -> dict[str, Any]:
    """catalogue.yaml parsed, from a JSON copy beside the bytecode when it holds this very text: PyYAML's
    import and parse would cost every command that prints a word far more than reading the copy
    (benchmarks/README.md). The copy is written as Python writes bytecode: where it can be, and not under
    PYTHONDONTWRITEBYTECODE."""
    if copy is not None:
        try:
            cached = json.loads(copy.read_bytes())
            if cached["source"] == text:
                return dict(cached["entries"])
        except (OSError, ValueError, KeyError, TypeError):
            pass  # absent, stale or damaged: parse the YAML
    import yaml  # here: a command that reports nothing, or finds the copy, need not load it

    # libyaml's safe loader where PyYAML has it: the same entries in a sixth of the pure-Python loader's time
    entries: dict[str, Any] = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    if copy is not None and not sys.dont_write_bytecode:
        partial = copy.with_name(f"{copy.name}.{os.getpid()}")
        try:
            copy.parent.mkdir(parents=True, exist_ok=True)
            partial.write_text(json.dumps({"source": text, "entries": entries}), encoding="utf-8")
            os.replace(partial, copy)  # whole or not at all, for processes reading it meanwhile
        except OSError:  # a read-only install: parse each time
            with contextlib.suppress(OSError):
                partial.unlink()
    return entries


def _render(template: str, params: dict[str, str]) -> str:
    try:
        return template.format(**params)
    except (KeyError, IndexError):  # a check forgot a parameter: keep the text, do not lose the finding
        return template


def finding(code: str, file: str | None = None, **params: object) -> Finding:
    """A finding for `code`; KeyError for a code missing from the catalogue (a bug, caught by the tests)."""
    entry = catalogue()[code]
    pairs = tuple((key, str(value)) for key, value in params.items())
    return Finding(code, entry.severity, _render(entry.en, dict(pairs)), file, pairs)


def message(code: str, language: str = "en", **params: object) -> str:
    """The catalogue's text for `code` in `language` (``en``, ``de``), e.g. for the report's words."""
    entry = catalogue()[code]
    return _render(entry.de if language == "de" else entry.en, {k: str(v) for k, v in params.items()})


def counted(code: str, count: int, language: str = "en") -> str:
    """`count` things in words: the entry `code`, or `code`-one for one (``1 bag``, ``3 bags``)."""
    return message(f"{code}-one" if count == 1 else code, language, count=count)


def words(code: str, language: str = "en", **params: object) -> list[str]:
    """A catalogue entry that lists words separated by `` | `` (column heads, outcome names)."""
    return message(code, language, **params).split(" | ")


def decimal(value: float, language: str = "en") -> str:
    """One decimal place: 12.5 in English, 12,5 in German."""
    text = f"{value:.1f}"
    return text.replace(".", ",") if language == "de" else text


def from_problem(item: Problem, file: str | None) -> Finding:
    params = dict(item.params)
    return finding(item.code, file, **params)


def markdown_table(language: str = "en") -> str:
    """The README's table of finding codes, generated from the catalogue."""
    rows = ["| Code | Family | Severity | Message |", "|---|---|---|---|"]
    for entry in catalogue().values():
        message = (entry.de if language == "de" else entry.en).replace("|", "\\|")
        rows.append(f"| `{entry.code}` | {entry.family} | {entry.severity} | {message} |")
    return "\n".join(rows) + "\n"
