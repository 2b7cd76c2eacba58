"""The plain-text parser: notice, chrome, date line, title, body, author and closing line of a release."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from preservation.errors import ReleaseError
from preservation.release.chrome import is_chrome, split_caption
from preservation.release.notice import Paragraph, comparable, strip_notice

_DATE = r"\d{1,2}\.\d{1,2}\.\d{4}"
_VOM = re.compile(rf"^Pressemitteilung(?:\s+Nr\.?\s*(?P<number>\d{{1,6}}))?\s+vom\s+(?P<date>{_DATE})$", re.I)
_CLOSING = re.compile(rf"^(?P<place>[A-ZÄÖÜ][^\d,]{{0,60}}),\s*(?:den\s+)?(?P<date>{_DATE})$")
_AUTHOR = re.compile(r"^Autor(?:/in|in)?\s*:\s*(?P<author>.*)$")
TITLE_MAX = 300
"""A first paragraph longer than this is body text, not a title the export forgot to separate."""


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
    warnings: tuple[str, ...]


def split_paragraphs(text: str) -> tuple[Paragraph, ...]:
    """Blank-line separated paragraphs of stripped lines."""
    blocks = re.split(r"\n\s*\n", text)
    return tuple(p for p in (tuple(s.strip() for s in b.split("\n") if s.strip()) for b in blocks) if p)


def _structural(line: str) -> bool:
    return bool(_VOM.match(line) or _CLOSING.match(line) or _AUTHOR.match(line))


def _isolate_structural(paragraphs: tuple[Paragraph, ...]) -> list[Paragraph]:
    """Give date, author and closing lines a paragraph of their own, as if the export had blank lines."""
    result: list[Paragraph] = []
    for paragraph in paragraphs:
        current: list[str] = []
        for line in paragraph:
            if _structural(line):
                if current:
                    result.append(tuple(current))
                    current = []
                result.append((line,))
            else:
                current.append(line)
        if current:
            result.append(tuple(current))
    return result


def _parse_date(text: str, where: str, source: Path) -> date:
    try:
        return datetime.strptime(text, "%d.%m.%Y").date()
    except ValueError:
        raise ReleaseError(source, f"invalid date '{text}' in {where}") from None


def _short(paragraph: Paragraph) -> str:
    text = " ".join(paragraph)
    return text if len(text) <= 60 else text[:59] + "…"


def _drop_frame(paragraphs: list[Paragraph], where: str) -> list[str]:
    """Warnings for frame paragraphs that are not recognisable chrome, since their text is dropped."""
    return [f"ignored text {where}: '{_short(p)}'" for p in paragraphs if not is_chrome(p)]


def _index(paragraphs: list[Paragraph], pattern: re.Pattern[str], *, last: bool = False) -> int | None:
    hits = [i for i, p in enumerate(paragraphs) if len(p) == 1 and pattern.match(p[0])]
    if not hits:
        return None
    return hits[-1] if last else hits[0]


def parse_text(text: str, source: Path, notice: str, title_hint: str | None = None) -> ParsedText:
    """Parse decoded release text; `title_hint` is a title the container already marked (an HTML h1)."""
    stripped = strip_notice(split_paragraphs(text), notice)
    warnings = list(stripped.warnings)
    paragraphs = _isolate_structural(stripped.paragraphs)

    vom_at = _index(paragraphs, _VOM)
    vom = _VOM.match(paragraphs[vom_at][0]) if vom_at is not None else None
    if vom_at is not None:
        warnings += _drop_frame(paragraphs[:vom_at], "before the 'Pressemitteilung vom' line")
        rest = paragraphs[vom_at + 1 :]
    else:
        rest = list(paragraphs)
        while rest and is_chrome(rest[0]):
            rest.pop(0)

    author_at = _index(rest, _AUTHOR)
    closing_at = _index(rest, _CLOSING, last=True)
    ends = [i for i in (author_at, closing_at) if i is not None]
    if ends:
        warnings += _drop_frame(rest[max(ends) + 1 :], "after the closing line")
        rest = rest[: max(ends) + 1]
    else:
        while rest and is_chrome(rest[-1]):
            rest.pop()
    author_match = _AUTHOR.match(rest[author_at][0]) if author_at is not None else None
    closing = _CLOSING.match(rest[closing_at][0]) if closing_at is not None else None
    content = [p for i, p in enumerate(rest) if i not in (author_at, closing_at)]

    issued = _issued(vom, closing, source, warnings)
    title, content = _title(content, title_hint)
    if issued is None or title is None:
        missing = [
            "no issued date (neither 'Pressemitteilung vom DD.MM.YYYY' nor a closing 'Ort, DD.MM.YYYY' line)"
            if issued is None
            else "",
            "no title" if title is None else "",
        ]
        raise ReleaseError(source, " and ".join(m for m in missing if m))

    body = _body(content, warnings)
    if not body:
        warnings.append("the release has no body text after its title")
    author = author_match.group("author").strip() if author_match else None
    return ParsedText(
        title=title,
        issued=issued,
        author=author or None,
        place=closing.group("place").strip() if closing else None,
        number=vom.group("number") if vom else None,
        notice_in_source=stripped.in_source,
        body=body,
        warnings=tuple(warnings),
    )


def _issued(
    vom: re.Match[str] | None, closing: re.Match[str] | None, source: Path, warnings: list[str]
) -> date | None:
    """The `vom` date wins; the closing line's date stands in for it and is checked against it."""
    vom_date = _parse_date(vom.group("date"), "the 'Pressemitteilung vom' line", source) if vom else None
    closing_date = _parse_date(closing.group("date"), "the closing line", source) if closing else None
    if vom_date and closing_date and vom_date != closing_date:
        warnings.append(
            f"dates disagree: 'Pressemitteilung vom {vom_date:%d.%m.%Y}' but closing line "
            f"'{closing.group(0) if closing else ''}'; using {vom_date.isoformat()}"
        )
    return vom_date or closing_date


def _title(content: list[Paragraph], hint: str | None) -> tuple[str | None, list[Paragraph]]:
    """The marked title, else the first line of the first paragraph; returns the paragraphs left."""
    if hint is not None and hint.strip():
        wanted = comparable(hint)
        return " ".join(hint.split()), [p for p in content if comparable(" ".join(p)) != wanted]
    if not content:
        return None, content
    first, *others = content
    title = first[0]
    if len(title) > TITLE_MAX or not any(c.isalpha() for c in title):
        return None, content
    return title, ([first[1:]] if first[1:] else []) + others


def _body(content: list[Paragraph], warnings: list[str]) -> str:
    """Paragraphs joined by a blank line, photo captions split off into warnings."""
    paragraphs: list[str] = []
    for paragraph in content:
        lines = []
        for line in paragraph:
            kept, caption = split_caption(line)
            if caption is not None:
                warnings.append(f"photo caption kept out of the body: '{caption}'")
            if kept:
                lines.append(kept)
        if lines:
            paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)
