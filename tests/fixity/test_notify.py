"""`fixity run --notify`: mail through a real SMTP server on 127.0.0.1 (aiosmtpd), a command with the
JSON result; a server that refuses or is down changes nothing about the run but one line on stderr."""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from preservation.cli import main
from preservation.fixity import notify as notify_module
from preservation.fixity import report
from preservation.fixity.model import Problem
from tests.fixity.bags import make_bags


@dataclass
class Mailbox:
    """An aiosmtpd handler keeping what it is sent; `refuse` makes it answer every recipient with 550."""

    refuse: bool = False
    mails: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.refuse:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.mails.append(parsed)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        login = (data.login.decode(), data.password.decode())
        self.logins.append(login)
        return AuthResult(success=login == ("archiv", "s3cret"), handled=False)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # closed again: nothing listens on it


def _serve(mailbox: Mailbox, **options: Any) -> Iterator[int]:
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


@pytest.fixture
def smtp(mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    for name in ("HOST", "PORT", "STARTTLS", "USER", "PASSWORD", "FROM", "CAFILE"):
        monkeypatch.delenv(f"PRESERVATION_SMTP_{name}", raising=False)
    yield from _serve(mailbox)


@pytest.fixture
def damaged(tmp_path: Path) -> tuple[str, str, list[Path]]:
    """Two bags checked once (both pass), then one of them changed."""
    bags = make_bags(tmp_path / "root", 2)
    root, ledger = str(tmp_path / "root"), str(tmp_path / "l.sqlite")
    assert main(["fixity", "run", root, "--ledger", ledger, "--jobs", "1"]) == 0
    (bags[1] / "data" / "release.txt").write_text("changed")
    return root, ledger, bags


def _run(root: str, ledger: str, *options: str) -> int:
    return main(["fixity", "run", root, "--ledger", ledger, "--jobs", "1", "--all", "--lang", "en", *options])


def test_a_mail_for_each_run_while_a_bag_fails(
    damaged: tuple[str, str, list[Path]],
    smtp: int,
    mailbox: Mailbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root, ledger, bags = damaged
    report = tmp_path / "report.html"
    notify = ["--notify", "mailto:archiv@example.org", "--smtp-host", "127.0.0.1", "--smtp-port", str(smtp)]
    assert _run(root, ledger, *notify, "--report", str(report), "--mail-from", "fixity@example.org") == 1
    assert capsys.readouterr().err == ""
    (mail,) = mailbox.mails
    assert mailbox.recipients == [["archiv@example.org"]]
    assert mail["From"] == "fixity@example.org" and mail["To"] == "archiv@example.org"
    assert mail["Subject"].startswith("Fixity: 1 bag FAILED (")
    body = mail.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert str(bags[1].resolve()) in text and "data/release.txt" in text
    assert str(bags[0].resolve()) not in text  # it passes
    (attached,) = list(mail.iter_attachments())
    assert attached.get_filename() == "report.html"
    assert attached.get_content().replace("\r\n", "\n") == report.read_text(encoding="utf-8")  # mail is CRLF

    # The next run, with nothing new, mails again: the bag still fails. Two addresses, one mail.
    two = ["--notify", "mailto:archiv@example.org,it@example.org", "--smtp-host", "127.0.0.1"]
    assert _run(root, ledger, *two, "--smtp-port", str(smtp)) == 1
    assert len(mailbox.mails) == 2 and mailbox.recipients[1] == ["archiv@example.org", "it@example.org"]
    assert mailbox.mails[1].get_body(("plain",)) is not None

    # Repaired: the next run finds no failure and sends no mail.
    (bags[1] / "data" / "release.txt").write_text("Pressemitteilung urn:ks:bag:1\n")
    assert _run(root, ledger, *notify) == 0
    assert len(mailbox.mails) == 2


def test_a_mail_names_the_passing_replicas_to_repair_from(
    smtp: int, mailbox: Mailbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (bag,) = make_bags(tmp_path / "root" / "a", 1)
    replica = tmp_path / "root" / "b" / bag.name
    shutil.copytree(bag, replica)
    root, ledger = str(tmp_path / "root"), str(tmp_path / "l.sqlite")
    assert main(["fixity", "run", root, "--ledger", ledger, "--jobs", "1"]) == 0
    (bag / "data" / "release.txt").write_text("changed")
    notify = ["--notify", "mailto:archiv@example.org", "--smtp-host", "127.0.0.1", "--smtp-port", str(smtp)]
    assert _run(root, ledger, *notify) == 1
    (mail,) = mailbox.mails
    body = mail.get_body(("plain",))
    assert body is not None
    assert f"replicas: {replica.resolve()}" in body.get_content()


def test_a_mail_in_german(
    damaged: tuple[str, str, list[Path]], smtp: int, mailbox: Mailbox, capsys: pytest.CaptureFixture[str]
) -> None:
    root, ledger, _ = damaged
    notify = ["--notify", "mailto:archiv@example.org", "--smtp-host", "127.0.0.1", "--smtp-port", str(smtp)]
    assert _run(root, ledger, *notify, "--lang", "de") == 1
    (mail,) = mailbox.mails
    assert mail["Subject"].startswith("Fixity: 1 Bag FEHLERHAFT (")
    assert "letzte Prüfung" in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]


@pytest.mark.parametrize("server", ["refusing", "down"])
def test_a_mail_that_cannot_be_sent_is_one_line_and_changes_nothing(
    server: str,
    damaged: tuple[str, str, list[Path]],
    mailbox: Mailbox,
    smtp: int,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root, ledger, bags = damaged
    mailbox.refuse = True
    port = smtp if server == "refusing" else _free_port()
    notify = ["--notify", "mailto:archiv@example.org", "--smtp-host", "127.0.0.1", "--smtp-port", str(port)]
    assert _run(root, ledger, *notify, "--format", "json") == 1  # as without --notify
    captured = capsys.readouterr()
    assert json.loads(captured.out)["summary"]["fail"] == 1
    (line,) = captured.err.splitlines()
    assert line.startswith(
        "preservation: notification failed: mailto:archiv@example.org: [notify.mail-failed]"
    )
    assert f"127.0.0.1:{port}" in line
    assert ("550 5.1.1 no such mailbox here" if server == "refusing" else "refused") in line
    assert mailbox.mails == []


def test_credentials_only_from_the_environment_and_only_over_starttls(
    damaged: tuple[str, str, list[Path]],
    mailbox: Mailbox,
    smtp: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root, ledger, _ = damaged
    monkeypatch.setenv("PRESERVATION_SMTP_USER", "archiv")
    monkeypatch.setenv("PRESERVATION_SMTP_PASSWORD", "s3cret")
    monkeypatch.setenv("PRESERVATION_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PRESERVATION_SMTP_PORT", str(smtp))
    # Without STARTTLS the password would cross the network in clear: not sent, and said so.
    assert _run(root, ledger, "--notify", "mailto:archiv@example.org") == 1
    assert "[notify.mail-insecure]" in capsys.readouterr().err
    assert mailbox.mails == [] and mailbox.logins == []

    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make the test server's certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    secure = Mailbox()
    served = _serve(secure, tls_context=context, require_starttls=True, authenticator=secure.authenticate)
    port = next(served)
    try:
        monkeypatch.setenv("PRESERVATION_SMTP_PORT", str(port))
        monkeypatch.setenv("PRESERVATION_SMTP_STARTTLS", "yes")
        monkeypatch.setenv("PRESERVATION_SMTP_CAFILE", str(cert))
        assert _run(root, ledger, "--notify", "mailto:archiv@example.org") == 1
        assert capsys.readouterr().err == ""
        assert secure.logins == [("archiv", "s3cret")] and len(secure.mails) == 1
        # A wrong password is the server's answer, in one line.
        monkeypatch.setenv("PRESERVATION_SMTP_PASSWORD", "wrong")
        assert _run(root, ledger, "--notify", "mailto:archiv@example.org") == 1
        (line,) = capsys.readouterr().err.splitlines()
        assert "[notify.mail-failed]" in line and "535" in line and "wrong" not in line
    finally:
        next(served, None)


def test_a_command_gets_the_json_result_after_every_run(
    damaged: tuple[str, str, list[Path]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, ledger, bags = damaged
    out = tmp_path / "said.json"
    script = tmp_path / "hook.py"
    script.write_text("import sys; open(sys.argv[1], 'w').write(sys.stdin.read())\n")
    hook = f"exec:{sys.executable} {script} {out}"
    assert _run(root, ledger, "--notify", hook) == 1
    said = json.loads(out.read_text())
    assert said["alarm"] is True and said["summary"]["fail"] == 1
    assert [bag["bag"] for bag in said["failing"]] == [str(bags[1].resolve())]
    assert "data/release.txt" in [problem["file"] for problem in said["failing"][0]["problems"]]
    assert said["headline"] == "1 bag FAILED" and said["state"] == "fail"

    clean = str(tmp_path / "clean.sqlite")
    shutil.rmtree(bags[1])
    assert _run(root, clean, "--notify", hook) == 0
    said = json.loads(out.read_text())
    assert said["alarm"] is False and said["failing"] == [] and said["summary"]["pass"] == 1

    for command, reason in [("false", "exit status 1"), ("/nonexistent/hook", "No such file")]:
        assert _run(root, clean, "--notify", f"exec:{command}") == 0
        (line,) = capsys.readouterr().err.splitlines()
        assert line.startswith(f"preservation: notification failed: exec:{command}: [notify.exec-failed]")
        assert reason in line


@pytest.mark.parametrize("target", ["http://example.org", "mailto:", "mailto:no-at-sign", "exec:", "exec:'"])
def test_a_target_that_is_neither_mail_nor_command_is_a_usage_error(
    target: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["fixity", "run", str(tmp_path), "--ledger", str(tmp_path / "l"), "--notify", target])
    assert raised.value.code == 2
    assert "--notify" in capsys.readouterr().err
    assert not (tmp_path / "l").exists()


def test_a_mail_lists_what_a_person_reads_and_shows_hostile_names_escaped() -> None:
    """A lost mount fails thousands of bags: the mail lists 50 (the report has them all), 10 problems
    each; a name with ESC or a line break is shown escaped, never acted on or forging a line."""
    problems = tuple(Problem("missing", f"data/f{n}.txt", "listed but not in the bag") for n in range(15))
    failing = tuple(
        notify_module.FailingBag(f"/archive/bag{n:03d}", None, "fail", None, problems) for n in range(59)
    ) + (notify_module.FailingBag("/archive/evil\x1b]0;owned\x07\nFAIL x", None, "error", None, ()),)
    said = notify_module.Notice(
        {"summary": {"checked": 60, "bags": 60, "fail": 59, "error": 1}},
        report.Headline("59 bags FAILED, 1 could not be read", "fail"),
        failing[-1:] + failing[:-1],
        frozenset(),
        "/var/lib/fixity.sqlite",
        ("/archive",),
    )
    settings = notify_module.SmtpSettings("localhost", 25, False, "fixity@example.org")
    mail = notify_module.compose_mail(said, ["archiv@example.org"], settings)
    text = mail.get_content()
    assert "\x1b" not in text and "\x07" not in text
    assert "/archive/evil\\x1b]0;owned\\x07\\nFAIL x" in text
    assert sum(1 for line in text.splitlines() if line.startswith("FAILED: /archive/bag")) == 49
    assert text.count("… and 5 more; the report lists them all") == 49
    assert text.rstrip().endswith("… and 10 more; the report lists them all")


def test_a_bad_smtp_environment_is_a_usage_error_only_for_mail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_bags(tmp_path / "root", 1)
    monkeypatch.setenv("PRESERVATION_SMTP_STARTTLS", "perhaps")
    root, ledger = str(tmp_path / "root"), str(tmp_path / "l.sqlite")
    assert _run(root, ledger, "--notify", "mailto:archiv@example.org") == 2
    assert "PRESERVATION_SMTP_STARTTLS is not yes or no: 'perhaps'" in capsys.readouterr().err
    assert not Path(ledger).exists()  # refused before the run
    assert _run(root, ledger) == 0
