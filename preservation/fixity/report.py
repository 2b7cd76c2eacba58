"""The `status` summary and the self-contained HTML report (English or German). Pure: records in, text out."""

from __future__ import annotations

import shlex
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from html import escape as _escape_html
from typing import Any
from zoneinfo import ZoneInfo

from preservation.display import shown
from preservation.fixity import chart
from preservation.fixity.defaults import DEFAULT_ZONE as DEFAULT_ZONE
from preservation.fixity.model import OUTCOMES, BagRecord, Event, format_time, parse_time
from preservation.validate.findings import message, words


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


def render_text(summary: StatusSummary, language: str = "en") -> str:
    """`fixity status` for people: one figure a line, the labels aligned."""
    days = f"{summary.period_days:g}"
    known, checked, overdue, never, failing, in_error, oldest, not_bags = words(
        "cli.fixity.status", language, days=days
    )
    rows = [
        (known, str(summary.known)),
        (checked, str(summary.checked_within_period)),
        (overdue, f"{summary.overdue} ({never}: {summary.never_checked})"),
        (failing, str(summary.failing)),
        (in_error, str(summary.in_error)),
        (oldest, summary.oldest_check or "-"),
        (not_bags, str(summary.not_bags)),
    ]
    width = max(len(label) for label, _ in rows) + 4
    return "\n".join(f"{label + ':':<{width}}{value}" for label, value in rows)


_STATE_COLOURS = {
    "fail": ("#c62828", "#fff"),
    "error": ("#ef6c00", "#fff"),
    "overdue": ("#f9a825", "#222"),
    "ok": ("#2e7d32", "#fff"),
    "empty": ("#757575", "#fff"),
}


@dataclass(frozen=True)
class Context:
    """What an auditor needs besides the figures: what was checked, where it is recorded, by what."""

    roots: tuple[str, ...]
    ledger: str
    software: str
    organisation: str | None
    zone: ZoneInfo
    language: str = "en"


@dataclass(frozen=True)
class Headline:
    text: str
    state: str
    """``fail``, ``error`` (only unreadable bags), ``overdue``, ``ok`` or ``empty``: the headline's colour."""


def number(count: int, language: str) -> str:
    """2,000 in English, 2.000 in German."""
    text = f"{count:,}"
    return text.replace(",", ".") if language == "de" else text


def _bags(count: int, language: str) -> str:
    return message(
        "report.bags-one" if count == 1 else "report.bags", language, count=number(count, language)
    )


def headline(summary: StatusSummary, language: str = "en") -> Headline:
    """The state in one line: failures and unreadable bags first, then overdue ones, else all verified."""
    if summary.failing or summary.in_error:
        parts = []
        if summary.failing:
            parts.append(message("report.headline.failed", language, bags=_bags(summary.failing, language)))
        if summary.in_error:
            bags = _bags(summary.in_error, language) if not parts else number(summary.in_error, language)
            parts.append(message("report.headline.unreadable", language, bags=bags))
        return Headline(", ".join(parts), "fail" if summary.failing else "error")
    if not summary.known:
        return Headline(message("report.headline.empty", language), "empty")
    if summary.overdue:
        text = message(
            "report.headline.overdue",
            language,
            verified=number(summary.checked_within_period, language),
            bags=_bags(summary.known, language),
            days=f"{summary.period_days:g}",
            overdue=number(summary.overdue, language),
        )
        return Headline(text, "overdue")
    return Headline(message("report.headline.verified", language, bags=_bags(summary.known, language)), "ok")


def local_time(text: str | None, zone: ZoneInfo) -> str:
    """A ledger time in the site's zone, to the second, with the zone's abbreviation (CET, CEST)."""
    if text is None:
        return "-"
    return parse_time(text).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")


def render_html(
    bags: Sequence[BagRecord],
    hours: Mapping[str, Mapping[str, int]],
    latest: Mapping[int, Event],
    *,
    now: datetime,
    period: timedelta,
    context: Context,
    replicas: Mapping[int, Sequence[str]] | None = None,
) -> str:
    """The report from the bags, their checks per hour and outcome (`Ledger.checks_per_hour`) and the
    latest check of each failing bag or bag in error.

    `replicas`: the paths of the passing replicas of each failing bag, by bag id (`Ledger.replicas`). With
    it, the failing table also lists them and the repair command. Longer than 60 lines for its template,
    kept whole so that the page reads as the HTML it is; each part's content is built apart.
    """
    lang, zone = context.language, context.zone
    summary = summarize(bags, now=now, period=period)
    state = headline(summary, lang)
    title = f"{state.text} – {message('report.title', lang)}"
    if context.organisation:
        title += f" – {context.organisation}"
    named = dict(zip((*OUTCOMES, "unchecked"), words("report.outcomes", lang), strict=True))
    columns = words("report.columns", lang)
    failing = [bag for bag in sorted(bags, key=lambda b: b.path) if bag.status in ("fail", "error")]
    heads = columns[:5] + (columns[5:7] if replicas is not None else [])
    rows = [_failing_row(bag, latest.get(bag.id), named, context, replicas) for bag in failing]
    all_rows = [
        f'<tr class="{bag.status}"><td><code>{escape(bag.path)}</code></td>'
        f"<td>{escape(bag.identity or '')}</td><td>{escape(named[bag.status])}</td>"
        f"<td>{local_time(bag.last_checked_at, zone)}</td></tr>"
        for bag in sorted(bags, key=lambda b: b.path)
    ]
    caption, drawing = _chart(hours, now, zone, named, lang)
    background, colour = _STATE_COLOURS[state.state]
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>
body{{font-family:sans-serif;margin:2em;color:#222;max-width:70em}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.3em .6em;vertical-align:top;text-align:left}}
tr.fail td:nth-child(3){{color:#c62828;font-weight:bold}} tr.error td:nth-child(3){{color:#ef6c00}}
dl{{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}} dd{{margin:0;font-weight:bold}}
#headline{{background:{background};color:{colour};padding:.5em .8em;border-radius:.3em;font-size:1.8em}}
.legend i{{display:inline-block;width:.8em;height:.8em;margin:0 .3em 0 1em}} ul{{margin:0;padding-left:1.2em}}
summary{{cursor:pointer;font-size:1.3em;font-weight:bold;margin:1em 0}}
</style></head><body>
<h1 id="headline" class="{state.state}">{escape(state.text)}</h1>
<p>{message("report.title", lang)} · {message("report.as-of", lang, time=local_time(summary.now, zone))}</p>
<dl id="figures">{_figures(summary, lang, zone)}</dl>
<h2>{escape(caption)} ({escape(zone.key)})</h2>
<p class="legend">{_legend(hours, named, lang)}</p>
{drawing}
<h2>{message("report.failing", lang, count=number(len(rows), lang))}</h2>
<table id="failing"><thead><tr>{"".join(f"<th>{escape(h)}</th>" for h in heads)}</tr></thead>
<tbody>{"".join(rows)}</tbody></table>
<details id="all-bags"><summary>{message("report.all", lang, count=number(len(bags), lang))}</summary>
<table><thead><tr>{"".join(f"<th>{escape(h)}</th>" for h in columns[:4])}</tr></thead>
<tbody>{"".join(all_rows)}</tbody></table></details>
<h2>{message("report.context", lang)}</h2>
<dl id="context">{_context(context, summary)}</dl>
</body></html>
"""


def _figures(summary: StatusSummary, lang: str, zone: ZoneInfo) -> str:
    """The summary's figures, each with the id the browser tests and scripts look for."""
    figures = [
        ("known", number(summary.known, lang)),
        ("checked-within-period", number(summary.checked_within_period, lang)),
        ("overdue", number(summary.overdue, lang)),
        ("never-checked", number(summary.never_checked, lang)),
        ("failing", number(summary.failing, lang)),
        ("in-error", number(summary.in_error, lang)),
        ("oldest-check", local_time(summary.oldest_check, zone)),
    ]
    return "".join(
        f'<dt>{escape(name)}</dt><dd id="{key}">{escape(value)}</dd>'
        for name, (key, value) in zip(words("report.figures", lang), figures, strict=True)
    )


def _legend(hours: Mapping[str, Mapping[str, int]], named: Mapping[str, str], lang: str) -> str:
    """Each outcome's colour and its number of checks in the chart."""
    totals: Counter[str] = Counter()
    for counts in hours.values():
        totals.update(counts)
    return " ".join(
        f'<span><i style="background:{chart.COLOURS[o]}"></i>{escape(named[o])}:'
        f' <span id="checks-{o}">{number(totals[o], lang)}</span></span>'
        for o in OUTCOMES
    )


def _chart(
    hours: Mapping[str, Mapping[str, int]], now: datetime, zone: ZoneInfo, named: Mapping[str, str], lang: str
) -> tuple[str, str]:
    """The chart's caption and drawing; a sentence instead of a drawing when nothing was checked yet."""
    if not hours:
        caption = message("report.chart", lang, bucket=words("report.buckets", lang)[1])
        return caption, f'<p class="empty">{message("report.no-checks", lang)}</p>'
    captions = {
        kind: message("report.chart", lang, bucket=name)
        for kind, name in zip(chart.BUCKETS, words("report.buckets", lang), strict=True)
    }
    return chart.render(
        hours, now=now, zone=zone, outcome_names=[named[o] for o in OUTCOMES], captions=captions
    )


def _context(context: Context, summary: StatusSummary) -> str:
    """What the report is of: organisation, roots, ledger, software, period and time zone."""
    lang = context.language
    rows = [
        (message("report.organisation", lang), context.organisation or "-"),
        (message("report.roots", lang), ", ".join(context.roots) or "-"),
        (message("report.ledger", lang), context.ledger),
        (message("report.software", lang), context.software),
        (message("report.period", lang), message("report.days", lang, days=f"{summary.period_days:g}")),
        (message("report.time-zone", lang), context.zone.key),
    ]
    return "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)


def _failing_row(
    bag: BagRecord,
    event: Event | None,
    named: Mapping[str, str],
    context: Context,
    replicas: Mapping[int, Sequence[str]] | None,
) -> str:
    problems = "".join(
        f"<li><b>{escape(p.kind)}</b> <code>{escape(p.file or '(bag)')}</code> [{escape(p.code)}]"
        f" {escape(p.text(context.language))}</li>"
        for p in (event.problems if event else ())
    )
    cells = [
        f"<td><code>{escape(bag.path)}</code></td>",
        f"<td>{escape(bag.identity or '')}</td>",
        f"<td>{escape(named[bag.status])}</td>",
        f"<td>{local_time(bag.last_checked_at, context.zone)}</td>",
        f"<td><ul>{problems}</ul></td>",
    ]
    if replicas is not None:
        good = replicas.get(bag.id, ())
        cells.append(f"<td><ul>{''.join(f'<li><code>{escape(p)}</code></li>' for p in good)}</ul></td>")
        command = f"preservation fixity repair {shlex.quote(bag.path)} --ledger {shlex.quote(context.ledger)}"
        cells.append(f"<td><code>{escape(command)}</code></td>" if good else "<td>-</td>")
    return f'<tr class="{bag.status}">{"".join(cells)}</tr>'
