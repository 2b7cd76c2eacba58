"""Website chrome around a release (share bars, breadcrumbs, address, copyright) and photo captions."""

from __future__ import annotations

from typing import Literal

from preservation.release.patterns import CAPTION, CHROME, CHROME_MAX

ChromeBy = Literal["form", "mention"]


def chrome_by(line: str) -> ChromeBy | None:
    """Whether the line is website chrome (patterns.CHROME), and why: its form, or only a word it mentions."""
    if len(line) > CHROME_MAX:
        return None
    rules = [rule for rule in CHROME if rule.search(line)]
    if not rules:
        return None
    return "mention" if all(rule.mention for rule in rules) else "form"


def split_caption(line: str) -> tuple[str, str | None]:
    """Return (line without caption, caption) – the caption None when the line carries none."""
    match = CAPTION.search(line)
    if match is None:
        return line, None
    return line[: match.start()].rstrip(), match.group(1).strip()
