"""`preservation validate PATH...`: exit 0 all valid, 1 any invalid, 2 usage error or no bag."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from preservation.api import TAG_FILE_LIMIT
from preservation.cli import common
from preservation.display import shown
from preservation.errors import PreservationError
from preservation.workers import usable_cpus

if TYPE_CHECKING:
    from preservation.validate.api import BagReport
    from preservation.validate.scan import Mode

FORMATS = ("text", "json", "junit", "github", "sarif", "markdown")
"""Each renders with `preservation.validate.report.render_<format>`, imported when a report is made."""
DOCUMENTS = ("json", "junit", "sarif", "markdown")
"""Documents: written in UTF-8 whatever the locale; stdout carries only the document, so the summary line
goes to stderr."""
PROGRESS_FROM = 5
"""A progress bar (on a terminal, for text output) from this many bags on."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = common.add_command(
        subparsers,
        "validate",
        description=(
            "Validate BagIt bags (RFC 8493, versions 0.93 to 1.0). Every problem is reported. With --profile "
            "or --bagit-profile the bags are also checked against that profile; with neither, against "
            "RFC 8493 only."
        ),
        epilog=(
            "Examples:\n"
            "  preservation validate bags/ --profile profiles/state-archive.yaml\n"
            "  preservation validate transfer/04161.tar --format junit --output validate.xml --strict\n"
            "  preservation validate bags/ --format github --write junit=validate.xml --write sarif=x.sarif\n"
            "  preservation validate --containing bags/x/data/a.txt bags/y.zip   (as the pre-commit hook)\n\n"
            "A transfer folder (export's output) is a folder of bags: each bag file in it is validated. The "
            "last line is a summary (bags valid, valid with warnings, invalid, time); on stderr when stdout "
            "is a json, junit, sarif or markdown document.\n\n"
            "JSON and SARIF are the same in every --lang: codes with the English message (SARIF carries the "
            "German in its properties).\n\n"
            "Exit codes: 0 every bag valid, 1 any bag invalid, 2 usage error or a path that is not a bag."
        ),
        formatter_class=common.HelpFormatter,
    )
    _inputs(parser)
    _outputs(parser)
    _checks(parser)
    parser.set_defaults(func=run)


def _inputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="a bag folder, a .tar, .tar.gz/.tgz or .zip bag (read as a stream), or a folder of bags",
    )
    parser.add_argument(
        "--containing",
        action="store_true",
        help="the PATHs are files (as a pre-commit hook passes changed files): validate each bag that "
        "holds one, once; a file in no bag is passed by",
    )


def _outputs(parser: argparse.ArgumentParser) -> None:
    common.add_format_option(parser, *FORMATS)
    common.add_lang_option(parser, "the messages in text, junit, github and markdown output and the summary")
    parser.add_argument("--output", type=Path, metavar="FILE", help="write the report here (atomically)")
    parser.add_argument(
        "--write",
        type=_format_and_file,
        action="append",
        default=[],
        metavar="FORMAT=FILE",
        help="also write the report in FORMAT to FILE (atomically); repeatable: --write junit=report.xml",
    )


def _checks(parser: argparse.ArgumentParser) -> None:
    depth = parser.add_mutually_exclusive_group()
    depth.add_argument("--fast", action="store_true", help="structure and Payload-Oxum only, no hashing")
    depth.add_argument(
        "--completeness-only", action="store_true", help="compare file lists with the manifests, no hashing"
    )
    parser.add_argument("--strict", action="store_true", help="warnings make a bag invalid")
    parser.add_argument(
        "--tag-file-limit",
        type=_positive_size,
        default=TAG_FILE_LIMIT,
        metavar="SIZE",
        help="tag files a check reads (manifests, bag-info, METS) larger than SIZE are not read and named "
        f"(default {TAG_FILE_LIMIT >> 20}M; e.g. 2G)",
    )
    common.add_jobs_option(
        parser,
        "--jobs",
        default=usable_cpus(),
        help="processes hashing the payload of bag folders (default: the number of CPUs)",
    )
    parser.add_argument(
        "--cross-check",
        action="store_true",
        help="also run bagit-python's validator on bag folders and report where it disagrees with ours",
    )
    profiles = parser.add_mutually_exclusive_group()
    profiles.add_argument(
        "--profile", type=Path, metavar="YAML", help="also check against this profile of ours (YAML)"
    )
    profiles.add_argument(
        "--bagit-profile",
        type=Path,
        metavar="JSON",
        help="also check against this BagIt Profile (JSON, spec 1.4.0)",
    )


def _positive_size(text: str) -> int:
    size = common.parse_size(text)
    if size < 1:
        raise argparse.ArgumentTypeError(f"a tag-file limit must be at least 1 byte: {text!r}")
    return size


def run(args: argparse.Namespace) -> int:
    # Imported here: the validator's modules would slow down every other command's start.
    from preservation import api
    from preservation.validate.report import render_text, summary_line

    mode: Mode = "fast" if args.fast else "completeness" if args.completeness_only else "full"
    started = time.monotonic()
    progress = common.Progress("bag", enabled=args.format == "text")
    try:
        reports = api.validate(
            args.paths,
            args.profile,
            bagit_profile=args.bagit_profile,
            mode=mode,
            cross_check=args.cross_check,
            jobs=args.jobs,
            containing=args.containing,
            tag_file_limit=args.tag_file_limit,
            on_planned=lambda count: progress.start(count) if count >= PROGRESS_FROM else None,
            on_bag=lambda bag: progress.step(shown(bag.name)),
        )
    except PreservationError as exc:
        raise common.UsageError(str(exc)) from None
    finally:
        progress.close()
    if args.format == "text" and args.output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ:
        text = render_text(reports, args.strict, colour=True, language=args.lang)
    else:
        text = _renderer(args.format)(reports, args.strict, args.lang)
    if args.write or args.output is not None:
        _write_files(args, text, reports)
    if args.output is None:
        if args.format in DOCUMENTS:
            common.print_document(text)
        else:
            sys.stdout.write(text)
    summary = summary_line(reports, args.strict, time.monotonic() - started, args.lang)
    (sys.stderr if args.output is None and args.format in DOCUMENTS else sys.stdout).write(summary)
    return common.EXIT_OK if all(r.passes(args.strict) for r in reports) else common.EXIT_FAILED


def _write_files(args: argparse.Namespace, text: str, reports: Sequence[BagReport]) -> None:
    """The report into --output and each --write file, atomically."""
    from preservation import durable  # here: tempfile and shutil, for a run that writes files only

    try:
        for form, target in args.write:
            durable.write_text(target, _renderer(form)(reports, args.strict, args.lang))
        if args.output is not None:
            durable.write_text(args.output, text)
    except PreservationError as exc:
        raise common.UsageError(str(exc)) from None


def _format_and_file(text: str) -> tuple[str, Path]:
    form, equals, target = text.partition("=")
    if not equals or form not in FORMATS or not target:
        raise argparse.ArgumentTypeError(f"not FORMAT=FILE with FORMAT one of {', '.join(FORMATS)}: {text!r}")
    return form, Path(target)


def _renderer(form: str) -> Callable[[Sequence[BagReport], bool, str], str]:
    from preservation.validate import report

    renderer: Callable[[Sequence[BagReport], bool, str], str] = getattr(report, f"render_{form}")
    return renderer
