"""`preservation fixity run|status|history`: scheduled re-verification of stored bags with an audit ledger."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from preservation.api import DEFAULT_PERIOD, DEFAULT_ZONE
from preservation.cli import common
from preservation.cli.common import Progress, positive_int
from preservation.display import shown
from preservation.errors import PreservationError
from preservation.validate.findings import decimal, message, words

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from preservation.api import FixityProblem
    from preservation.fixity import notify, repair
    from preservation.fixity.alarms import Alarm
    from preservation.fixity.api import BagHistory, RunResult

EXIT_INCOMPLETE = 3
"""No bag failed, but some could not be checked."""

_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """``90d``, ``2h``, ``30m``, ``45s``, ``1w``."""
    match = _DURATION.fullmatch(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"not a duration like 90d, 2h or 30m: {text!r}")
    return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})


def _zone(text: str) -> ZoneInfo:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # lazily: only a report or a mail gives times

    try:
        return ZoneInfo(text)
    except (ValueError, ZoneInfoNotFoundError):
        raise argparse.ArgumentTypeError(f"not a time zone like Europe/Berlin: {text!r}") from None


def _target(text: str) -> notify.Target:
    from preservation.fixity import notify  # lazily: it brings smtplib, ssl and email

    try:
        return notify.parse_target(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = common.add_command(
        subparsers,
        "fixity",
        description="Re-verify stored bags (folders, .tar, .tar.gz, .tgz, .zip); keep their audit history.",
        epilog="Exit codes: 0 no bag is failing, 1 some bag is failing (until a check passes or it is "
        "repaired), 3 no failure but some bags could not be checked, 2 usage error.",
    )
    actions = parser.add_subparsers(dest="fixity_command", metavar="ACTION", required=True)
    _register_run(actions)
    _register_status(actions)
    _register_history(actions)
    _register_repair(actions)


def _register_run(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = actions.add_parser(
        "run",
        help="find bags under ROOTs, register new ones, check those due",
        description=(
            "Find the bags under each ROOT, register the new ones in the ledger (their External-Identifier "
            "and the digests of their tag manifests, kept outside the bag), and verify every file of each "
            "bag that is due: never-checked bags first, then those unchecked longest, until a budget is "
            "spent. Bags failing or in error are checked again by every run, and named as still failing "
            "with their passing replicas until a check passes: a failure is never reported only once. A "
            "check that could not be made is tried once more before it is reported. Each check is recorded "
            "as it completes, so a run that is stopped loses only the checks in flight and the next run "
            "goes on. Made to run unattended from cron or a systemd timer."
        ),
        epilog=(
            "Examples:\n"
            "  preservation fixity run /archive/bags --ledger fixity.sqlite\n"
            "  preservation fixity run /archive/bags --ledger fixity.sqlite --time-budget 6h --report r.html"
            "\n"
            "  preservation fixity run /archive/bags --ledger fixity.sqlite --all --format json\n\n"
            "Exit codes: 0 no bag under the ROOTs is failing, 1 some bag is failing (its content differs "
            "from what was recorded), whether this run checked it or an earlier one, or with --fail-on "
            "overdue is overdue, 3 no failure but some bags could not be checked (gone, unreadable), 2 usage "
            "error or a ROOT, ledger or Dask scheduler that cannot be used."
        ),
        formatter_class=common.HelpFormatter,
    )
    _what_and_when(run)
    _notifications(run)
    _add_fail_on(run)
    run.set_defaults(func=_run)


def _what_and_when(run: argparse.ArgumentParser) -> None:
    """Which bags, how many, on what, and what is said of them."""
    run.add_argument(
        "roots",
        nargs="+",
        type=Path,
        metavar="ROOT",
        help="a folder searched for bags: folders holding bagit.txt, and .tar, .tar.gz, .tgz, .zip files",
    )
    run.add_argument("--ledger", type=Path, required=True, help="the SQLite ledger (created if missing)")
    run.add_argument(
        "--older-than",
        type=parse_duration,
        default=DEFAULT_PERIOD,
        metavar="AGE",
        help="check bags last checked longer ago than AGE (default: 90d); never-checked bags are always due",
    )
    run.add_argument("--all", dest="check_all", action="store_true", help="check every bag now")
    budget = run.add_mutually_exclusive_group()
    budget.add_argument("--max-bags", type=positive_int, metavar="N", help="check at most N bags")
    budget.add_argument(
        "--max-bytes", type=common.parse_size, metavar="SIZE", help="stop after about SIZE (e.g. 500G)"
    )
    budget.add_argument(
        "--time-budget", type=parse_duration, metavar="AGE", help="stop dispatching after (2h)"
    )
    common.add_jobs_option(run, "--jobs", default=2, help="local hashing processes (default 2)")
    engine = run.add_mutually_exclusive_group()
    engine.add_argument("--dask", metavar="ADDRESS", help="hash on the Dask scheduler at ADDRESS")
    common.add_jobs_option(engine, "--dask-local", default=None, help="hash on a local Dask cluster of N")
    common.add_format_option(run, "text", "json")
    run.add_argument("--report", type=Path, metavar="HTML", help="also write the self-contained HTML report")
    common.add_lang_option(run, "the text output, the report and the notification mail")
    run.add_argument(
        "--timezone",
        type=_zone,
        default=None,
        metavar="ZONE",
        help=f"the site's time zone for the report and mail (default: {DEFAULT_ZONE})",
    )
    common.add_profile_option(run)


def _notifications(run: argparse.ArgumentParser) -> None:
    notifications = run.add_argument_group(
        "notifications",
        "The SMTP user and password are read from the environment only (PRESERVATION_SMTP_USER, "
        "PRESERVATION_SMTP_PASSWORD) and sent only over STARTTLS; host, port, STARTTLS, sender and a "
        "CA file may also come from PRESERVATION_SMTP_HOST, _PORT, _STARTTLS, _FROM and _CAFILE.",
    )
    notifications.add_argument(
        "--notify",
        action="append",
        type=_target,
        default=[],
        metavar="TARGET",
        help="mailto:ADDRESS[,ADDRESS]: an email for every run that found or still has failing bags; "
        "exec:COMMAND: run COMMAND (no shell) after every run with the JSON result on stdin. Repeatable.",
    )
    notifications.add_argument("--smtp-host", metavar="HOST", help="SMTP server (default: localhost)")
    notifications.add_argument(
        "--smtp-port", type=positive_int, metavar="PORT", help="SMTP port (default: 25, 587 with STARTTLS)"
    )
    notifications.add_argument(
        "--smtp-starttls", action="store_true", default=None, help="encrypt with STARTTLS"
    )
    notifications.add_argument("--mail-from", metavar="ADDRESS", help="the mail's sender")


def _register_status(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    status = actions.add_parser(
        "status",
        help="summarise the ledger",
        description=(
            "Bags known, checked within the period, overdue, failing, in error; the oldest check. Names "
            "each failing bag and bag in error, since when, and its passing replicas."
        ),
        epilog="Exit codes: 0 no bag failing or in error, 1 some bag failing (or, with --fail-on overdue, "
        "overdue), 3 no failure but some bags in error, 2 usage error or a ledger that cannot be used.",
    )
    status.add_argument("--ledger", type=Path, required=True)
    status.add_argument(
        "--older-than", type=parse_duration, default=DEFAULT_PERIOD, metavar="AGE", help="the period (90d)"
    )
    common.add_format_option(status, "text", "json")
    common.add_lang_option(status, "the text output")
    _add_fail_on(status)
    status.set_defaults(func=_status)


def _register_history(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    history = actions.add_parser(
        "history",
        help="the checks of one bag (path or External-Identifier)",
        description=(
            "Every check and move recorded for one bag. With --format premis: a PREMIS 3 document with one "
            "fixity check event per check, valid against the PREMIS schema, to show an auditor."
        ),
    )
    history.add_argument("bag", metavar="BAG", help="the bag's path, or its External-Identifier")
    history.add_argument("--ledger", type=Path, required=True)
    common.add_format_option(history, "text", "json", "premis")
    common.add_lang_option(history, "the text output")
    history.set_defaults(func=_history)


def _register_repair(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    repair = actions.add_parser(
        "repair",
        help="restore a damaged bag's files from a replica that verifies",
        description=(
            "Restore the missing or damaged payload and tag files of BAG from a replica whose files verify "
            "against the anchor the ledger recorded for BAG at registration: REPLICA, or the first bag of "
            "its replica set in the ledger (same External-Identifier and anchor) that verifies. Files that "
            "verify are never touched, files the manifests do not list are left in place; each restored "
            "file is written under a temporary name beside its place, fsynced and renamed, so a repair "
            "that is stopped leaves no half-written file and is completed by running it again. A damaged "
            ".tar or .zip is replaced whole from a verified replica of the same serialization. The whole "
            "bag is re-verified after, and the check and the repair (a PREMIS fixity repair event, see "
            "history --format premis) are recorded in the ledger."
        ),
        epilog=(
            "Examples:\n"
            "  preservation fixity repair /archive/bags/04161 --ledger fixity.sqlite --dry-run\n"
            "  preservation fixity repair /archive/bags/04161 --ledger fixity.sqlite --from /mirror/04161.tar"
            "\n\n"
            "Exit codes: 0 repaired (or nothing to repair, or a dry run that found a good copy), 1 no "
            "replica verifies (nothing was changed) or the bag still does not verify after the repair, "
            "2 usage error, a bag the ledger does not know, or a ledger that cannot be used."
        ),
        formatter_class=common.HelpFormatter,
    )
    repair.add_argument("bag", metavar="BAG", help="the damaged bag's path (as the ledger knows it)")
    repair.add_argument("--ledger", type=Path, required=True)
    repair.add_argument(
        "--from",
        dest="source",
        type=Path,
        metavar="REPLICA",
        help="copy from this bag (folder, .tar, .tar.gz, .tgz, .zip), once it verifies against the anchor",
    )
    repair.add_argument(
        "--dry-run", action="store_true", help="say which files would be restored from where; change nothing"
    )
    common.add_format_option(repair, "text", "json")
    common.add_lang_option(repair, "the text output")
    repair.set_defaults(func=_repair)


def _add_fail_on(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fail-on",
        choices=["overdue"],
        action="append",
        default=[],
        help="also exit 1 for bags not checked within the period (--older-than), to prove that the "
        "schedule is kept",
    )


def _exit_code(worst: str) -> int:
    return {"fail": common.EXIT_FAILED, "error": EXIT_INCOMPLETE}.get(worst, common.EXIT_OK)


def _run(args: argparse.Namespace) -> int:
    from preservation import api

    if args.report is not None and not args.report.parent.is_dir():
        # Found out now rather than after a run of hours.
        raise common.UsageError(f"{args.report}: the report's folder does not exist")
    if args.report is not None and args.report.resolve() == args.ledger.resolve():
        raise common.UsageError(f"{args.report}: the report would replace the fixity ledger")
    organisation = common.profile_from_args(args).organization.name if args.report else None
    smtp = _smtp(args) if args.notify else None
    progress = Progress(unit="bag")
    try:
        result = api.fixity_run(
            args.roots,
            args.ledger,
            older_than=args.older_than,
            check_all=args.check_all,
            budget=api.Budget(max_bags=args.max_bags, max_bytes=args.max_bytes),
            time_budget=args.time_budget,
            jobs=args.jobs,
            dask_address=args.dask,
            dask_local=args.dask_local,
            fail_on_overdue="overdue" in args.fail_on,
            on_planned=progress.start,
            on_checked=lambda checked: progress.step(checked.result.outcome),
        )
    except api.FixityError as exc:
        raise common.UsageError(str(exc)) from None
    finally:
        progress.close()
    if args.format == "json":
        common.print_json(result.to_json())
    else:
        print(_run_text(result, args.older_than, args.lang))
    if args.report is not None:
        try:
            api.fixity_report(
                args.ledger,
                args.report,
                period=args.older_than,
                roots=args.roots,
                language=args.lang,
                zone=args.timezone,
                organisation=organisation,
            )
        except PreservationError as exc:  # the checks are in the ledger all the same
            raise common.UsageError(str(exc)) from None
    if smtp is not None:
        _notify(args, result.to_json(), smtp)
    return _exit_code(result.worst())


def _smtp(args: argparse.Namespace) -> notify.SmtpSettings:
    """The mail settings, checked before a run of hours rather than after it."""
    from preservation.fixity import notify  # lazily: it brings smtplib, ssl, email and the report

    try:  # the environment only for mail, so that a run without it never minds the environment
        return notify.SmtpSettings.of(
            os.environ if any(t.scheme == "mailto" for t in args.notify) else {},
            host=args.smtp_host,
            port=args.smtp_port,
            starttls=args.smtp_starttls,
            sender=args.mail_from,
        )
    except ValueError as exc:
        raise common.UsageError(str(exc)) from None


def _notify(args: argparse.Namespace, result: dict[str, Any], smtp: notify.SmtpSettings) -> None:
    """Deliver the run's notifications; one that fails is one line on stderr, and the run's result and
    exit code stay as they are."""
    from preservation import api
    from preservation.bagit import locate
    from preservation.fixity import notify

    try:
        roots = [locate.named(root) for root in args.roots]
        said = notify.notice(
            result, args.ledger, roots, now=api.utc_now(), period=args.older_than, language=args.lang
        )
    except PreservationError as exc:
        print(f"preservation: notification failed: {shown(exc)}", file=sys.stderr)
        return
    zone = args.timezone or _zone(DEFAULT_ZONE)
    for target in args.notify:
        try:
            notify.deliver(target, said, smtp, language=args.lang, attachment=args.report, zone=zone)
        except notify.NotifyError as exc:
            print(
                f"preservation: notification failed: {shown(exc.source)}: [{exc.code}] {shown(exc.message)}",
                file=sys.stderr,
            )


def _run_text(result: RunResult, period: timedelta, language: str = "en") -> str:
    from preservation.api import FIXITY_OUTCOMES

    outcomes = dict(zip(FIXITY_OUTCOMES, words("cli.fixity.outcomes", language), strict=True))
    lines = []
    for item in result.checked:
        if item.outcome != "pass":
            lines.append(f"{outcomes[item.outcome]} {shown(item.bag)}")
            lines += [_problem_line(p, "  ", language) for p in item.problems]
    lines += [
        message("cli.fixity.moved", language, old=shown(old), new=shown(new)) for old, new in result.moved
    ]
    lines += [
        message("cli.fixity.not-a-bag", language, reason=shown(reason), path=shown(path))
        for path, reason in result.not_bags
    ]
    lines += _alarm_lines(result.alarms, period, language)
    counts = result.counts()
    summary = result.summary()
    lines.append(
        message(
            "cli.fixity.run-summary",
            language,
            checked=len(result.checked),
            known=result.known,
            passed=counts["pass"],
            failed=counts["fail"],
            errors=counts["error"],
            skipped=result.skipped,
            new=result.registered,
            moved=len(result.moved),
            megabytes=decimal(result.bytes_read / 1e6, language),
            seconds=decimal(result.seconds, language),
            failing=summary["failing"],
            in_error=summary["in_error"],
        )
    )
    return "\n".join(lines)


def _alarm_lines(alarms: Sequence[Alarm], period: timedelta, language: str = "en") -> list[str]:
    """One line per alarm, then for a failing bag or one in error its passing replicas and how to repair."""
    statuses = dict(zip(("fail", "error", "overdue"), words("cli.fixity.alarms", language), strict=True))
    lines = []
    for alarm in alarms:
        said = alarm.message(period, language)
        lines.append(f"{statuses[alarm.status]}: {shown(alarm.bag)}: [{alarm.code}] {said}")
        if alarm.status == "overdue":
            continue
        code = "fixity.replicas" if alarm.replicas else "fixity.no-replica"
        lines.append(f"  [{code}] {shown(alarm.replicas_message(language))}")
    return lines


def _status(args: argparse.Namespace) -> int:
    from preservation import api  # lazily: see build_cmd.run
    from preservation.fixity.report import render_text

    try:
        summary = api.fixity_status(args.ledger, older_than=args.older_than)
        overdue = "overdue" in args.fail_on
        alarms = api.fixity_attention(args.ledger, older_than=args.older_than, overdue=overdue)
    except api.FixityError as exc:
        raise common.UsageError(str(exc)) from None
    if args.format == "json":
        common.print_json({**summary.to_json(), "alarms": [alarm.to_json() for alarm in alarms]})
    else:
        lines = [render_text(summary, args.lang), *_alarm_lines(alarms, args.older_than, args.lang)]
        print("\n".join(lines))
    return _exit_code(api.fixity_worst(alarms))


def _history(args: argparse.Namespace) -> int:
    from preservation import api  # lazily: see build_cmd.run

    try:
        found = api.fixity_history(args.bag, args.ledger)
    except api.FixityError as exc:
        raise common.UsageError(str(exc)) from None
    if args.format == "premis":
        sys.stdout.buffer.write(found.premis())
    elif args.format == "json":
        common.print_json(found.to_json())
    else:
        print(_history_text(found, args.lang))
    return common.EXIT_OK


def _repair(args: argparse.Namespace) -> int:
    from preservation import api  # lazily: see build_cmd.run

    try:
        result = api.fixity_repair(args.bag, args.ledger, source=args.source, dry_run=args.dry_run)
    except api.FixityError as exc:
        raise common.UsageError(str(exc)) from None
    except PreservationError as exc:  # a file that cannot be written; what was restored is recorded
        print(f"preservation: {shown(str(exc))}", file=sys.stderr)
        return common.EXIT_FAILED
    if args.format == "json":
        common.print_json(result.to_json())
    else:
        print(_repair_text(result, args.lang))
    return common.EXIT_FAILED if result.outcome in ("refused", "failed") else common.EXIT_OK


def _repair_text(result: repair.RepairResult, language: str = "en") -> str:
    bag = shown(result.bag)
    source = shown(result.source or "")
    lines = [
        f"{message('cli.fixity.not-used', language, path=shown(path))}: [{code}] {why}"
        for path, code, why in result.tried
    ]
    if result.outcome == "not-needed":
        return "\n".join([*lines, _coded(bag, language, "repair.not-needed")])
    if result.outcome == "refused":
        tried = (
            message("cli.fixity.tried", language, count=len(result.tried))
            if result.tried
            else message("cli.fixity.no-replica-known", language)
        )
        lines.append(_coded(bag, language, "repair.no-good-replica", tried=tried))
        lines += [_problem_line(p, "  ", language) for p in result.problems]
        return "\n".join(lines)
    code = "repair.would-restore" if result.outcome == "dry-run" else "repair.restored"
    lines += [_coded(f"{bag}: {shown(name)}", language, code, source=source) for name in result.files]
    lines += [_coded(f"{bag}: {shown(name)}", language, "repair.extra-kept") for name in result.extra]
    if result.outcome == "failed":
        problems = ", ".join(f"{p.kind} {shown(p.file or '(bag)')}" for p in result.problems)
        lines.append(_coded(bag, language, "repair.still-failing", problems=problems))
    elif result.outcome == "repaired":
        lines.append(
            message("cli.fixity.repaired", language, bag=bag, count=len(result.files), source=source)
        )
    return "\n".join(lines)


def _coded(where: str, language: str, code: str, **params: object) -> str:
    """A line `WHERE: [code] message`, the message from the catalogue."""
    return f"{where}: [{code}] {message(code, language, **params)}"


def _history_text(found: BagHistory, language: str = "en") -> str:
    from preservation.api import FIXITY_OUTCOMES

    def say(code: str, **params: object) -> str:
        return message(f"cli.fixity.history.{code}", language, **params)

    said = words("cli.fixity.history.outcomes", language)
    named = dict(zip((*FIXITY_OUTCOMES, "unchecked"), said, strict=True))
    width = max(len(named[outcome]) for outcome in FIXITY_OUTCOMES)
    lines = []
    for bag in found.bags:
        identity = shown(bag.identity) if bag.identity else say("no-identifier")
        status = named.get(bag.status, shown(bag.status))
        lines.append(say("bag", bag=shown(bag.path), identity=identity, status=status))
        lines.append(f"  {say('registered', at=bag.registered_at)}")
    lines += [f"  {say('moved', at=m.at, old=shown(m.from_path), new=shown(m.to_path))}" for m in found.moves]
    paths = {bag.id: bag.path for bag in found.bags}
    # Repairs among the checks, in the ledger's order (by start), as in the PREMIS history.
    timed: list[tuple[str, int, int, list[str]]] = []
    for event in found.events:
        where = f" {shown(paths[event.bag_id])}" if len(found.bags) > 1 else ""
        outcome = f"{named[event.outcome]:<{width}}"
        said = [f"  {event.ended} {say('check', outcome=outcome, bytes=event.bytes)}{where}"]
        said += [_problem_line(p, "    ", language) for p in event.problems]
        timed.append((event.started, 0, event.id, said))
    for fix in found.repairs:
        where = f" {shown(paths[fix.bag_id])}" if len(found.bags) > 1 else ""
        outcome = f"{named[fix.outcome]:<{width}}"
        said = [f"  {fix.ended} {say('repair', outcome=outcome, source=shown(fix.source))}{where}"]
        said += [f"    {say('restored'):<15} {shown(name)}" for name in fix.files]
        timed.append((fix.started, 1, fix.id, said))
    for *_, said in sorted(timed, key=lambda item: item[:3]):
        lines += said
    return "\n".join(lines)


def _problem_line(problem: FixityProblem, indent: str, language: str) -> str:
    where = shown(problem.file) if problem.file else "(bag)"
    return f"{indent}{problem.kind:<15} {where}: [{problem.code}] {shown(problem.text(language))}"
