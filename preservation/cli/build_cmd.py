"""`preservation build`: one preservation bag per release."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from preservation.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    HelpFormatter,
    Progress,
    UsageError,
    add_profile_option,
    positive_int,
    profile_from_args,
)
from preservation.errors import PreservationError
from preservation.sourcefile import shown

if TYPE_CHECKING:
    from preservation.build import BuildOutcome, BuildSummary


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "build",
        help="build one BagIt bag per press release",
        description=(
            "Build one BagIt bag (RFC 8493) per release found in SOURCES, under BAGS_DIR/<identifier>: the "
            "source document and its attachments byte for byte, a plain-text rendition of HTML sources, "
            "Dublin Core and METS/PREMIS metadata checked against the official schemas, the archival "
            "notice, and SHA-256/SHA-512 manifests. Bags appear only when complete. Sources are never "
            "changed. A bag that already exists with the same payload is left as it is (up to date); "
            "one whose source changed is a conflict and is left untouched too. Set SOURCE_DATE_EPOCH "
            "for byte-identical rebuilds."
        ),
        epilog=(
            "Examples:\n"
            "  preservation build samples --out bags\n"
            "  SOURCE_DATE_EPOCH=1700000000 preservation build export/ --out bags --jobs 2 --verbose\n\n"
            "Exit codes: 0 every release built or up to date, 1 any failed or conflicted, "
            "2 usage or profile error."
        ),
        formatter_class=HelpFormatter,
    )
    parser.add_argument(
        "sources",
        nargs="+",
        type=Path,
        metavar="SOURCES",
        help="release files, release folders or collections of them",
    )
    parser.add_argument(
        "--out", required=True, type=Path, metavar="BAGS_DIR", help="where the bags go (created if missing)"
    )
    add_profile_option(parser)
    parser.add_argument(
        "--jobs", type=positive_int, default=2, metavar="N", help="releases staged in parallel (default 2)"
    )
    noise = parser.add_mutually_exclusive_group()
    noise.add_argument("--quiet", "-q", action="store_true", help="print only problems and the summary")
    noise.add_argument("--verbose", "-v", action="store_true", help="print a line for every release")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Imported here, not at the top: every command's module is loaded to build the parser, and the
    # build's dependencies would slow down (and enlarge) every other command.
    from preservation.build import build_bags

    profile = profile_from_args(args)
    missing = [shown(str(path)) for path in args.sources if not os.path.lexists(path)]
    if missing:
        raise UsageError(f"no such source: {', '.join(missing)}")
    progress = Progress(unit="release", enabled=not args.quiet)

    def heard(outcome: BuildOutcome) -> None:
        if outcome.status != "skipped":  # the bar counts releases, not the entries beside them
            progress.step(outcome.status)
        if args.verbose or outcome.status in ("failed", "conflict", "skipped"):
            print(
                _line(outcome), file=sys.stdout if outcome.status in ("built", "up-to-date") else sys.stderr
            )

    try:
        summary = build_bags(
            args.sources, args.out, profile, jobs=args.jobs, on_planned=progress.start, on_outcome=heard
        )
    except PreservationError as exc:
        raise UsageError(str(exc)) from None
    finally:
        progress.close()
    print(_summary(summary))
    return EXIT_OK if summary.ok else EXIT_FAILED


def _line(outcome: BuildOutcome) -> str:
    """One line, whatever the names in it hold (paths and messages may quote source names)."""
    where = outcome.bag or outcome.source
    text = f"{outcome.status}: {where}"
    code = f"[{outcome.code}] " if outcome.code else ""
    return shown(f"{text}: {code}{outcome.message}" if outcome.message else text)


def _summary(summary: BuildSummary) -> str:
    counts = (
        f"{summary.count('built')} built, {summary.count('up-to-date')} up to date, "
        f"{summary.count('conflict')} conflicts, {summary.count('failed')} failed"
    )
    if summary.count("skipped"):
        counts += f", {summary.count('skipped')} entries skipped"
    if summary.removed_temporaries:
        counts += f" (removed {len(summary.removed_temporaries)} unfinished bags of an interrupted run)"
    return counts
