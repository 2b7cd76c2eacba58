"""The report's chart: checks over a real time axis, in the site's time zone, as inline SVG. Pure.

Bars stand where their hour, day, week or month is on the axis, so the gaps between runs (and the time
since the last one) show; the y-axis has a scale. A failed or unreadable check would be a sliver of a bar
among thousands of passes, so each bucket that holds one also gets a marker at least 3 px wide in a strip
of its own below the axis.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from preservation.fixity.model import OUTCOMES

COLOURS = {"pass": "#2e7d32", "fail": "#c62828", "error": "#ef6c00"}
BUCKETS = ("hour", "day", "week", "month")
WIDTH = 760
_LEFT, _RIGHT, _TOP, _PLOT = 120, 12, 10, 180
_STRIP = 12
_MIN_MARKER = 3.0
_TICKS = 7
_MIN_SPAN = timedelta(days=1)
"""The narrowest axis: one day, so that a single run is a bar among its day's hours, not the whole chart."""


@dataclass(frozen=True)
class Bucket:
    start: datetime
    end: datetime
    counts: Counter[str]


def bucket_kind(span: timedelta) -> str:
    """The bucket that gives a readable number of bars (at most ~160) over `span`."""
    if span <= timedelta(days=3):
        return "hour"
    if span <= timedelta(days=150):
        return "day"
    if span <= timedelta(days=3 * 365):
        return "week"
    return "month"


def bucket_start(moment: datetime, kind: str, zone: ZoneInfo) -> datetime:
    """The start of the bucket holding `moment`: whole hours, and local days, weeks (from Monday) and
    months of `zone`, so that a day is the site's day."""
    if kind == "hour":
        return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    day = moment.astimezone(zone).date()
    if kind == "week":
        day -= timedelta(days=day.weekday())
    elif kind == "month":
        day = day.replace(day=1)
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def next_start(start: datetime, kind: str, zone: ZoneInfo) -> datetime:
    if kind == "hour":
        return start + timedelta(hours=1)
    day = start.date()
    if kind == "day":
        day += timedelta(days=1)
    elif kind == "week":
        day += timedelta(days=7)
    else:
        day = day.replace(year=day.year + day.month // 12, month=day.month % 12 + 1)
    return datetime(day.year, day.month, day.day, tzinfo=zone)  # midnight in the zone, whatever DST does


def buckets(
    hours: Mapping[str, Mapping[str, int]], *, now: datetime, zone: ZoneInfo
) -> tuple[str, list[Bucket]]:
    """The checks per UTC hour (`Ledger.checks_per_hour`) in the buckets that fit their span up to `now`."""
    moments = {datetime.strptime(hour, "%Y-%m-%dT%H").replace(tzinfo=UTC): hour for hour in hours}
    first, last = min(moments), max(moments) + timedelta(hours=1)
    kind = bucket_kind(max(last, now) - first)
    found: dict[datetime, Counter[str]] = {}
    for moment, hour in sorted(moments.items()):
        found.setdefault(bucket_start(moment, kind, zone), Counter()).update(hours[hour])
    return kind, [Bucket(start, next_start(start, kind, zone), counts) for start, counts in found.items()]


def _scale(peak: int) -> tuple[int, int]:
    """A step of 1, 2 or 5 times a power of ten giving at most five gridlines, and the top of the axis."""
    power = 1
    while True:
        for step in (power, 2 * power, 5 * power):
            if math.ceil(peak / step) <= 5:
                return step, max(step, math.ceil(peak / step) * step)
        power *= 10


def _label(moment: datetime, kind: str, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return local.strftime({"hour": "%d.%m. %H:%M", "month": "%Y-%m"}.get(kind, "%Y-%m-%d"))


def render(
    hours: Mapping[str, Mapping[str, int]],
    *,
    now: datetime,
    zone: ZoneInfo,
    outcome_names: Sequence[str],
    captions: Mapping[str, str],
) -> tuple[str, str]:
    """The caption and the chart as SVG; `outcome_names` name the OUTCOMES in the page's language,
    `captions` say what a bar counts for each of the BUCKETS."""
    kind, bars = buckets(hours, now=now, zone=zone)
    lo = bars[0].start.timestamp()
    hi = max(bars[-1].end.timestamp(), now.timestamp(), lo + _MIN_SPAN.total_seconds())
    plot_width = WIDTH - _LEFT - _RIGHT

    def x(moment: datetime) -> float:
        return _LEFT + (moment.timestamp() - lo) / (hi - lo) * plot_width

    step, top = _scale(max(sum(bar.counts.values()) for bar in bars))
    base = _TOP + _PLOT
    strips: dict[str, int] = {"fail": base + 26, "error": base + 26 + _STRIP + 4}
    height = strips["error"] + _STRIP + 4
    named: dict[str, str] = dict(zip(OUTCOMES, outcome_names, strict=True))
    parts = [
        f'<svg viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img"'
        f' aria-label="{escape(captions[kind])}" data-bucket="{kind}"'
        ' font-family="sans-serif" font-size="11">',
        *_grid(step, top, base, strips, named),
    ]
    for bar in bars:
        parts += _bar(bar, x(bar.start), x(bar.end), _label(bar.start, kind, zone), top, base, strips, named)
    parts.append(f'<line x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{base}" y2="{base}" stroke="#555"/>')
    parts += _time_ticks(bars[0].start, hi, kind, zone, x, base)
    parts.append("</svg>")
    return captions[kind], "".join(parts)


def _grid(step: int, top: int, base: int, strips: Mapping[str, int], named: Mapping[str, str]) -> list[str]:
    """The horizontal lines of the scale, and the strips that mark failures and errors however few."""
    parts = []
    for value in range(0, top + 1, step):
        y = base - value / top * _PLOT
        parts.append(
            f'<line x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text class="y-tick" x="{_LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">{value:,}</text>'
        )
    for flagged, strip in strips.items():
        parts.append(
            f'<line x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{strip + _STRIP / 2}" y2="{strip + _STRIP / 2}"'
            f' stroke="#eee"/><text x="{_LEFT - 4}" y="{strip + 10}" text-anchor="end"'
            f' fill="{COLOURS[flagged]}">{escape(named[flagged])}</text>'
        )
    return parts


def _bar(
    bar: Bucket,
    x0: float,
    x1: float,
    when: str,
    top: int,
    base: int,
    strips: Mapping[str, int],
    named: Mapping[str, str],
) -> list[str]:
    """One bucket's stacked bar, from `x0` to `x1`, and its markers on the strips."""
    parts = []
    width = max(x1 - x0 - (1 if x1 - x0 > 3 else 0), 1.0)
    said = ", ".join(f"{bar.counts[o]:,} {named[o]}" for o in OUTCOMES if bar.counts[o])
    y = float(base)
    for outcome in OUTCOMES:
        if bar.counts[outcome]:
            h = bar.counts[outcome] / top * _PLOT
            y -= h
            parts.append(
                f'<rect x="{x0:.2f}" y="{y:.2f}" width="{width:.2f}" height="{h:.2f}"'
                f' fill="{COLOURS[outcome]}" data-bucket="{bar.start.isoformat()}"'
                f' data-outcome="{outcome}" data-count="{bar.counts[outcome]}">'
                f"<title>{escape(when)}: {escape(said)}</title></rect>"
            )
    for flagged, strip in strips.items():
        if bar.counts[flagged]:
            marker = max(width, _MIN_MARKER)
            parts.append(
                f'<rect class="marker" x="{min(x0, WIDTH - _RIGHT - marker):.2f}" y="{strip}"'
                f' width="{marker:.2f}" height="{_STRIP}" fill="{COLOURS[flagged]}"'
                f' data-marker="{flagged}" data-count="{bar.counts[flagged]}">'
                f"<title>{escape(when)}: {bar.counts[flagged]:,} {escape(named[flagged])}</title></rect>"
            )
    return parts


def _time_ticks(
    start: datetime, hi: float, kind: str, zone: ZoneInfo, x: Callable[[datetime], float], base: int
) -> list[str]:
    """Labels at bucket boundaries, every k-th so that they do not overlap."""
    boundaries = [start]
    while boundaries[-1].timestamp() < hi:
        boundaries.append(next_start(boundaries[-1], kind, zone))
    every = max(1, math.ceil(len(boundaries) / _TICKS))
    parts = []
    for moment in boundaries[::every]:
        at = x(moment)
        if at > WIDTH - _RIGHT - 30:  # its label would be cut at the edge
            break
        parts.append(
            f'<line x1="{at:.1f}" x2="{at:.1f}" y1="{base}" y2="{base + 4}" stroke="#555"/>'
            f'<text class="x-tick" x="{at:.1f}" y="{base + 16}" text-anchor="middle">'
            f"{escape(_label(moment, kind, zone))}</text>"
        )
    return parts
