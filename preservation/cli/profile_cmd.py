"""`preservation profile export`: a profile as the standard BagIt Profile 1.4.0 JSON."""

from __future__ import annotations

import argparse
from pathlib import Path

from preservation.cli.common import EXIT_OK, HelpFormatter, add_command, print_json, profile_from_args


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = add_command(
        subparsers,
        "profile",
        description="Work with profiles: the YAML files that say what a bag must contain.",
    )
    actions = parser.add_subparsers(dest="profile_command", metavar="ACTION", required=True)
    export = actions.add_parser(
        "export",
        help="print a profile as BagIt Profile 1.4.0 JSON",
        description=(
            "Print the standard BagIt Profile (specification 1.4.0) JSON of a profile, for DART, "
            "dart-runner, bagit-profile and other tools that validate bags against BagIt Profiles."
        ),
        epilog="Examples:\n  preservation profile export profiles/state-archive.yaml > state-archive.json",
        formatter_class=HelpFormatter,
    )
    export.add_argument(
        "profile",
        nargs="?",
        type=Path,
        default=None,
        metavar="PROFILE",
        help="the YAML profile (default: profiles/state-archive.yaml)",
    )
    export.set_defaults(func=run_export)


def run_export(args: argparse.Namespace) -> int:
    from preservation import api  # here: see build_cmd.run

    print_json(api.bagit_profile(profile_from_args(args)))
    return EXIT_OK
