"""PREMIS history against the shipped schema, the HTML report against the ledger, `status` figures."""

from __future__ import annotations

from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from lxml import etree

import preservation
from preservation.fixity import api, chart
from preservation.fixity.ledger import Ledger, NewBag, Recording
from preservation.fixity.model import Anchor, CheckResult, Outcome, format_time
from preservation.fixity.schedule import Budget
from tests.fixity.bags import T0, Clock, make_bags

SCHEMAS = Path(preservation.__file__).parent / "metadata" / "schemas"
P = "{http://www.loc.gov/premis/v3}"


class _Offline(etree.Resolver):
    LOCAL = {
        "http://www.w3.org/2001/03/xml.xsd": "xml.xsd",
        "http://www.loc.gov/standards/xlink/xlink.xsd": "xlink.xsd",
    }

    def resolve(self, url, pubid, context):  # type: ignore[no-untyped-def]
        if url in self.LOCAL:
            return self.resolve_filename(str(SCHEMAS / self.LOCAL[url]), context)
        return None


def premis_schema() -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_Offline())
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "premis.xsd"), parser))


@pytest.fixture
def audited(tmp_path: Path) -> tuple[Path, Clock, list[Path]]:
    """A ledger with three runs over four bags: one bag fails, one bag goes missing."""
    clock = Clock(step=timedelta(minutes=1))
    bags = make_bags(tmp_path / "root", 4)
    ledger = tmp_path / "l.sqlite"
    api.run_fixity([tmp_path / "root"], ledger, clock=clock, jobs=1)
    clock.now += timedelta(days=100)
    (bags[1] / "data" / "release.txt").write_text("<script>alert('x')</script> & changed")
    api.run_fixity([tmp_path / "root"], ledger, clock=clock, jobs=1)
    clock.now += timedelta(days=100)
    __import__("shutil").rmtree(bags[2])
    api.run_fixity([tmp_path / "root"], ledger, clock=clock, jobs=1, check_all=True)
    return ledger, clock, bags


def test_premis_history_is_valid_with_one_event_per_check(audited: tuple[Path, Clock, list[Path]]) -> None:
    ledger, _, _ = audited
    found = api.history("urn:ks:bag:1", ledger)
    document = etree.fromstring(found.premis())
    premis_schema().assertValid(document)
    events = document.findall(f"{P}event")
    assert len(events) == 3 == len(found.events)
    assert [e.findtext(f"{P}eventType") for e in events] == ["fixity check"] * 3
    assert [e.findtext(f"{P}eventOutcomeInformation/{P}eventOutcome") for e in events] == [
        "pass",
        "fail",
        "fail",
    ]
    notes = [note.text or "" for note in events[1].iter(f"{P}eventOutcomeDetailNote")]
    assert any("data/release.txt" in note for note in notes)
    assert {e.findtext(f"{P}linkingObjectIdentifier/{P}linkingObjectIdentifierValue") for e in events} == {
        "urn:ks:bag:1"
    }
    agent = f"{preservation.SOFTWARE_NAME} {preservation.__version__}"
    assert document.findtext(f"{P}agent/{P}agentIdentifier/{P}agentIdentifierValue") == agent
    assert len({e.findtext(f"{P}eventIdentifier/{P}eventIdentifierValue") for e in events}) == 3


def test_premis_of_a_bag_never_checked_is_valid(tmp_path: Path) -> None:
    make_bags(tmp_path / "root", 2)
    ledger = tmp_path / "l.sqlite"
    api.run_fixity([tmp_path / "root"], ledger, jobs=1, budget=Budget(max_bags=1))  # registers both
    history = api.history("urn:ks:bag:1", ledger)
    assert len(history.bags) == 1 and history.events == ()
    document = etree.fromstring(history.premis())
    premis_schema().assertValid(document)
    assert document.findall(f"{P}event") == []
    assert document.findtext(f"{P}agent/{P}agentName") == preservation.SOFTWARE_NAME


def test_status_figures(audited: tuple[Path, Clock, list[Path]]) -> None:
    ledger, clock, _ = audited
    summary = api.status(ledger, clock=lambda: clock.now)
    assert (summary.known, summary.failing, summary.in_error, summary.checked_within_period) == (4, 1, 1, 4)
    later = api.status(ledger, clock=lambda: clock.now + timedelta(days=91))
    assert (later.overdue, later.checked_within_period) == (4, 0)


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: dict[str, str] = {}
        self.rows: list[list[str]] = []
        self.bars: list[dict[str, str | None]] = []
        self.markers: list[dict[str, str | None]] = []
        self._id: str | None = None
        self._row: list[str] | None = None
        self._table: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self._id = attributes.get("id")
        if tag == "table":
            self._table = attributes.get("id")
        if tag == "tr" and self._table == "failing" and attributes.get("class") in ("fail", "error"):
            self._row = []
        if tag == "rect" and "data-outcome" in attributes:
            self.bars.append(attributes)
        if tag == "rect" and "data-marker" in attributes:
            self.markers.append(attributes)

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = None
        if tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._id:
            self.ids[self._id] = data
            self._id = None
        if self._row is not None:
            self._row.append(data)


def test_html_report_matches_the_ledger(audited: tuple[Path, Clock, list[Path]], tmp_path: Path) -> None:
    ledger, clock, bags = audited
    out = tmp_path / "report.html"
    api.write_report(ledger, out, clock=lambda: clock.now)
    html = out.read_text()
    assert "<script src" not in html and "http://" not in html and "https://" not in html
    assert "<script>alert" not in html  # problem details are escaped
    page = _Page()
    page.feed(html)
    with Ledger(ledger) as db:
        records = db.bags()
        events = db.events(bag.id for bag in records)
    assert int(page.ids["known"]) == len(records) == 4
    assert page.ids["headline"] == "1 bag FAILED, 1 could not be read"
    assert int(page.ids["overdue"]) == 0
    assert int(page.ids["failing"]) == sum(1 for b in records if b.status == "fail") == 1
    assert int(page.ids["in-error"]) == 1
    for outcome in ("pass", "fail", "error"):
        recorded = sum(1 for e in events if e.outcome == outcome)
        assert int(page.ids[f"checks-{outcome}"]) == recorded
        assert sum(int(b["data-count"] or 0) for b in page.bars if b["data-outcome"] == outcome) == recorded
    failing_rows = {row[0]: " ".join(row) for row in page.rows}
    assert set(failing_rows) == {str(bags[1].resolve()), str(bags[2].resolve())}
    assert "data/release.txt" in failing_rows[str(bags[1].resolve())]


def test_years_of_daily_checks_fit_the_chart_by_week(tmp_path: Path) -> None:
    """Three years of nightly runs: the chart turns to weeks and every bar stays inside it."""
    ledger_path = tmp_path / "l.sqlite"
    days = [T0 + timedelta(days=n) for n in range(3 * 365)]
    with Ledger(ledger_path) as ledger:
        ledger.register([NewBag("urn:a", "/b/a", "directory", Anchor.of({"t": "0"}), 1)], [], format_time(T0))
        (bag,) = ledger.bags()
        outcome_of_day: list[Outcome] = ["pass", "pass", "error", "pass", "fail"]
        ledger.record(
            [
                Recording(
                    CheckResult(bag.id, bag.path, outcome_of_day[n % 5], (), 1),
                    format_time(day),
                    format_time(day),
                    1,
                )
                for n, day in enumerate(days)
            ],
            "owner",
            agent="preservation test",
            now=format_time(T0),
        )
    out = tmp_path / "report.html"
    api.write_report(ledger_path, out, clock=lambda: days[-1])
    page = _Page()
    page.feed(out.read_text())
    starts = sorted({datetime.fromisoformat(str(bar["data-bucket"])) for bar in page.bars})
    assert 150 < len(starts) <= 160
    # Weeks from Monday midnight in Berlin, on a time axis inside the chart.
    assert all(
        start.weekday() == 0
        and start.hour == 0
        and start.utcoffset() in (timedelta(hours=1), timedelta(hours=2))
        for start in starts
    )
    assert all(float(bar["x"] or 0) + float(bar["width"] or 0) <= chart.WIDTH for bar in page.bars)
    for outcome in ("pass", "error", "fail"):
        expected = sum(1 for n in range(len(days)) if outcome_of_day[n % 5] == outcome)
        assert int(page.ids[f"checks-{outcome}"].replace(",", "")) == expected
        assert sum(int(b["data-count"] or 0) for b in page.bars if b["data-outcome"] == outcome) == expected


@pytest.mark.parametrize(
    ("days", "kind"), [(0.5, "hour"), (3, "hour"), (90, "day"), (150, "day"), (400, "week"), (3650, "month")]
)
def test_the_chart_takes_the_shortest_bucket_that_fits(days: float, kind: str) -> None:
    """Hourly checks over the span: at most ~160 bars in the chosen bucket, every check counted once."""
    hours = {
        (T0 + timedelta(hours=n)).strftime("%Y-%m-%dT%H"): {"pass": 2} for n in range(int(days * 24) or 1)
    }
    now = T0 + timedelta(days=days)
    chosen, bars = chart.buckets(hours, now=now, zone=ZoneInfo("Europe/Berlin"))
    assert chosen == kind and len(bars) <= 160
    assert sum(bar.counts["pass"] for bar in bars) == 2 * len(hours)
