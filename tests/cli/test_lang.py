"""`--lang de|en` on every command: German for people from the catalogue, the same JSON for programs, and
German by default where the locale is German.

The German lines expected here are written out from the catalogue's `de` texts, read by hand."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

from preservation.cli import main
from tests.conftest import SAMPLES
from tests.fixity.bags import make_bags
from tests.validate.conftest import make_good_bag

NO_REPLICA_DE = (
    "  [fixity.no-replica] kein einwandfreies Replikat im Ledger; eine Reparatur braucht eine gute Kopie, "
    "angegeben mit --from"
)


def _out(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _damaged_bag(folder: Path) -> Path:
    """A bag with an operating-system file (a warning) and a payload file changed after bagging (an error)."""
    bag = make_good_bag(folder, {"a.txt": b"hello", ".DS_Store": b"\0"})
    (bag / "data" / "a.txt").write_bytes(b"jello")  # same size: only the checksums differ
    return bag


def _mismatch_de(algorithm: str) -> str:
    expected = hashlib.new(algorithm, b"hello").hexdigest()
    actual = hashlib.new(algorithm, b"jello").hexdigest()
    return f"{algorithm}-Prüfsumme weicht ab: Manifest {expected}, Datei {actual}"


JUNK_DE = "eine Betriebssystemdatei, die nicht ins Archiv gehört"


def test_validate_speaks_german_in_text_junit_github_and_markdown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _damaged_bag(tmp_path / "bag")

    code, out, _ = _out(capsys, "validate", "bag", "--lang", "de")
    lines = out.splitlines()
    assert code == 1
    assert lines[0] == "bag (directory): UNGÜLTIG"
    for algorithm in ("sha256", "sha512"):
        assert f"  Fehler [manifest.checksum-mismatch] data/a.txt: {_mismatch_de(algorithm)}" in lines
    assert f"  Warnung [name.os-junk] data/.DS_Store: {JUNK_DE}" in lines
    assert re.fullmatch(r"1 Bag: 0 gültig, 0 gültig mit Warnungen, 1 ungültig \(\d+,\d s\)", lines[-1])

    _, out, _ = _out(capsys, "validate", "bag", "--lang", "de", "--format", "github")
    assert f"::warning file=bag/data/.DS_Store,title=name.os-junk::bag: data/.DS_Store: {JUNK_DE}" in (
        out.splitlines()
    )

    _, out, _ = _out(capsys, "validate", "bag", "--lang", "de", "--format", "junit")
    assert f"Warnung name.os-junk data/.DS_Store: {JUNK_DE}" in out
    assert f"Fehler manifest.checksum-mismatch data/a.txt: {_mismatch_de('sha256')}" in out

    _, out, _ = _out(capsys, "validate", "bag", "--lang", "de", "--format", "markdown")
    lines = out.splitlines()
    assert lines[0] == "## Bag-Validierung: 1 von 1 ungültig"
    assert "| Bag | Ergebnis | Fehler | Warnungen | Hinweise |" in lines
    assert "| bag | ❌ ungültig | 2 | 1 | 0 |" in lines
    assert any(
        line.startswith("- **Warnung** `name.os-junk` data/\\.DS\\_Store: eine Betriebssystemdatei")
        for line in lines
    )


def test_validate_json_and_sarif_are_the_same_in_both_languages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _damaged_bag(tmp_path / "bag")
    for form in ("json", "sarif"):
        _, english, _ = _out(capsys, "validate", "bag", "--format", form, "--lang", "en")
        _, german, _ = _out(capsys, "validate", "bag", "--format", form, "--lang", "de")
        assert german == english
        assert "checksum differs: manifest" in english  # the English message, as the contract says


@pytest.mark.parametrize(
    ("environ", "verdict"),
    [
        ({"LANG": "de_DE.UTF-8"}, "UNGÜLTIG"),
        ({"LC_MESSAGES": "de_AT.UTF-8", "LANG": "en_GB.UTF-8"}, "UNGÜLTIG"),
        ({"LC_ALL": "C", "LANG": "de_DE.UTF-8"}, "INVALID"),
        ({}, "INVALID"),
    ],
)
def test_the_language_defaults_to_the_locale(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    environ: dict[str, str],
    verdict: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    _damaged_bag(tmp_path / "bag")
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    _, out, _ = _out(capsys, "validate", "bag")
    assert out.splitlines()[0] == f"bag (directory): {verdict}"


def test_inspect_says_its_fields_and_warnings_in_german(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    release = tmp_path / "pm"
    release.mkdir()
    shutil.copy(SAMPLES / "2019-06-04-museumsnacht.txt", release / "pressemitteilung.txt")
    (release / ".DS_Store").write_bytes(b"\0")

    code, out, _ = _out(capsys, "inspect", release, "--lang", "de")
    lines = out.splitlines()
    fields = {}
    for line in lines[1:-2]:  # the source, its fields, a blank line, the summary
        name, value = line.strip().split(":", 1)
        fields[name] = value.strip()
    assert code == 0
    assert fields["Titel"] == "Lange Nacht der Museen lockt mit Führungen bis Mitternacht"
    assert fields["Datum"] == "2019-06-04"
    assert fields["Archivhinweis"] == "in der Quelle"
    skipped = "Betriebssystem- oder versteckte Datei übersprungen: .DS_Store"
    assert fields["Warnung"] == f"{skipped} [release.file-skipped]"
    assert lines[-1] == "1 gelesen, 0 fehlgeschlagen"

    _, english, _ = _out(capsys, "inspect", release, "--format", "json", "--lang", "en")
    _, german, _ = _out(capsys, "inspect", release, "--format", "json", "--lang", "de")
    assert german == english


def test_build_says_its_lines_and_summary_in_german(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = tmp_path / "in"
    sources.mkdir()
    for name in ("a.txt", "b.txt"):
        shutil.copy(SAMPLES / "2019-06-04-museumsnacht.txt", sources / name)

    code, out, _ = _out(capsys, "build", sources, "--out", tmp_path / "bags", "--lang", "de")
    lines = out.splitlines()
    assert code == 0
    assert (
        f"Duplikat: {sources / 'b.txt'}: dieselbe Mitteilung wie {sources / 'a.txt'} "
        "(Dokument und Anhänge bytegleich); übersprungen"
    ) in lines
    assert lines[-1] == "1 gebaut, 0 aktuell, 1 Duplikat, 0 Konflikte, 0 fehlgeschlagen"

    _, out, _ = _out(capsys, "build", sources, "--out", tmp_path / "bags", "--lang", "en")
    assert out.splitlines()[-1] == "0 built, 1 up to date, 1 duplicate, 0 conflicts, 0 failed"


def test_fixity_run_status_and_repair_speak_german(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bags = make_bags(tmp_path / "root", 2)
    root, ledger = tmp_path / "root", tmp_path / "l.sqlite"
    assert _out(capsys, "fixity", "run", root, "--ledger", ledger, "--jobs", "1")[0] == 0
    photo = bags[0] / "data" / "photo.jpg"
    expected, actual = hashlib.sha256(photo.read_bytes()).hexdigest(), hashlib.sha256(b"x").hexdigest()
    photo.write_bytes(b"x")

    code, out, _ = _out(
        capsys, "fixity", "run", root, "--ledger", ledger, "--all", "--jobs", "1", "--lang", "de"
    )
    lines = out.splitlines()
    assert code == 1
    assert f"FEHLERHAFT {bags[0]}" in lines
    failing = f"FEHLERHAFT: {bags[0]}: [fixity.failing] weiterhin fehlerhaft seit "
    (alarm,) = [line for line in lines if line.startswith(failing)]
    assert alarm.endswith(": der Inhalt weicht vom Aufgezeichneten ab")
    assert lines[lines.index(alarm) + 1] == NO_REPLICA_DE
    # Each problem in the catalogue's German, made of the parameters the check found.
    mismatch = f"sha256-Prüfsumme weicht ab: Manifest {expected}, Datei {actual}"
    assert f"  changed         data/photo.jpg: [manifest.checksum-mismatch] {mismatch}" in lines
    assert re.fullmatch(
        r"2 von 2 Bags geprüft: 1 bestanden, 1 fehlerhaft, 0 nicht prüfbar; 0 fällig, aber nicht geprüft; "
        r"0 neu, 0 verschoben; \d+,\d MB in \d+,\d s; jetzt fehlerhaft: 1, nicht prüfbar: 0",
        lines[-1],
    )

    code, out, _ = _out(capsys, "fixity", "status", "--ledger", ledger, "--lang", "de")
    lines = out.splitlines()
    assert code == 1
    assert re.fullmatch(r"Bags bekannt: +2", lines[0])
    assert re.fullmatch(r"in 90 Tagen geprüft: +2", lines[1])
    assert re.fullmatch(r"überfällig: +0 \(nie geprüft: 0\)", lines[2])
    assert re.fullmatch(r"fehlerhaft: +1", lines[3])
    assert any(line.startswith(failing) for line in lines)
    assert NO_REPLICA_DE in lines

    english = json.loads(
        _out(capsys, "fixity", "status", "--ledger", ledger, "--format", "json", "--lang", "en")[1]
    )
    german = json.loads(
        _out(capsys, "fixity", "status", "--ledger", ledger, "--format", "json", "--lang", "de")[1]
    )
    english.pop("now"), german.pop("now")  # when each was asked
    assert german == english

    code, out, _ = _out(capsys, "fixity", "history", bags[0], "--ledger", ledger, "--lang", "de")
    lines = out.splitlines()
    assert lines[0] == f"{bags[0]}  urn:ks:bag:0  Status fehlerhaft"
    assert lines[1].startswith("  registriert 20")
    assert re.fullmatch(r"  \S+ bestanden {5}\d+ Bytes", lines[2])  # padded as 'nicht prüfbar' is long
    assert re.fullmatch(r"  \S+ fehlerhaft {4}\d+ Bytes", lines[3])

    code, out, _ = _out(capsys, "fixity", "repair", bags[0], "--ledger", ledger, "--lang", "de")
    assert code == 1
    assert (
        f"{bags[0]}: [repair.no-good-replica] kein Replikat stimmt mit dem bei der Registrierung "
        "aufgezeichneten Anker überein (das Ledger kennt kein Replikat); nichts wurde geändert"
    ) in out.splitlines()


def test_a_warning_says_nothing_in_english_inside_a_german_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Eight chrome lines, three quoted: the rest was said as "and 5 more" in the parameter itself.
    _, out, _ = _out(capsys, "inspect", SAMPLES / "2020-02-10-radwege-mit-seitenrahmen.txt", "--lang", "de")
    (line,) = [line for line in out.splitlines() if "[release.chrome-removed]" in line]
    assert line.startswith("  Warnung:       Website-Rahmen entfernt (8 Zeilen): 'Teilen Sie diese Meldung")
    assert line.endswith("'Willy-Brandt-Platz 1', … [release.chrome-removed]")


def test_export_and_verify_transfer_speak_german(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sources = [SAMPLES / "2019-06-04-museumsnacht.txt", SAMPLES / "2018-11-28-weihnachtsmarkt.txt"]
    assert _out(capsys, "build", *sources, "--out", tmp_path / "bags")[0] == 0
    good, bad = sorted((tmp_path / "bags").iterdir())
    payload = sorted((bad / "data").iterdir())[0]
    original = payload.read_bytes()
    payload.write_bytes(bytes([original[0] ^ 1]) + original[1:])  # same size: only the checksums differ
    out = tmp_path / "transfer"

    code, stdout, stderr = _out(capsys, "export", good, bad, "--out", out, "--lang", "de")
    assert code == 1
    lines = stderr.splitlines()
    assert f"nicht exportiert: {bad}" in lines
    expected, actual = (hashlib.sha256(data).hexdigest() for data in (original, payload.read_bytes()))
    mismatch = f"sha256-Prüfsumme weicht ab: Manifest {expected}, Datei {actual}"
    assert f"  [manifest.checksum-mismatch] data/{payload.name}: {mismatch}" in lines
    assert stdout == f"1 Bag als tar exportiert, 1 ungültig und nicht exportiert → {out}\n"

    code, stdout, _ = _out(capsys, "verify-transfer", out, "--lang", "de")
    assert (code, stdout) == (0, f"{out}: Bag-Dateien fehlerfrei geprüft: 1\n")
    (sent,) = [p for p in out.iterdir() if p.name.endswith(".tar")]
    sent.write_bytes(sent.read_bytes()[:-1] + b"\1")
    _, english, _ = _out(capsys, "verify-transfer", out, "--lang", "en", "--format", "json")
    _, german, _ = _out(capsys, "verify-transfer", out, "--lang", "de", "--format", "json")
    assert german == english
    code, stdout, _ = _out(capsys, "verify-transfer", out, "--lang", "de")
    (problem,) = [p for p in json.loads(english)["problems"] if p["code"] == "transfer.changed"]
    actual = hashlib.sha512(sent.read_bytes()).hexdigest()
    assert actual in problem["message"]
    said = f"SHA-512 ist {actual}, das Manifest nennt "
    assert code == 1
    assert any(
        line.startswith(f"changed: {sent.name}: [transfer.changed] {said}") for line in stdout.splitlines()
    )
