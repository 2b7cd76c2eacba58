"""The archive's notice ("Achtung! Diese archivierte Pressemitteilung …"): find it and take it out."""

from __future__ import annotations

import re
from dataclasses import dataclass

Paragraph = tuple[str, ...]
"""One paragraph of a document: its non-blank lines, stripped."""


@dataclass(frozen=True)
class NoticeResult:
    paragraphs: tuple[Paragraph, ...]
    """The document without any notice text."""
    in_source: bool
    """Every paragraph of the notice's body was there (its heading line may be missing)."""
    warnings: tuple[str, ...] = ()


def comparable(text: str) -> str:
    """Whitespace, case and closing punctuation vary between exports; the words do not."""
    return re.sub(r"\s+", " ", text).strip().rstrip(".!:").casefold()


def notice_paragraphs(notice: str) -> tuple[str, ...]:
    """The canonical notice split into its paragraphs; the first is the "Achtung! …" heading."""
    return tuple(" ".join(p.split()) for p in re.split(r"\n\s*\n", notice.strip()) if p.strip())


def strip_notice(paragraphs: tuple[Paragraph, ...], notice: str) -> NoticeResult:
    """Remove every line or paragraph that is a paragraph of the notice.

    Line by line catches exports that put the notice without blank lines; the joined paragraph catches
    exports that hard-wrapped a notice paragraph over several lines.
    """
    wanted = {comparable(p): index for index, p in enumerate(notice_paragraphs(notice))}
    found: set[int] = set()
    kept: list[Paragraph] = []
    for paragraph in paragraphs:
        joined = comparable(" ".join(paragraph))
        if joined in wanted:
            found.add(wanted[joined])
            continue
        lines = []
        for line in paragraph:
            index = wanted.get(comparable(line))
            if index is None:
                lines.append(line)
            else:
                found.add(index)
        if lines:
            kept.append(tuple(lines))
    body = set(range(1, len(wanted))) or {0}
    in_source = body <= found
    warnings: tuple[str, ...] = ()
    if found and not in_source:
        warnings = (
            f"the source carries only part of the archive's notice ({len(found)} of {len(wanted)} "
            "paragraphs); treated as having no notice",
        )
    return NoticeResult(tuple(kept), in_source, warnings)
