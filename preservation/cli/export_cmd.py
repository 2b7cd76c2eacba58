"""`preservation export` and `preservation verify-transfer`: transfer packages for the state archive."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from preservation.cli import common
from preservation.display import shown
from preservation.errors import PreservationError
from preservation.validate.findings import counted, message, words

if TYPE_CHECKING:
    from preservation.export import ExportResult, Rejected, TransferReport
    from preservation.export.api import Outcome

EXPORT_EXAMPLE = """\
Examples:
  preservation export bags/ --out transfer-2024-03
  preservation export bags/ --out aussonderung-2024 --format xdomea --xdomea-version 3.1.0
  preservation export bags/ --out sips-2024 --format eark-sip
  preservation verify-transfer transfer-2024-03

Every bag is validated in full; an invalid bag is listed with its reasons and not exported, the others
are. Payload checksums are verified from the bytes as they are written (each file is read once), and a
bag that fails them is discarded before it gets its final name.

Each bag becomes one file (<bag>.tar by default) with one top-level folder named like the bag; the
same bag always gives the same bytes (member times from SOURCE_DATE_EPOCH when set, else from the
bag's Bagging-Date). Beside them: transfer-list.csv, manifest-sha512.txt and README.txt.

--format xdomea writes xdomea 0503 containers instead, one per year of issue:
<ProzessID>_Aussonderung.Aussonderung.0503.zip holding the message (checked against the shipped xdomea
XSD before the container is written) and the primary documents named <UUID>.<ext>; beside them
primary-documents.csv with each document's bag and checksums. Absender, Empfänger and code-list versions
come from the profile's xdomea section.

--format eark-sip writes one E-ARK SIP (CSIP 2.1, SIP 2.1) per bag: <OBJID>.zip holding the folder
<OBJID>/ with METS.xml, metadata/descriptive/dc.xml, metadata/preservation/premis.xml,
representations/rep1/ (its METS.xml and the payload in data/), schemas/ and documentation/ (the
archival notice). Both METS documents and premis.xml are checked against the shipped XSDs before the
SIP is written.

An interrupted export is resumed by running the same command again; a complete transfer folder is never
overwritten.

Exit codes: 0 every bag exported, 1 some bag invalid (the rest exported), 2 usage or profile error,
a serialization the profile does not accept, or a transfer folder that cannot be written to."""

VERIFY_EXAMPLE = """\
Examples:
  preservation verify-transfer transfer-2024-03 --format json

Checks manifest-sha512.txt (every listed file present with that SHA-512, nothing unexpected), that
transfer-list.csv agrees with it, and validates every bag file as a stream, without unpacking it; a
tar is hashed and validated in the same read. An xdomea export is recognised by its container names:
each container's message must be valid, every primary document it references present with its bag's
checksums (primary-documents.csv), and nothing in the container unreferenced. An E-ARK SIP export is
recognised by its <OBJID>.zip names: each SIP must hold one folder <OBJID>/ with a METS.xml valid
against METS and the CSIP extension, every file a METS references (and the representation's METS)
present with the checksum and size the METS gives, and nothing unreferenced.

Exit codes: 0 all verified, 1 some file missing, changed, unexpected or invalid, 2 not a transfer folder."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = common.add_command(
        subparsers,
        "export",
        description="Validate bags and write them, serialized deterministically, into a transfer folder.",
        epilog=EXPORT_EXAMPLE,
        formatter_class=common.HelpFormatter,
    )
    export.add_argument("bags", nargs="+", type=Path, metavar="BAGS", help="bag folders or folders of bags")
    export.add_argument("--out", type=Path, required=True, metavar="TRANSFER_DIR", help="new or empty folder")
    common.add_profile_option(export)
    # No `choices` from the format registry or the shipped schemas: importing them would slow down every
    # command's start; an unknown name is refused by `get_format` / `choose_version` (exit 2).
    export.add_argument(
        "--format",
        default="bagit",
        metavar="{bagit,xdomea,eark-sip}",
        help="what to deliver: serialized BagIt bags (default), xdomea 0503 containers or E-ARK SIPs",
    )
    export.add_argument(
        "--serialization",
        metavar="{tar,tar.gz,zip}",
        help="bagit: file format of each bag (default: the profile's default); the profile must accept it",
    )
    export.add_argument(
        "--xdomea-version",
        metavar="{3.0.0,3.1.0}",
        help="xdomea: version of the messages (default: the profile's)",
    )
    common.add_jobs_option(export, "--jobs", default=2, help="validation processes (default 2)")
    export.add_argument("--quiet", "-q", action="store_true", help="no progress bar and no summary line")
    common.add_lang_option(export, "the reasons a bag is not exported and the summary")
    export.set_defaults(func=run_export)

    verify = common.add_command(
        subparsers,
        "verify-transfer",
        description="Verify a transfer folder written by `preservation export`.",
        epilog=VERIFY_EXAMPLE,
        formatter_class=common.HelpFormatter,
    )
    verify.add_argument("transfer", type=Path, metavar="TRANSFER_DIR")
    common.add_profile_option(verify)
    common.add_format_option(verify, "text", "json")
    verify.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    common.add_lang_option(verify, "the problems and the summary line")
    verify.set_defaults(func=run_verify)


def run_export(args: argparse.Namespace) -> int:
    # Imported here: the parser of every command is built on each call, and the export's
    # dependencies would slow down every other command.
    from preservation import api

    profile = common.profile_from_args(args)
    bar: Any = None

    def planned(count: int) -> None:  # the format and profile fit: refusals come before any progress
        nonlocal bar
        from tqdm import tqdm

        bar = tqdm(total=count, unit="bag", file=sys.stderr, disable=args.quiet or not sys.stderr.isatty())

    def progress(outcome: Outcome) -> None:
        if isinstance(outcome, api.Rejected):
            bar.write(_rejection(outcome, args.lang), file=sys.stderr)
        bar.update(1)

    try:
        result = api.export(
            args.bags,
            args.out,
            profile,
            format=args.format,
            serialization=args.serialization,
            xdomea_version=args.xdomea_version,
            jobs=args.jobs,
            on_planned=planned,
            on_progress=progress,
        )
    except PreservationError as exc:
        raise common.UsageError(str(exc)) from None
    finally:
        if bar is not None:
            bar.close()
    if not args.quiet:
        print(_summary(result, args.lang))
    return common.EXIT_OK if result.ok else common.EXIT_FAILED


def _rejection(rejected: Rejected, language: str = "en") -> str:
    from preservation import api

    reasons = "\n".join(f"  {shown(api.rejection_reason(item, language))}" for item in rejected.reasons)
    return f"{message('cli.export.not-exported', language, bag=shown(rejected.bag))}\n{reasons}"


def _summary(result: ExportResult, language: str = "en") -> str:
    resumed = sum(1 for e in result.exported if e.resumed)
    rejected = len(result.rejected)
    return message(
        "cli.export.summary",
        language,
        bags=counted("report.bags", len(result.exported), language),
        form=result.serialization if result.format == "bagit" else result.format,
        kept=message("cli.export.kept", language, count=resumed) if resumed else "",
        rejected=message("cli.export.rejected", language, count=rejected) if rejected else "",
        where=shown(result.transfer_dir)
        + ("" if result.complete else message("cli.export.nothing", language)),
    )


def run_verify(args: argparse.Namespace) -> int:
    from preservation import api

    profile = common.profile_from_args(args)
    from tqdm import tqdm

    bar = tqdm(unit="bag", file=sys.stderr, disable=args.quiet or not sys.stderr.isatty())
    try:
        with bar:
            report = api.verify_transfer(args.transfer, profile, on_file=lambda _name: bar.update(1))
    except PreservationError as exc:
        raise common.UsageError(str(exc)) from None
    if args.format == "json":
        common.print_json(_report_json(report))
    else:
        sys.stdout.write(_report_text(report, args.lang))
    return common.EXIT_OK if report.ok else common.EXIT_FAILED


def _report_json(report: TransferReport) -> dict[str, object]:
    return {
        "transfer": str(report.transfer_dir),
        "valid": report.ok,
        "format": report.format,
        "files": list(report.files),
        "problems": [
            {"code": p.code, "kind": p.kind, "file": p.file, "message": p.message} for p in report.problems
        ],
    }


def _report_text(report: TransferReport, language: str = "en") -> str:
    lines = [f"{p.kind}: {shown(p.file)}: [{p.code}] {shown(p.text(language))}" for p in report.problems]
    bags, others = words("cli.verify.bag-files", language, format=report.format)
    said = {
        "transfer": shown(report.transfer_dir),
        "count": len(report.files),
        "files": bags if report.format == "bagit" else others,
    }
    if report.ok:
        lines.append(message("cli.verify.verified", language, **said))
    else:
        lines.append(message("cli.verify.problems", language, problems=len(report.problems), **said))
    return "\n".join(lines) + "\n"
