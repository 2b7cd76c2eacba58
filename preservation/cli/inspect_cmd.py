"""`preservation inspect`: show what the tool understood of each release before anything is packaged."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from preservation.cli import common
from preservation.release import ReadFailure, Release, read_sources

EXAMPLE = """Examples:
  preservation inspect samples
  preservation inspect export/2019 extra/04161/index.html.de --format json > inspect.json

A SOURCE is a release document (.txt, .html, .htm, .html.de), a folder holding exactly one release
document (its other files are the attachments), or a collection folder searched recursively.

Exit codes: 0 every release was read, 1 any release failed, 2 usage or profile error."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "inspect",
        help="show what the tool reads from each release (identifier, title, date, author, …)",
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
    common.add_format_option(parser, "text", "json")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    missing = [str(s) for s in args.sources if not s.exists()]
    if missing:
        raise common.UsageError(f"no such SOURCE: {', '.join(missing)}")
    profile = common.profile_from_args(args)
    results = list(read_sources(args.sources, profile))
    releases = [r for r in results if isinstance(r, Release)]
    failures = [r for r in results if isinstance(r, ReadFailure)]
    if args.format == "json":
        common.print_json(
            {
                "releases": [release_json(r) for r in releases],
                "errors": [{"source": str(f.source), "message": f.message} for f in failures],
            }
        )
    else:
        for release in releases:
            print(release_text(release))
        for failure in failures:
            print(f"error: {failure.source}: {failure.message}", file=sys.stderr)
        print(f"{len(releases)} read, {len(failures)} failed")
    return common.EXIT_FAILED if failures else common.EXIT_OK


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


def release_text(release: Release) -> str:
    """One block per release: aligned fields, then attachments and warnings, then a blank line."""
    fields = [
        ("identifier", release.identifier),
        ("title", release.title),
        ("issued", release.issued.isoformat()),
        ("author", release.author or "–"),
        ("place", release.place or "–"),
        ("notice", "in source" if release.notice_in_source else "not in source"),
        ("encoding", release.encoding),
    ]
    lines = [str(release.source)] + [f"  {name + ':':<12}{value}" for name, value in fields]
    lines += [f"  attachment: {release.attachment_name(a)}" for a in release.attachments]
    lines += [f"  warning:    {w.message} [{w.code}]" for w in release.warnings]
    return "\n".join(lines) + "\n"
