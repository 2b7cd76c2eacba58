"""The `status` summary and the self-contained HTML report. Pure: records in, text out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from html import escape as _escape_html
from typing import Any

from preservation.display import shown
from preservation.fixity.model import OUTCOMES, BagRecord, Event, format_time

_COLOURS = {"pass": "#2e7d32", "fail": "#c62828", "error": "#ef6c00"}


def escape(text: str) -> str:
    """Untrusted text for the page: markup escaped, and what HTML cannot carry or a reader would not see
    (control characters, bidi overrides, the lone surrogates of a name that is not UTF-8) shown as escapes,
    as in the text output and the PREMIS history."""
    return _escape_html(shown(text))


@dataclass(frozen=True)
class StatusSummary:
    known: int
    checked_within_period: int
    overdue: int
    """Never checked, or last checked before the period began."""
    never_checked: int
    failing: int
    in_error: int
    oldest_check: str | None
    period_days: float
    now: str
    not_bags: int = 0
    """Paths the ledger remembers as holding no bag: runs skip them until they change."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def summarize(
    bags: Sequence[BagRecord], *, now: datetime, period: timedelta, not_bags: int = 0
) -> StatusSummary:
    cutoff = format_time(now - period)
    checks = [bag.last_checked_at for bag in bags if bag.last_checked_at is not None]
    recent = sum(1 for when in checks if when >= cutoff)
    return StatusSummary(
        known=len(bags),
        checked_within_period=recent,
        overdue=len(bags) - recent,
        never_checked=len(bags) - len(checks),
        failing=sum(1 for bag in bags if bag.status == "fail"),
        in_error=sum(1 for bag in bags if bag.status == "error"),
        oldest_check=min(checks, default=None),
        period_days=period.total_seconds() / 86400,
        now=format_time(now),
        not_bags=not_bags,
    )


def render_text(summary: StatusSummary) -> str:
    return "\n".join(
        [
            f"bags known:           {summary.known}",
            f"checked in {summary.period_days:g} days:  {summary.checked_within_period}",
            f"overdue:              {summary.overdue} (never checked: {summary.never_checked})",
            f"failing:              {summary.failing}",
            f"in error:             {summary.in_error}",
            f"oldest check:         {summary.oldest_check or '-'}",
            f"not bags, skipped:    {summary.not_bags}",
        ]
    )


MAX_BARS = 160
"""Bars the chart has room for (4 px each): a longer history is shown by week, month or year."""
_PERIODS: tuple[tuple[str, Callable[[date], str]], ...] = (
    ("day", date.isoformat),
    ("week", lambda day: "{}-W{:02d}".format(*day.isocalendar()[:2])),
    ("month", lambda day: day.isoformat()[:7]),
    ("year", lambda day: day.isoformat()[:4]),
)


def by_period(days: Mapping[str, Mapping[str, int]]) -> tuple[str, dict[str, Counter[str]]]:
    """The checks per day (``YYYY-MM-DD`` → outcome → count) in the shortest period that fits the chart."""
    for period, label in _PERIODS:
        bars: dict[str, Counter[str]] = {}
        for day, counts in sorted(days.items()):
            bars.setdefault(label(date.fromisoformat(day)), Counter()).update(counts)
        if len(bars) <= MAX_BARS:
            return period, bars
    return "year", bars  # more than 160 years: narrow bars, still inside the chart


def _chart(days: Mapping[str, Mapping[str, int]]) -> str:
    """Stacked bars per period, one colour per outcome; inline SVG so the page needs nothing else."""
    width, height, gap = 640, 200, 2
    if not days:
        return '<p class="empty">No checks recorded yet.</p>'
    period, bars = by_period(days)
    peak = max(sum(counts.values()) for counts in bars.values())
    bar = (width - gap * len(bars)) / len(bars)
    parts = [
        f'<svg width="{width}" height="{height + 20}" role="img"'
        f' aria-label="Checks per {period} by outcome" data-period="{period}">'
    ]
    for index, (label, counts) in enumerate(bars.items()):
        x = index * (bar + gap)
        y = float(height)
        for outcome in OUTCOMES:
            if counts[outcome]:
                h = counts[outcome] / peak * height
                y -= h
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}"'
                    f' fill="{_COLOURS[outcome]}" data-period="{label}" data-outcome="{outcome}"'
                    f' data-count="{counts[outcome]}">'
                    f"<title>{label}: {counts[outcome]} {outcome}</title></rect>"
                )
    first, last = next(iter(bars)), next(reversed(bars))
    parts.append(f'<text x="0" y="{height + 15}" font-size="11">{first}</text>')
    parts.append(f'<text x="{width}" y="{height + 15}" font-size="11" text-anchor="end">{last}</text>')
    parts.append("</svg>")
    return "".join(parts)


def render_html(
    bags: Sequence[BagRecord],
    days: Mapping[str, Mapping[str, int]],
    latest: Mapping[int, Event],
    *,
    now: datetime,
    period: timedelta,
    title: str,
) -> str:
    """The report from the bags, their checks per day and outcome (`Ledger.checks_per_day`) and the
    latest check of each failing bag or bag in error."""
    summary = summarize(bags, now=now, period=period)
    totals: Counter[str] = Counter()
    for counts in days.values():
        totals.update(counts)
    rows = []
    for bag in sorted(bags, key=lambda b: b.path):
        if bag.status not in ("fail", "error") or bag.id not in latest:
            continue
        problems = "".join(
            f"<li><b>{escape(p.kind)}</b> <code>{escape(p.file or '(bag)')}</code> {escape(p.detail)}</li>"
            for p in latest[bag.id].problems
        )
        rows.append(
            f'<tr class="{bag.status}"><td><code>{escape(bag.path)}</code></td>'
            f"<td>{escape(bag.identity or '')}</td><td>{escape(bag.status)}</td>"
            f"<td>{escape(latest[bag.id].ended)}</td><td><ul>{problems}</ul></td></tr>"
        )
    figures = [
        ("known", summary.known),
        ("checked-within-period", summary.checked_within_period),
        ("overdue", summary.overdue),
        ("failing", summary.failing),
        ("in-error", summary.in_error),
        *((f"checks-{outcome}", totals[outcome]) for outcome in OUTCOMES),
    ]
    legend = " ".join(
        f'<span><i style="background:{_COLOURS[o]}"></i>{o}: <span id="total-{o}">{totals[o]}</span></span>'
        for o in OUTCOMES
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>
body{{font-family:sans-serif;margin:2em;color:#222}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.3em .6em;vertical-align:top;text-align:left}}
tr.fail td:nth-child(3){{color:#c62828}} tr.error td:nth-child(3){{color:#ef6c00}}
dl{{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}} dd{{margin:0;font-weight:bold}}
.legend i{{display:inline-block;width:.8em;height:.8em;margin:0 .3em 0 1em}} ul{{margin:0;padding-left:1.2em}}
</style></head><body>
<h1>{escape(title)}</h1>
<p>As of {escape(summary.now)}; period {summary.period_days:g} days;
oldest check {escape(summary.oldest_check or "-")}.</p>
<dl>{"".join(f'<dt>{name.replace("-", " ")}</dt><dd id="{name}">{n}</dd>' for name, n in figures)}</dl>
<h2>Checks over time by outcome</h2>
<p class="legend">{legend}</p>
{_chart(days)}
<h2>Failing bags and bags in error ({len(rows)})</h2>
<table id="failing"><thead><tr>
<th>bag</th><th>identifier</th><th>status</th><th>checked</th><th>problems</th>
</tr></thead>
<tbody>{"".join(rows)}</tbody></table>
</body></html>
"""
