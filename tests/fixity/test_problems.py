"""Fixity's problems are findings: a code of the one catalogue, with `kind` as a view of it."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from preservation.fixity import api
from preservation.fixity.model import CODE_OF_KIND, KINDS, PROBLEM_KINDS, Problem, kind_of
from preservation.validate.findings import catalogue
from tests.fixity.bags import make_bag


def test_every_code_a_kind_names_is_in_the_catalogue() -> None:
    known = catalogue()
    assert set(KINDS) <= set(known)
    assert set(CODE_OF_KIND.values()) <= set(known)
    assert {kind_of(code) for code in CODE_OF_KIND.values()} == set(PROBLEM_KINDS)
    assert all(kind_of(code) == kind for kind, code in CODE_OF_KIND.items())


def test_every_error_code_of_fixity_s_own_is_a_failure_or_could_not_check() -> None:
    assert kind_of("fixity.anchor-mismatch") == "anchor-mismatch"
    assert kind_of("fixity.bag-gone") == kind_of("payload.unreadable") == "unreadable"


def test_a_problem_recorded_before_problems_had_codes_reads_with_its_kind_s_code() -> None:
    legacy = {"kind": "missing", "file": "data/a.txt", "detail": "listed in a manifest but not in the bag"}
    problem = Problem.from_json(legacy)
    assert (problem.code, problem.kind, problem.file) == ("payload.missing", "missing", "data/a.txt")
    assert problem.to_json() == {"code": "payload.missing", **legacy}


def test_history_of_a_ledger_written_before_codes_gives_codes(tmp_path: Path) -> None:
    bag = make_bag(tmp_path / "root" / "bag", "urn:ks:legacy")
    ledger = tmp_path / "fixity.sqlite"
    api.run_fixity([bag.parent], ledger, jobs=1)
    (bag / "data" / "release.txt").unlink()
    api.run_fixity([bag.parent], ledger, jobs=1, check_all=True)
    with closing(sqlite3.connect(ledger)) as db:  # as an earlier version wrote the event: kinds only
        (row_id, text) = db.execute("SELECT id, problems FROM events WHERE problems != '[]'").fetchone()
        legacy = [{k: v for k, v in p.items() if k != "code"} for p in json.loads(text)]
        db.execute("UPDATE events SET problems = ? WHERE id = ?", (json.dumps(legacy), row_id))
        db.commit()
    events = api.history(str(bag.resolve()), ledger).to_json()["events"]
    assert [(p["code"], p["kind"]) for p in events[-1]["problems"]] == [
        ("tagmanifest.checksum-mismatch", "tag-changed"),  # was the Payload-Oxum's: only its kind was kept
        ("payload.missing", "missing"),
    ]


def test_a_problem_keeps_its_parameters_in_the_ledger_and_says_itself_in_german() -> None:
    said = {"code": "payload.missing", "kind": "missing", "file": "data/a.txt"}
    params = {"manifests": "manifest-sha256.txt"}
    recorded = Problem.from_json({**said, "detail": "as recorded", "params": params})
    assert Problem.from_json(json.loads(json.dumps(recorded.to_json()))) == recorded
    assert recorded.text("de") == "in manifest-sha256.txt aufgeführt, fehlt aber im Bag"
    assert recorded.text("en") == "as recorded"
    # Recorded before problems kept their parameters: said as recorded, in English.
    assert Problem.from_json({**said, "detail": "as recorded"}).text("de") == "as recorded"


@pytest.mark.parametrize("params", [["manifests"], {"manifests": 1}, "manifests"])
def test_a_problem_whose_parameters_are_not_text_is_not_read(params: object) -> None:
    said = {"code": "payload.missing", "kind": "missing", "file": "data/a.txt", "detail": "x"}
    with pytest.raises(ValueError):
        Problem.from_json({**said, "params": params})
