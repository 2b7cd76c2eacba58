"""`preservation validate PATH...`: exit 0 all valid, 1 any invalid, 2 usage error or no bag."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from preservation import atomic
from preservation.cli import common
from preservation.errors import PreservationError
from preservation.profile import load_profile
from preservation.validate.api import discover, validate_bag
from preservation.validate.profile_rules import ProfileRules, load_bagit_profile, rules_from_profile
from preservation.validate.report import render_json, render_junit, render_text
from preservation.validate.scan import Mode
from preservation.workers import usable_cpus


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="validate bags (folders, .tar, .tar.gz, .zip, or folders of bags)",
        description=(
            "Validate BagIt bags (RFC 8493, versions 0.93 to 1.0). Every problem is reported. With --profile "
            "or --bagit-profile the bags are also checked against that profile; with neither, against "
            "RFC 8493 only."
        ),
        epilog=(
            "Examples:\n"
            "  preservation validate bags/ --profile profiles/state-archive.yaml\n"
            "  preservation validate transfer/04161.tar --format junit --output validate.xml --strict\n\n"
            "Exit codes: 0 every bag valid, 1 any bag invalid, 2 usage error or a path that is not a bag."
        ),
        formatter_class=common.HelpFormatter,
    )
    parser.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="a bag folder, a .tar, .tar.gz/.tgz or .zip bag (read as a stream), or a folder of bags",
    )
    common.add_format_option(parser, "text", "json", "junit")
    parser.add_argument("--output", type=Path, metavar="FILE", help="write the report here (atomically)")
    depth = parser.add_mutually_exclusive_group()
    depth.add_argument("--fast", action="store_true", help="structure and Payload-Oxum only, no hashing")
    depth.add_argument(
        "--completeness-only", action="store_true", help="compare file lists with the manifests, no hashing"
    )
    parser.add_argument("--strict", action="store_true", help="warnings make a bag invalid")
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
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    mode: Mode = "fast" if args.fast else "completeness" if args.completeness_only else "full"
    try:
        profile = _profile_rules(args)
        bags = discover(args.paths)
        reports = [validate_bag(bag, mode, profile, args.cross_check, args.jobs) for bag in bags]
    except PreservationError as exc:
        raise common.UsageError(str(exc)) from None
    if args.format == "json":
        text = render_json(reports, args.strict)
    elif args.format == "junit":
        text = render_junit(reports, args.strict)
    else:
        colour = args.output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
        text = render_text(reports, args.strict, colour)
    if args.output is not None:
        try:
            atomic.write_text(args.output, text)
        except PreservationError as exc:
            raise common.UsageError(str(exc)) from None
    elif args.format == "text":
        sys.stdout.write(text)
    else:
        common.print_document(text)
    return common.EXIT_OK if all(r.passes(args.strict) for r in reports) else common.EXIT_FAILED


def _profile_rules(args: argparse.Namespace) -> ProfileRules | None:
    if args.profile is not None:
        return rules_from_profile(load_profile(args.profile))
    if args.bagit_profile is not None:
        return load_bagit_profile(args.bagit_profile)
    return None
