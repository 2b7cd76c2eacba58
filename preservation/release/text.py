"""The plain-text parser: finds the release by its anchors, not by position.

The anchors are the notice (whole or in part), the date line (``Pressemitteilung vom …``, a publication date,
or an ``Ort, Datum`` line at the top), ``Autor/in:`` and the closing ``Ort, Datum`` line (patterns.py).
Everything outside them is the website's frame; the title is the heading-like line next to the date line,
after it or above it. What had to be guessed or was dropped becomes a warning with a code of the finding
catalogue, and every field found says where it came from (``origins``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from preservation.errors import ReleaseError
from preservation.release.chrome import chrome_by, split_caption
from preservation.release.notice import Paragraph, comparable, strip_notice
from preservation.release.patterns import (
    AUTHOR_LINE,
    CLOSING_LINE,
    DATE_LINES,
    HEADING_MAX,
    SECOND_HEADING_MAX,
    SENTENCE_END,
    TITLE_MAX,
    date_of,
)
from preservation.validate.findings import Finding, finding

Kind = Literal["date", "closing", "author", "chrome", "text"]
SHOWN = 3
"""Removed chrome lines quoted in the warning; the rest are counted."""


@dataclass(frozen=True)
class ParsedText:
    """What the text of one release says, before identity and files are added."""

    title: str
    issued: date
    author: str | None
    place: str | None
    number: str | None
    notice_in_source: bool
    body: str
    warnings: tuple[Finding, ...]
    origins: tuple[tuple[str, str], ...] = ()
    """(field, where in the source it was read from), for every field found."""


@dataclass(frozen=True)
class _Line:
    text: str
    paragraph: int
    """Lines of one paragraph share the number; an anchor line always has a paragraph of its own."""
    kind: Kind
    block: int
    """The paragraph of the source (between blank lines) the line is in."""
    block_size: int
    """How many lines that paragraph has."""
    mention: bool = False
    """Chrome only by a word it mentions (Instagram, Öffnungszeiten): it may still be the title."""


def split_paragraphs(text: str) -> tuple[Paragraph, ...]:
    """Blank-line separated paragraphs of stripped lines."""
    blocks = re.split(r"\n\s*\n", text)
    return tuple(p for p in (tuple(s.strip() for s in b.split("\n") if s.strip()) for b in blocks) if p)


def _kind(line: str) -> Kind:
    if any(rule.search(line) for rule in DATE_LINES):
        return "date"
    if CLOSING_LINE.search(line):
        return "closing"
    if AUTHOR_LINE.search(line):
        return "author"
    # A caption glued to a sentence is release text; the body takes the caption off with a warning.
    return "chrome" if chrome_by(line) and split_caption(line)[1] is None else "text"


def _lines(paragraphs: tuple[Paragraph, ...]) -> list[_Line]:
    """Every line with its kind; anchors get a paragraph of their own, as if the export had blank lines.

    A bare date is left in its paragraph: it is as often an item of a list of dates in the body.
    """
    lines: list[_Line] = []
    number = 0
    for block, paragraph in enumerate(paragraphs):
        for text in paragraph:
            kind = _kind(text)
            if kind in ("closing", "author") or (kind == "date" and DATE_LINES[0].search(text)):
                lines.append(_Line(text, number + 1, kind, block, len(paragraph)))
                number += 2
            else:
                mention = kind == "chrome" and chrome_by(text) == "mention"
                lines.append(_Line(text, number, kind, block, len(paragraph), mention))
        number += 1
    return lines


def is_heading(line: str) -> bool:
    """Short, with letters, and not ending like a sentence of the body."""
    return len(line) <= HEADING_MAX and any(c.isalpha() for c in line) and not SENTENCE_END.search(line)


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:59] + "…"


class _Frame:
    """Lines left out of the release: chrome (said once, as a count) and unknown text (said each)."""

    def __init__(self) -> None:
        self.chrome: list[str] = []
        self.ignored: list[list[_Line]] = []

    def drop(self, lines: list[_Line]) -> None:
        run: list[_Line] = []
        for line in lines:
            if line.kind == "chrome":
                self.chrome.append(line.text)
            elif run and run[-1].paragraph == line.paragraph:
                run.append(line)
            else:
                run = [line]
                self.ignored.append(run)

    def warnings(self) -> list[Finding]:
        said = [
            finding("release.text-ignored", text=_short(" ".join(x.text for x in run)))
            for run in self.ignored
        ]
        if self.chrome:
            quoted = ", ".join(f"'{_short(text)}'" for text in self.chrome[:SHOWN])
            # The rest as an ellipsis, not in words: the parameter is the same in every language.
            more = ", …" if len(self.chrome) > SHOWN else ""
            said.append(finding("release.chrome-removed", count=len(self.chrome), lines=quoted + more))
        return said


def _missing(issued: bool, title: bool) -> str:
    missing = [
        "no issued date (neither 'Pressemitteilung vom DD.MM.YYYY' nor a closing 'Ort, DD.MM.YYYY' line)"
        if issued
        else "",
        "no title" if title else "",
    ]
    return " and ".join(m for m in missing if m)


def _byline(
    author_line: _Line | None, date_line: _Line | None, closing: _Line | None, origins: list[tuple[str, str]]
) -> tuple[str | None, str | None, str | None]:
    """Author, place and release number from the lines that carry them, each noted in `origins`."""
    author_match = AUTHOR_LINE.search(author_line.text) if author_line is not None else None
    author = author_match["author"].strip() if author_match else None
    place_line = closing or (date_line if date_line is not None and date_line.kind == "closing" else None)
    place_match = CLOSING_LINE.search(place_line.text) if place_line is not None else None
    vom = _date_match(date_line.text) if date_line is not None and date_line.kind == "date" else None
    number = vom.groupdict().get("number") if vom else None
    if author:
        origins.append(("author", "the 'Autor/in:' line"))
    if place_match:
        origins.append(("place", "the closing line" if place_line is closing else "the date line"))
    if number:
        origins.append(("number", "the 'Pressemitteilung Nr.' line"))
    return author or None, place_match["place"].strip() if place_match else None, number


def parse_text(text: str, source: Path, notice: str, title_hint: str | None = None) -> ParsedText:
    """Parse decoded release text; `title_hint` is a title the container already marked (an HTML h1)."""
    stripped = strip_notice(split_paragraphs(text), notice)
    warnings = list(stripped.warnings)
    origins: list[tuple[str, str]] = []
    lines = _lines(stripped.paragraphs)
    hint = _usable_hint(title_hint, notice)
    if hint is not None:
        lines = [line for line in lines if comparable(line.text) != comparable(hint)]

    frame = _Frame()
    anchor = _anchor(lines)
    start = 0 if anchor is None else anchor + 1
    author_at = next((i for i in range(start, len(lines)) if lines[i].kind == "author"), None)
    closing_at = next((i for i in range(len(lines) - 1, start - 1, -1) if lines[i].kind == "closing"), None)
    ends = [i for i in (author_at, closing_at) if i is not None]
    end = max(ends) if ends else len(lines)
    middle = [line for i, line in enumerate(lines[start:end], start) if i not in (author_at, closing_at)]

    head = lines[:anchor] if anchor is not None else []
    if hint is not None:
        title: str | None = hint
        origins.append(("title", "the page's h1 heading"))
    else:
        title, head, middle = _title(head, middle, anchor is not None, warnings, origins)
    frame.drop(head)
    middle = _trim_chrome(middle, frame)
    frame.drop(lines[end + 1 :])

    date_line = lines[anchor] if anchor is not None else None
    closing = lines[closing_at] if closing_at is not None else None
    issued = _issued(date_line, closing, source, warnings, origins)
    if issued is None or title is None:
        raise ReleaseError(source, _missing(issued is None, title is None))
    warnings += frame.warnings()

    body = _body(middle, warnings)
    if not body:
        warnings.append(finding("release.body-missing"))
    author_line = lines[author_at] if author_at is not None else None
    author, place, number = _byline(author_line, date_line, closing, origins)
    origins.append(("notice", _notice_origin(stripped.in_source, stripped.warnings)))
    return ParsedText(
        title=title,
        issued=issued,
        author=author,
        place=place,
        number=number,
        notice_in_source=stripped.in_source,
        body=body,
        warnings=tuple(warnings),
        origins=tuple(origins),
    )


def _usable_hint(hint: str | None, notice: str) -> str | None:
    """An h1 that is a date line, chrome by its form or the notice is no title."""
    if hint is None or not hint.strip():
        return None
    hint = " ".join(hint.split())
    kind = _kind(hint)
    if (
        kind not in ("text", "chrome")
        or chrome_by(hint) == "form"
        or not strip_notice(((hint,),), notice).paragraphs
    ):
        return None
    return hint


def _anchor(lines: list[_Line]) -> int | None:
    """The date line: ``Pressemitteilung vom …`` (else another date line, such as ``Veröffentlicht am …``),
    else an ``Ort, Datum`` line before any release text."""
    dated = [i for i, line in enumerate(lines) if line.kind == "date"]
    for i in dated:
        if DATE_LINES[0].search(lines[i].text):
            return i
    if dated:
        return dated[0]
    for i, line in enumerate(lines):
        if line.kind == "chrome":
            continue
        later_text = any(x.kind == "text" for x in lines[i + 1 :])
        return i if line.kind == "closing" and later_text else None
    return None


def _title(
    head: list[_Line],
    middle: list[_Line],
    anchored: bool,
    warnings: list[Finding],
    origins: list[tuple[str, str]],
) -> tuple[str | None, list[_Line], list[_Line]]:
    """The heading-like line next to the date line: after it, else above it; returns (title, head, middle).

    Chrome between the date line and the title goes to the head, which is dropped.
    """
    # Chrome, and a second date line (the website's own date beside the archive's), are never the title.
    after = next((i for i, line in enumerate(middle) if line.kind not in ("chrome", "date")), None)
    after_line = middle[after] if after is not None and middle[after].kind == "text" else None
    before = next((i for i in range(len(head) - 1, -1, -1) if head[i].kind not in ("chrome", "date")), None)
    before_line = head[before] if before is not None and head[before].kind == "text" else None

    def taken_after(where: str, end: int) -> tuple[str, list[_Line], list[_Line]]:
        assert after is not None
        title, rest = _joined(middle[after:end]), middle[end:]
        origins.append(("title", where))
        second = _second_heading(rest, middle[after])
        if second is not None:
            warnings.append(finding("release.title-ambiguous", title=_short(title), other=_short(second)))
        return title, head + middle[:after], rest

    next_line = "the line after the date line" if anchored else "the first line of the release"
    wrapped = _wrapped_heading(middle, after)
    if wrapped is not None and wrapped[0] == after:
        return taken_after(f"{next_line}s (one heading wrapped over {wrapped[1] - after} lines)", wrapped[1])
    if after is not None and after_line is not None and is_heading(after_line.text):
        return taken_after(next_line, after + 1)
    wrapped = _wrapped_heading(head, before)
    if wrapped is not None and before is not None and wrapped[1] == before + 1:
        origins.append(("title", "the lines above the date line (one heading wrapped over them)"))
        return _joined(head[wrapped[0] : wrapped[1]]), head[: wrapped[0]] + head[wrapped[1] :], middle
    if before_line is not None and before is not None and is_heading(before_line.text):
        origins.append(("title", "the line above the date line"))
        return before_line.text, head[:before] + head[before + 1 :], middle
    # A heading that mentions Instagram or opening hours looks like chrome, but may be the title.
    nearest = [i for i in range(after if after is not None else len(middle)) if _title_like_chrome(middle[i])]
    if nearest:
        at = nearest[0]
        warnings.append(finding("release.title-chrome-like", title=_short(middle[at].text)))
        origins.append(("title", f"{next_line}, which looks like website chrome"))
        return middle[at].text, head + middle[:at], middle[at + 1 :]
    above = [
        i for i in range(before + 1 if before is not None else 0, len(head)) if _title_like_chrome(head[i])
    ]
    if above:
        at = above[-1]
        warnings.append(finding("release.title-chrome-like", title=_short(head[at].text)))
        origins.append(("title", "the line above the date line, which looks like website chrome"))
        return head[at].text, head[:at] + head[at + 1 :], middle
    text = after_line.text if after_line is not None else None
    if text is None or len(text) > TITLE_MAX or not any(c.isalpha() for c in text):
        return None, head, middle
    warnings.append(finding("release.title-not-heading", title=_short(text)))
    assert after is not None
    return taken_after(f"{next_line}, which does not look like a heading", after + 1)


WRAPPED_MAX = 3
"""Lines a hard-wrapped heading may span: its own paragraph, with blank lines around it."""


def _wrapped_heading(lines: list[_Line], at: int | None) -> tuple[int, int] | None:
    """(start, end) of the paragraph holding line `at` when it is a heading hard-wrapped over 2–3 lines.

    Only a paragraph of the source's own (between blank lines) counts: in an export without blank lines, a
    title and the lines around it are not one heading.
    """
    if at is None:
        return None
    span = [i for i, line in enumerate(lines) if line.block == lines[at].block]
    whole = len(span) == lines[at].block_size
    if not whole or not 2 <= len(span) <= WRAPPED_MAX or any(lines[i].kind != "text" for i in span):
        return None
    return (span[0], span[-1] + 1) if is_heading(_joined(lines[span[0] : span[-1] + 1])) else None


def _second_heading(rest: list[_Line], title: _Line) -> str | None:
    """A kicker above the title or a subtitle below it: the next text when it is a short heading of its own
    paragraph (hard-wrapped or not) or, in an export without blank lines, the next line (which a
    hard-wrapped body could be too: then the warning is one too many, never one too few)."""
    at = next((i for i, line in enumerate(rest) if line.kind == "text"), None)
    if at is None:
        return None
    line = rest[at]
    wrapped = _wrapped_heading(rest, at)
    text = _joined(rest[wrapped[0] : wrapped[1]]) if wrapped is not None else line.text
    own = wrapped is not None or line.block_size == 1 or line.block == title.block
    return text if own and is_heading(text) and len(text) <= SECOND_HEADING_MAX else None


def _joined(lines: list[_Line]) -> str:
    return " ".join(line.text for line in lines)


def _title_like_chrome(line: _Line) -> bool:
    return line.kind == "chrome" and line.mention and is_heading(line.text)


def _trim_chrome(middle: list[_Line], frame: _Frame) -> list[_Line]:
    """Chrome at the start and end of the release text: whole paragraphs, or lines when it has only one."""
    start = 0
    while start < len(middle) and middle[start].kind == "chrome":
        start += 1
    frame.drop(middle[:start])
    middle = middle[start:]
    single = len({line.paragraph for line in middle}) == 1
    end = len(middle)
    while end and middle[end - 1].kind == "chrome":
        if single:
            end -= 1
            continue
        first = end
        while first and middle[first - 1].paragraph == middle[end - 1].paragraph:
            first -= 1
        if any(line.kind != "chrome" for line in middle[first:end]):
            break
        end = first
    frame.drop(middle[end:])
    return middle[:end]


def _date(match: re.Match[str] | None, where: str, source: Path) -> tuple[date, bool]:
    assert match is not None
    try:
        return date_of(match)
    except ValueError:
        raise ReleaseError(source, f"invalid date '{match['date']}' in {where}") from None


def _issued(
    date_line: _Line | None,
    closing: _Line | None,
    source: Path,
    warnings: list[Finding],
    origins: list[tuple[str, str]],
) -> date | None:
    """The date line's date wins; the closing line's stands in for it and is checked against it."""
    read: list[tuple[date, bool, str, str]] = []  # (date, two-digit year, line, where)
    if date_line is not None:
        where = "the 'Pressemitteilung vom' line" if DATE_LINES[0].search(date_line.text) else "the date line"
        match = (
            _date_match(date_line.text) if date_line.kind == "date" else CLOSING_LINE.search(date_line.text)
        )
        read.append((*_date(match, where, source), date_line.text, where))
    if closing is not None:
        match = CLOSING_LINE.search(closing.text)
        read.append((*_date(match, "the closing line", source), closing.text, "the closing line"))
    if not read:
        return None
    (issued, short, line, where), others = read[0], read[1:]
    origins.append(("issued", where))
    if date_line is None:
        warnings.append(finding("release.no-date-line", date=issued.isoformat()))
    for other, _, other_line, _ in others:
        if other != issued:
            used = issued.isoformat()
            warnings.append(finding("release.dates-disagree", date_line=line, closing=other_line, used=used))
    if short and not any(other == issued and not other_short for other, other_short, _, _ in others):
        warnings.append(finding("release.date-two-digit-year", line=line, year=issued.year))
    return issued


def _date_match(line: str) -> re.Match[str] | None:
    return next((m for m in (rule.search(line) for rule in DATE_LINES) if m), None)


def _notice_origin(in_source: bool, partial: tuple[Finding, ...]) -> str:
    if not in_source:
        return "not in the source"
    return "part of it in the source" if partial else "in the source"


def _body(content: list[_Line], warnings: list[Finding]) -> str:
    """Paragraphs joined by a blank line, photo captions split off into warnings."""
    paragraphs: dict[int, list[str]] = {}
    for line in content:
        kept, caption = split_caption(line.text)
        if caption is not None:
            warnings.append(finding("release.caption-removed", caption=caption))
        if kept:
            paragraphs.setdefault(line.paragraph, []).append(kept)
    return "\n\n".join("\n".join(lines) for lines in paragraphs.values())
