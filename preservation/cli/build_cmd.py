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
    add_command,
    add_jobs_option,
    add_lang_option,
    add_profile_option,
    profile_from_args,
)
from preservation.display import shown
from preservation.errors import PreservationError
from preservation.validate.findings import SEVERITIES, counted, message, words

if TYPE_CHECKING:
    from preservation.build import BuildOutcome, BuildSummary


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = add_command(
        subparsers,
        "build",
        description=(
            "Build one BagIt bag (RFC 8493) per release found in SOURCES, under BAGS_DIR/<identifier>: the "
            "source document and its attachments byte for byte, a plain-text rendition of HTML sources, "
            "Dublin Core and METS/PREMIS metadata checked against the official schemas, the archival "
            "notice, and SHA-256/SHA-512 manifests. Bags appear only when complete. Sources are never "
            "changed. A bag that already exists with the same payload is left as it is (up to date); "
            "one whose source changed is a conflict and is left untouched too, unless --replace is given. "
            "A release read twice is a duplicate and built once. What the reader had to guess is counted "
            "in the summary, listed with --verbose and recorded in each bag's METS as a PREMIS metadata "
            "extraction event. Set SOURCE_DATE_EPOCH for byte-identical rebuilds."
        ),
        epilog=(
            "Examples:\n"
            "  preservation build samples --out bags\n"
            "  SOURCE_DATE_EPOCH=1700000000 preservation build export/ --out bags --jobs 2 --verbose\n"
            "  preservation build corrected/04161 --out bags --replace\n"
            "  preservation inspect export/ --format csv > fixes.csv   # edit titles, dates, …\n"
            "  preservation build export/ --out bags --corrections fixes.csv --corrected-by 'E. Muster'\n"
            "  preservation build export/ --out bags --strict\n\n"
            "Exit codes: 0 every release built, replaced, up to date or a duplicate, 1 any failed or "
            "conflicted (with --strict: or warned), 2 usage or profile error."
        ),
        formatter_class=HelpFormatter,
    )
    _sources_and_target(parser)
    _rebuilding(parser)
    _running(parser)
    parser.set_defaults(func=run)


def _sources_and_target(parser: argparse.ArgumentParser) -> None:
    """What is read, where the bags go, and the profile they follow."""
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


def _rebuilding(parser: argparse.ArgumentParser) -> None:
    """What a bag that exists, or a release an archivist corrected, becomes."""
    parser.add_argument(
        "--replace",
        action="store_true",
        help=(
            "build a new bag for a release whose source differs from its existing bag; the old bag is kept, "
            "never deleted, under BAGS_DIR/.superseded/<identifier>/<bagging-date>/ and the new METS names it"
        ),
    )
    parser.add_argument(
        "--corrections",
        type=Path,
        metavar="FILE",
        help=(
            "corrected titles, dates, authors and places: the CSV of 'inspect --format csv', edited, or a "
            "YAML file; each correction is recorded in the bag's METS (PREMIS metadata modification). A "
            "file that does not fit the releases read is refused before anything is built (exit 2). A "
            "corrected release whose bag exists is a conflict unless --replace is given"
        ),
    )
    parser.add_argument(
        "--corrected-by",
        metavar="NAME",
        help="the archivist named in the PREMIS events of corrections whose row names none "
        "(column or key corrected_by); default: the login name",
    )


def _running(parser: argparse.ArgumentParser) -> None:
    add_jobs_option(parser, "--jobs", default=2, help="releases staged in parallel (default 2)")
    noise = parser.add_mutually_exclusive_group()
    noise.add_argument("--quiet", "-q", action="store_true", help="print only problems and the summary")
    noise.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        help="print a line for every release, and each of its warnings",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="a release the reader had to warn about (a guessed title or date, removed chrome, …) fails "
        "instead of being built; the others are still built",
    )
    add_lang_option(parser, "the lines and the summary")


def run(args: argparse.Namespace) -> int:
    # Imported here, not at the top: every command's module is loaded to build the parser, and the
    # build's dependencies would slow down (and enlarge) every other command.
    from preservation import api

    profile = profile_from_args(args)
    missing = [shown(str(path)) for path in args.sources if not os.path.lexists(path)]
    if missing:
        raise UsageError(f"no such source: {', '.join(missing)}")
    if args.corrected_by is not None and args.corrections is None:
        raise UsageError("--corrected-by names who made the corrections of --corrections FILE; give that too")
    progress = Progress(unit="release", enabled=not args.quiet)
    severities = dict(zip(SEVERITIES, words("cli.severities", args.lang), strict=True))

    def heard(outcome: BuildOutcome) -> None:
        if outcome.status != "skipped":  # the bar counts releases, not the entries beside them
            progress.step(outcome.status)
        problem = outcome.status in ("failed", "conflict", "skipped")
        if args.verbose or problem or (outcome.status in ("duplicate", "replaced") and not args.quiet):
            stream = sys.stderr if problem else sys.stdout
            print(_line(outcome, args.lang), file=stream)
            if args.verbose or outcome.status == "failed":  # with --strict, the warnings are why
                for warning in outcome.warnings:
                    said = f"{warning.code}: {shown(warning.text(args.lang))}"
                    print(f"  {severities['warning']}: {said}", file=stream)

    try:
        summary = api.build(
            args.sources,
            args.out,
            profile,
            jobs=args.jobs,
            replace=args.replace,
            on_planned=progress.start,
            on_outcome=heard,
            strict=args.strict,
            corrections=args.corrections,
            corrected_by=args.corrected_by,
        )
    except PreservationError as exc:
        raise UsageError(str(exc)) from None
    finally:
        progress.close()
    print(_summary(summary, args.verbose, args.lang))
    return EXIT_OK if summary.ok else EXIT_FAILED


def _line(outcome: BuildOutcome, language: str = "en") -> str:
    """One line, whatever the names in it hold (paths and messages may quote source names)."""
    from preservation import api

    # A duplicate's message names what it repeats (a source, or a bag): the line names the source.
    where = outcome.source if outcome.status == "duplicate" else outcome.bag or outcome.source
    status = dict(zip(api.BUILD_STATUSES, words("cli.build.statuses", language), strict=True))[outcome.status]
    text = f"{status}: {where}"
    code = f"[{outcome.code}] " if outcome.code else ""
    said = outcome.text(language)
    return shown(f"{text}: {code}{said}" if said else text)


def _summary(summary: BuildSummary, verbose: bool, language: str = "en") -> str:
    # Replacements and duplicates are counted only when there are any: the usual line stays as it was.
    replaced, duplicates, conflicts = (summary.count(s) for s in ("replaced", "duplicate", "conflict"))
    counts = message(
        "cli.build.summary",
        language,
        built=summary.count("built"),
        replaced=message("cli.build.replaced", language, count=replaced) if replaced else "",
        current=summary.count("up-to-date"),
        duplicates=counted("cli.build.duplicates", duplicates, language) if duplicates else "",
        conflicts=counted("cli.build.conflicts", conflicts, language),
        failed=summary.count("failed"),
    )
    skipped = summary.count("skipped")
    if skipped:
        counts += ", " + counted("cli.skipped", skipped, language)
    if summary.removed_temporaries:
        counts += message("cli.build.removed", language, count=len(summary.removed_temporaries))
    warnings = summary.warning_count
    if warnings:
        counts += counted("cli.build.warnings", warnings, language)
        counts += "" if verbose else message("cli.build.verbose-hint", language)
    return counts
