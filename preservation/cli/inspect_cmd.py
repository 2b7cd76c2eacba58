"""`preservation inspect`: show what the tool understood of each release before anything is packaged."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from preservation.cli import common
from preservation.display import shown
from preservation.validate.findings import counted, message, words

if TYPE_CHECKING:
    from preservation.release.model import ReadFailure, Release, Skipped

EXAMPLE = """Examples:
  preservation inspect samples
  preservation inspect export/2019 extra/04161/index.html.de --format json > inspect.json
  preservation inspect export/ --format csv > corrections.csv

--format csv writes one row per release for Excel (UTF-8 with BOM, ';'): source, identifier, title,
issued, author, place, notice, warnings. Correct title, issued, author or place in it and give it back
with 'preservation build export/ --out bags --corrections corrections.csv'.

A SOURCE is a release document (.txt, .html, .htm, .html.de), a folder holding exactly one release
document (its other files are the attachments), or a collection folder searched recursively.

Links below a SOURCE are never followed and special files (FIFOs, devices) never opened: they are listed
as skipped, or, where a release document would be, as errors.

Exit codes: 0 every release was read, 1 any release failed, 2 usage or profile error."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = common.add_command(
        subparsers,
        "inspect",
        description=(
            "Read press releases and show, per release, the identifier, title, issued date, author, place, "
            "whether the source carried the archive's notice, the attachments and any warnings: what "
            "was guessed or left out, each with a code. "
            "Nothing is written; use it to check an export before building bags."
        ),
        epilog=EXAMPLE,
        formatter_class=common.HelpFormatter,
    )
    parser.add_argument("sources", nargs="+", type=Path, metavar="SOURCE", help="release file or folder")
    common.add_profile_option(parser)
    common.add_format_option(parser, "text", "json", "csv")
    common.add_lang_option(parser, "the text output (json and csv are the same in both)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    missing = [shown(str(s)) for s in args.sources if not os.path.lexists(s)]
    if missing:
        raise common.UsageError(f"no such SOURCE: {', '.join(missing)}")
    profile = common.profile_from_args(args)
    # Imported here: the reader, hashing and the catalogue would slow down every other command's start.
    from preservation import api

    results = api.inspect(args.sources, profile)
    releases = [r for r in results if isinstance(r, api.Release)]
    failures = [r for r in results if isinstance(r, api.ReadFailure)]
    skipped = [r for r in results if isinstance(r, api.Skipped)]
    if args.format == "csv":
        common.print_document(api.inspect_csv(releases).decode("utf-8"))
        _report_problems(failures, skipped)
    elif args.format == "json":
        common.print_json(
            {
                "releases": [release_json(r) for r in releases],
                "errors": [_coded({"source": str(f.source), "message": f.message}, f.code) for f in failures],
                "skipped": [{"path": str(s.path), "code": s.code, "message": s.message} for s in skipped],
            }
        )
    else:
        for release in releases:
            print(release_text(release, args.lang))
        _report_problems(failures, skipped)
        summary = message("cli.inspect.summary", args.lang, read=len(releases), failed=len(failures))
        if skipped:
            summary += f", {counted('cli.skipped', len(skipped), args.lang)}"
        print(summary)
    return common.EXIT_FAILED if failures else common.EXIT_OK


def _report_problems(failures: list[ReadFailure], skipped: list[Skipped]) -> None:
    for failure in failures:
        code = f"[{failure.code}] " if failure.code else ""
        print(shown(f"error: {failure.source}: {code}{failure.message}"), file=sys.stderr)
    for entry in skipped:
        print(shown(f"skipped: {entry.path}: [{entry.code}] {entry.message}"), file=sys.stderr)


def _coded(item: dict[str, str], code: str | None) -> dict[str, str]:
    return {**item, "code": code} if code else item


def release_json(release: Release) -> dict[str, Any]:
    return {
        "source": str(release.source),
        "identifier": release.identifier,
        "title": release.title,
        "issued": release.issued.isoformat(),
        "author": release.author,
        "place": release.place,
        "notice_in_source": release.notice_in_source,
        "attachments": [str(a) for a in release.attachments],
        "warnings": [w.message for w in release.warnings],
        "findings": [{"code": w.code, "message": w.message} for w in release.warnings],
        "origins": dict(release.origins),
    }


def release_text(release: Release, language: str = "en") -> str:
    """One block per release: aligned fields, then attachments and warnings, then a blank line."""
    identifier, title, issued, author, place, notice, encoding, attachment, warning = words(
        "cli.inspect.fields", language
    )
    in_source, not_in_source = words("cli.inspect.notice", language)
    fields = [
        (identifier, release.identifier),
        (title, release.title),
        (issued, release.issued.isoformat()),
        (author, release.author or "–"),
        (place, release.place or "–"),
        (notice, in_source if release.notice_in_source else not_in_source),
        (encoding, release.encoding),
    ]
    fields += [(attachment, release.attachment_name(a)) for a in release.attachments]
    fields += [(warning, f"{w.text(language)} [{w.code}]") for w in release.warnings]
    width = max(len(name) for name, _ in fields) + 2
    lines = [shown(release.source)] + [f"  {name + ':':<{width}}{shown(value)}" for name, value in fields]
    return "\n".join(lines) + "\n"
