"""Notifications of `fixity run --notify`: an email when bags fail, or a command given the run's result.

Email goes out for every run that found a failure or still has one under its roots (a missed mail is
followed by the next run's), through the SMTP server of the options or the environment; the SMTP user
and password come from the environment only, so they never show in a process list or a crontab, and
are sent only over STARTTLS. A command (`exec:`) runs after every run with the JSON result on stdin, so
a monitoring system also hears of the runs that passed. A notification that cannot be delivered is a
NotifyError, one line: it never changes the run's result or exit code.
"""

from __future__ import annotations

import shlex
import smtplib
import socket
import ssl
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from preservation.display import json_dumps, shown
from preservation.errors import PreservationError
from preservation.fixity import discover, report
from preservation.fixity.ledger import Ledger
from preservation.fixity.model import Problem
from preservation.validate.findings import message

ENV = "PRESERVATION_SMTP_"
"""Prefix of the environment variables: HOST, PORT, STARTTLS, USER, PASSWORD, FROM, CAFILE."""
COMMAND_TIMEOUT = 60.0
"""Seconds a notification command may take before it is stopped and reported."""
SMTP_TIMEOUT = 30.0
MAIL_BAGS, MAIL_PROBLEMS = 50, 10
"""Bags a mail lists, and problems per bag (a lost mount fails thousands); the report has them all."""
_OUTCOMES = ("pass", "fail", "error", "unchecked")
_COLUMNS = ("bag", "id", "status", "last", "problems", "replicas", "repair")


class NotifyError(PreservationError):
    """A notification could not be delivered; `source` is the target as given."""

    def __init__(self, target: str, code: str, **params: object) -> None:
        super().__init__(target, message(code, "en", **params), code=code)


@dataclass(frozen=True)
class Target:
    scheme: Literal["mailto", "exec"]
    value: str
    """The addresses (comma-separated) or the command line."""

    def __str__(self) -> str:
        return f"{self.scheme}:{self.value}"

    @property
    def recipients(self) -> list[str]:
        return [
            unquote(address).strip() for address in self.value.split("?")[0].split(",") if address.strip()
        ]


def parse_target(text: str) -> Target:
    """``mailto:a@example.org[,b@example.org]`` or ``exec:COMMAND``; ValueError naming what is wrong."""
    scheme, _, value = text.partition(":")
    if scheme == "mailto" and "@" in value:
        target = Target("mailto", value)
        if all("@" in address and not set(address) & set(" \r\n<>") for address in target.recipients):
            return target
    elif scheme == "exec" and value.strip():
        try:
            shlex.split(value)
        except ValueError as exc:
            raise ValueError(f"not a command: {exc}") from None
        return Target("exec", value)
    raise ValueError(f"not mailto:ADDRESS or exec:COMMAND: {text!r}")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    starttls: bool
    sender: str
    user: str | None = None
    password: str | None = None
    cafile: str | None = None
    """Certificates to trust for STARTTLS besides the system's (a site's own CA)."""

    @classmethod
    def of(
        cls,
        environ: Mapping[str, str],
        *,
        host: str | None = None,
        port: int | None = None,
        starttls: bool | None = None,
        sender: str | None = None,
    ) -> SmtpSettings:
        """The options given, else the environment's PRESERVATION_SMTP_*, else localhost:25 without TLS.
        ValueError for a port or STARTTLS value in the environment that is not one."""
        tls = starttls if starttls else _flag(environ.get(f"{ENV}STARTTLS", ""))
        if port is None:
            text = environ.get(f"{ENV}PORT", "")
            if text and not (text.isascii() and text.isdigit() and 0 < int(text) < 65536):
                raise ValueError(f"{ENV}PORT is not a port number: {text!r}")
            port = int(text) if text else (587 if tls else 25)
        return cls(
            host=host or environ.get(f"{ENV}HOST") or "localhost",
            port=port,
            starttls=tls,
            sender=sender or environ.get(f"{ENV}FROM") or f"preservation@{socket.getfqdn()}",
            user=environ.get(f"{ENV}USER") or None,
            password=environ.get(f"{ENV}PASSWORD"),
            cafile=environ.get(f"{ENV}CAFILE") or None,
        )


def _flag(text: str) -> bool:
    if text.lower() in ("", "0", "no", "false", "off"):
        return False
    if text.lower() in ("1", "yes", "true", "on"):
        return True
    raise ValueError(f"{ENV}STARTTLS is not yes or no: {text!r}")


@dataclass(frozen=True)
class FailingBag:
    path: str
    identity: str | None
    status: str
    """``fail`` or ``error``."""
    last_checked: str | None
    problems: tuple[Problem, ...]
    replicas: tuple[str, ...] = ()
    """The passing replicas of its replica set (`Ledger.replicas`), to repair it from."""

    def to_json(self) -> dict[str, Any]:
        return {
            "bag": self.path,
            "identity": self.identity,
            "status": self.status,
            "last_checked": self.last_checked,
            "problems": [p.to_json() for p in self.problems],
            "replicas": list(self.replicas),
        }


@dataclass(frozen=True)
class Notice:
    """What a notification says: the run's JSON result and the bags failing under its roots."""

    result: Mapping[str, Any]
    headline: report.Headline
    failing: tuple[FailingBag, ...]
    new: frozenset[str]
    """Bags that failed or could not be read in this run."""
    ledger: str
    roots: tuple[str, ...]

    @property
    def alarm(self) -> bool:
        return bool(self.failing or self.new)

    def to_json(self) -> dict[str, Any]:
        return {
            **self.result,
            "alarm": self.alarm,
            "headline": self.headline.text,
            "state": self.headline.state,
            "failing": [bag.to_json() for bag in self.failing],
            "ledger": self.ledger,
            "roots": list(self.roots),
        }


def notice(
    result: Mapping[str, Any],
    ledger_path: Path,
    roots: Sequence[Path],
    *,
    now: datetime,
    period: timedelta,
    language: str = "en",
) -> Notice:
    """The notice of a run (`RunResult.to_json()`), with the state of the bags under `roots` as the
    ledger now has it: read only, after the run."""
    with Ledger(ledger_path, read_only=True) as ledger:
        bags = [bag for bag in ledger.bags() if discover.is_under(bag.path, roots)]
        bad = [bag for bag in bags if bag.status in ("fail", "error")]
        latest = ledger.latest_events(bag.id for bag in bad)
        replicas = {bag.id: tuple(r.path for r in ledger.replicas(bag) if r.status == "pass") for bag in bad}
    failing = tuple(
        FailingBag(
            bag.path,
            bag.identity,
            bag.status,
            bag.last_checked_at,
            latest[bag.id].problems if bag.id in latest else (),
            replicas[bag.id],
        )
        for bag in sorted(bad, key=lambda b: (b.status != "fail", b.path))
    )
    new = frozenset(item["bag"] for item in result.get("checked", ()) if item["outcome"] != "pass")
    summary = report.summarize(bags, now=now, period=period)
    return Notice(
        result,
        report.headline(summary, language),
        failing,
        new,
        str(ledger_path),
        tuple(str(root) for root in roots),
    )


def compose_mail(
    notice: Notice,
    recipients: Sequence[str],
    settings: SmtpSettings,
    *,
    language: str = "en",
    attachment: Path | None = None,
    zone: ZoneInfo | None = None,
) -> EmailMessage:
    """One mail: the headline and host in the subject; the bags, their problems and replicas in the body;
    the HTML report attached when there is one."""
    host = socket.gethostname()
    mail = EmailMessage()
    mail["Subject"] = message("report.mail-subject", language, headline=notice.headline.text, host=host)
    mail["From"] = settings.sender
    mail["To"] = ", ".join(recipients)
    named = dict(zip(_OUTCOMES, report.words("report.outcomes", language), strict=True))
    columns = dict(zip(_COLUMNS, report.words("report.columns", language), strict=True))
    lines = [notice.headline.text, ""]
    lines.append(f"{message('report.ledger', language)}: {shown(notice.ledger)}")
    lines.append(f"{message('report.roots', language)}: {', '.join(shown(r) for r in notice.roots)}")
    summary = notice.result.get("summary", {})
    counts = ", ".join(f"{summary.get(outcome, 0)} {named[outcome]}" for outcome in ("pass", "fail", "error"))
    lines.append(f"{host}: {summary.get('checked', 0)}/{summary.get('bags', 0)}: {counts}")
    for bag in notice.failing[:MAIL_BAGS]:
        lines += ["", f"{named[bag.status]}: {shown(bag.path)}" + (" *" if bag.path in notice.new else "")]
        if bag.identity:
            lines.append(f"  {columns['id']}: {shown(bag.identity)}")
        last = report.local_time(bag.last_checked, zone) if zone else (bag.last_checked or "-")
        lines.append(f"  {columns['last']}: {last}")
        lines += [
            f"  {p.kind} {shown(p.file or '(bag)')}: [{p.code}] {shown(p.text(language))}"
            for p in bag.problems[:MAIL_PROBLEMS]
        ]
        if len(bag.problems) > MAIL_PROBLEMS:
            more = len(bag.problems) - MAIL_PROBLEMS
            lines.append("  " + message("report.mail-more", language, count=report.number(more, language)))
        if bag.replicas:
            lines.append(f"  {columns['replicas']}: {', '.join(shown(r) for r in bag.replicas)}")
    if len(notice.failing) > MAIL_BAGS:
        more = len(notice.failing) - MAIL_BAGS
        lines += ["", message("report.mail-more", language, count=report.number(more, language))]
    mail.set_content("\n".join(lines) + "\n")
    if attachment is not None:
        html = attachment.read_text(encoding="utf-8")  # the report, written by this software in UTF-8
        mail.add_attachment(html, subtype="html", filename=attachment.name)
    return mail


def send_mail(mail: EmailMessage, settings: SmtpSettings, target: str) -> None:
    """Deliver through the SMTP server; NotifyError naming the server and what it said."""
    server = f"{settings.host}:{settings.port}"
    if settings.user and not settings.starttls:
        raise NotifyError(target, "notify.mail-insecure")
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context(cafile=settings.cafile))
            if settings.user:
                smtp.login(settings.user, settings.password or "")
            smtp.send_message(mail)
    except smtplib.SMTPRecipientsRefused as exc:
        refused = "; ".join(f"{to}: {_said(code, said)}" for to, (code, said) in exc.recipients.items())
        raise NotifyError(target, "notify.mail-failed", server=server, reason=refused) from None
    except smtplib.SMTPResponseException as exc:
        reason = _said(exc.smtp_code, exc.smtp_error)
        raise NotifyError(target, "notify.mail-failed", server=server, reason=reason) from None
    except (smtplib.SMTPException, OSError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise NotifyError(target, "notify.mail-failed", server=server, reason=reason) from None


def _said(code: int, text: bytes | str) -> str:
    said = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(said.split())}"


def run_command(command: str, notice: Notice, target: str) -> None:
    """Run `command` (no shell) with the notice as JSON on stdin; NotifyError when it cannot be started,
    exits other than 0 or takes longer than COMMAND_TIMEOUT."""
    argv = shlex.split(command)
    try:
        done = subprocess.run(
            argv,
            input=json_dumps(notice.to_json()).encode("utf-8"),
            capture_output=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        reason = f"still running after {COMMAND_TIMEOUT:g} s; stopped"
        raise NotifyError(target, "notify.exec-failed", command=argv[0], reason=reason) from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise NotifyError(target, "notify.exec-failed", command=argv[0], reason=reason) from None
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = f"exit status {done.returncode}" + (f": {said[-1]}" if said else "")
        raise NotifyError(target, "notify.exec-failed", command=argv[0], reason=reason)


def deliver(
    target: Target,
    notice: Notice,
    settings: SmtpSettings,
    *,
    language: str = "en",
    attachment: Path | None = None,
    zone: ZoneInfo | None = None,
) -> bool:
    """Send `notice` to `target`; False when there was nothing to send (a mail for a run without
    failures). NotifyError when it could not be delivered."""
    if target.scheme == "exec":
        run_command(target.value, notice, str(target))
        return True
    if not notice.alarm:
        return False
    mail = compose_mail(
        notice, target.recipients, settings, language=language, attachment=attachment, zone=zone
    )
    send_mail(mail, settings, str(target))
    return True
