"""The archive's notice ("Achtung! Diese archivierte Pressemitteilung …"): find it, whole or in part."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from preservation.validate.findings import Finding, finding

Paragraph = tuple[str, ...]
"""One paragraph of a document: its non-blank lines, stripped."""

RUN_MAX = 40
"""Lines one run of notice text may span: the whole notice hard-wrapped at some 40 characters."""
MATCH_MIN = 30
"""Characters a run must hold to count: a line that is just "Achtung!" is not the notice."""


@dataclass(frozen=True)
class NoticeResult:
    paragraphs: tuple[Paragraph, ...]
    """The document without any notice text."""
    in_source: bool
    """Some of the notice was there: whole, shortened to some paragraphs or sentences, or re-wrapped."""
    warnings: tuple[Finding, ...] = ()


def comparable(text: str) -> str:
    """Whitespace, case and closing punctuation vary between exports; the words do not."""
    return re.sub(r"\s+", " ", text).strip().rstrip(".!:").casefold()


def notice_paragraphs(notice: str) -> tuple[str, ...]:
    """The canonical notice split into its paragraphs; the first is the "Achtung! …" heading."""
    return tuple(" ".join(p.split()) for p in re.split(r"\n\s*\n", notice.strip()) if p.strip())


def _sentences(paragraph: str) -> list[str]:
    return [s for s in (comparable(s) for s in re.split(r"(?<=[.!?])\s+", paragraph)) if s]


class _Notice:
    """The notice as sentences: a run of lines is notice text when it is nothing but its sentences."""

    def __init__(self, notice: str) -> None:
        paragraphs = notice_paragraphs(notice)
        self.total = len(paragraphs)
        self.of_sentence: dict[str, int] = {}
        for index, paragraph in enumerate(paragraphs):
            for sentence in _sentences(paragraph):
                self.of_sentence.setdefault(sentence, index)
        alternatives = "|".join(re.escape(s) for s in sorted(self.of_sentence, key=len, reverse=True))
        self.sentence = re.compile(rf"\s*({alternatives})[.!:?]?") if alternatives else None
        self.needed = {i for i in self.of_sentence.values() if i > 0} or {0}
        """Paragraphs whose sentences must all be there for the notice to be whole (the heading need not)."""

    def run(self, lines: Paragraph, start: int) -> tuple[int, list[str]] | None:
        """The longest run of lines from `start` that is nothing but notice sentences: (end, sentences).

        Sentences are matched as the run grows, and the run stops as soon as what follows the last whole
        sentence cannot begin one, so each line is looked at a bounded number of times.
        """
        if self.sentence is None:
            return None
        best: tuple[int, list[str]] | None = None
        found: list[str] = []
        text = ""
        at = 0
        for end in range(start, min(len(lines), start + RUN_MAX)):
            text += " " + comparable(lines[end])
            while (match := self.sentence.match(text, at)) and match.end() > at:
                found.append(match.group(1))
                at = match.end()
            rest = text[at:].strip()
            if not rest:
                if len(text.strip()) >= MATCH_MIN:
                    best = (end + 1, list(found))
            elif not any(sentence.startswith(rest) for sentence in self.of_sentence):
                break
        return best


@cache
def _model(notice: str) -> _Notice:
    """One model per notice text: a run reads many releases against the profile's one notice."""
    return _Notice(notice)


def strip_notice(paragraphs: tuple[Paragraph, ...], notice: str) -> NoticeResult:
    """Remove every run of lines that is notice text: a paragraph of it, some of its sentences, re-wrapped.

    Runs of lines catch exports that put the notice without blank lines and those that hard-wrapped it.
    """
    model = _model(notice)
    found: set[str] = set()
    kept: list[Paragraph] = []
    for paragraph in paragraphs:
        lines: list[str] = []
        start = 0
        while start < len(paragraph):
            run = model.run(paragraph, start)
            if run is None:
                lines.append(paragraph[start])
                start += 1
            else:
                start, sentences = run
                found.update(sentences)
        if lines:
            kept.append(tuple(lines))
    complete = all(s in found for s, i in model.of_sentence.items() if i in model.needed)
    warnings: tuple[Finding, ...] = ()
    if found and not complete:
        paragraphs_found = len({model.of_sentence[s] for s in found})
        warnings = (finding("release.notice-partial", found=paragraphs_found, total=model.total),)
    return NoticeResult(tuple(kept), bool(found), warnings)
