"""The HTML report as an auditor and a director read it: the headline, the time axis, the site's time,
the audit context, both tables, English and German."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import preservation
from preservation.cli import main
from preservation.cli.common import default_language
from preservation.fixity import report
from preservation.fixity.model import Anchor, BagRecord, Event, Problem, format_time
from tests.fixity.bags import make_bags

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)


def _bags(statuses: list[str], checked: datetime | None = NOW) -> list[BagRecord]:
    when = None if checked is None else format_time(checked)
    return [
        BagRecord(n, f"urn:ks:{n}", f"/archive/bag{n:05d}", "directory", Anchor.of({}), "x", when, status, 1)
        for n, status in enumerate(statuses)
    ]


def _context(language: str = "en") -> report.Context:
    return report.Context(
        roots=("/archive",),
        ledger="/var/lib/fixity.sqlite",
        software=f"preservation {preservation.__version__}",
        organisation="Stadtverwaltung Kaiserslautern",
        zone=BERLIN,
        language=language,
    )


def _page(bags: list[BagRecord], hours: dict[str, dict[str, int]] | None = None, lang: str = "en") -> str:
    latest = {
        bag.id: Event(1, bag.id, "s", "e", 1, "fail", (Problem("changed", "data/a.txt", "differs"),), "a")
        for bag in bags
        if bag.status == "fail"
    }
    return report.render_html(
        bags,
        hours or {},
        latest,
        now=NOW,
        period=timedelta(days=90),
        context=_context(lang),
    )


def _headline(html: str) -> tuple[str, str, str]:
    found = re.search(r'<h1 id="headline" class="(\w+)">(.*?)</h1>', html)
    title = re.search(r"<title>(.*?)</title>", html)
    assert found and title
    return found.group(2), found.group(1), title.group(1)


@pytest.mark.parametrize(
    ("statuses", "lang", "said", "state"),
    [
        (["pass"] * 2000, "en", "All 2,000 bags verified", "ok"),
        (["pass"] * 2000, "de", "Alle 2.000 Bags verifiziert", "ok"),
        (["fail"] * 3 + ["error"] + ["pass"] * 5, "en", "3 bags FAILED, 1 could not be read", "fail"),
        (["fail"] * 3 + ["error"] + ["pass"] * 5, "de", "3 Bags FEHLERHAFT, 1 nicht lesbar", "fail"),
        (["error"] * 2 + ["pass"], "en", "2 bags could not be read", "error"),
        ([], "en", "No bags in the ledger", "empty"),
    ],
)
def test_the_headline_says_the_state_and_so_does_the_title(
    statuses: list[str], lang: str, said: str, state: str
) -> None:
    text, colour, title = _headline(_page(_bags(statuses), lang=lang))
    assert (text, colour) == (said, state)
    assert title.startswith(f"{said} – ") and title.endswith(" – Stadtverwaltung Kaiserslautern")


def test_bags_not_checked_within_the_period_are_not_all_verified() -> None:
    mixed = _bags(["pass"] * 8) + [
        BagRecord(
            20, None, "/archive/old", "tar", None, "x", format_time(NOW - timedelta(days=100)), "pass", 1
        ),
        BagRecord(21, None, "/archive/new", "tar", None, "x", None, "unchecked", None),
    ]
    text, state, _ = _headline(_page(mixed))
    assert (text, state) == ("8 of 10 bags verified within 90 days, 2 overdue", "overdue")


def test_times_are_the_sites_to_the_second_with_the_zone() -> None:
    summer = _bags(["fail"], checked=datetime(2026, 7, 1, 7, 5, 9, tzinfo=UTC))
    html = _page(summer)
    assert "2026-07-01 09:05:09 CEST" in html  # in the failing table
    winter = _bags(["pass"], checked=datetime(2026, 1, 15, 23, 30, 0, tzinfo=UTC))
    assert "2026-01-16 00:30:00 CET" in _page(winter)
    assert "Stand 2026-07-01 12:00:00 CEST" in _page(summer, lang="de")


def test_one_failure_in_ten_thousand_checks_has_a_visible_marker() -> None:
    hours = {"2026-06-30T01": {"pass": 9999, "fail": 1}, "2026-06-29T01": {"pass": 10000}}
    html = _page(_bags(["pass"]), hours)
    (bar,) = re.findall(r'<rect [^>]*data-outcome="fail"[^>]*>', html)
    assert float(re.search(r'height="([\d.]+)"', bar).group(1)) < 0.1  # type: ignore[union-attr]
    (marker,) = re.findall(r'<rect class="marker"[^>]*>', html)
    assert 'data-marker="fail"' in marker
    assert float(re.search(r'width="([\d.]+)"', marker).group(1)) >= 3  # type: ignore[union-attr]


def test_the_axis_is_time_so_the_gaps_between_runs_show() -> None:
    """Runs on 1, 2 and 30 June: the third bar stands 28 days after the second, not beside it."""
    hours = {f"2026-06-{day:02d}T01": {"pass": 5} for day in (1, 2, 30)}
    html = _page(_bags(["pass"]), hours)
    xs = [float(x) for x in re.findall(r'<rect x="([\d.]+)"[^>]*data-outcome="pass"', html)]
    assert len(xs) == 3
    assert (xs[2] - xs[1]) == pytest.approx(28 * (xs[1] - xs[0]), rel=0.01)
    ticks = [int(t.replace(",", "")) for t in re.findall(r'class="y-tick"[^>]*>([\d,]+)<', html)]
    assert ticks[0] == 0 and ticks[-1] >= 5 and len(ticks) >= 2  # a scale up to the tallest bar


def test_one_day_of_checks_is_drawn_by_hour() -> None:
    hours = {"2026-07-01T06": {"pass": 40}, "2026-07-01T08": {"pass": 39, "error": 1}}
    html = _page(_bags(["pass"]), hours)
    assert 'data-bucket="hour"' in html
    widths = {float(w) for w in re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)"', html)}
    assert all(width < 40 for width in widths)  # an hour among the day's, not the whole chart
    assert re.search(r">01\.07\. 0[89]:00<", html)  # the axis labels say the local hour


def test_the_audit_context_and_every_bag_in_a_collapsed_table() -> None:
    html = _page(_bags(["pass", "fail", "pass"]))
    context = html[html.index('<dl id="context">') :]
    for shown in (
        "Stadtverwaltung Kaiserslautern",
        "/archive",
        "/var/lib/fixity.sqlite",
        f"preservation {preservation.__version__}",
        "90 days",
        "Europe/Berlin",
    ):
        assert shown in context
    everything = html[html.index('<details id="all-bags">') : html.index("</details>")]
    assert all(f"/archive/bag{n:05d}" in everything for n in range(3))
    failing = html[html.index('<table id="failing">') : html.index('<details id="all-bags">')]
    assert "/archive/bag00001" in failing and "/archive/bag00000" not in failing


def test_the_report_language_comes_from_the_option_or_the_locale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert default_language({"LANG": "de_DE.UTF-8"}) == "de"
    assert default_language({"LC_ALL": "C", "LANG": "de_DE.UTF-8"}) == "en"  # LC_ALL wins
    assert default_language({}) == "en"
    make_bags(tmp_path / "root", 1)
    out = tmp_path / "r.html"
    argv = ["fixity", "run", str(tmp_path / "root"), "--ledger", str(tmp_path / "l"), "--jobs", "1"]
    assert main([*argv, "--report", str(out), "--lang", "de"]) == 0
    assert "Alle 1 Bag verifiziert" in out.read_text(encoding="utf-8")
    with pytest.raises(SystemExit) as raised:
        main([*argv, "--timezone", "Europe/Nowhere"])
    assert raised.value.code == 2
